// pagejournal's pager: the committed view of the store (page translation
// table over scratch and the data file) and the copy-on-write PageStore a
// transaction works on. Not thread-safe: the store calls it under its lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "engines/pagejournal/data_file.h"
#include "engines/pagejournal/journal_format.h"
#include "engines/pagejournal/page_store.h"
#include "engines/pagejournal/scratch.h"
#include "framework/base/status.h"

namespace crashlab::pagejournal {

// One page translation table entry: the committed version of `page` is in
// scratch slot `slot`, written by transaction `txn`.
struct PttEntry {
  PageNo page = 0;
  Slot slot = 0;
  uint64_t txn = 0;
};

class Pager {
 public:
  // The committed store of `page_count` pages after transaction `last_txn`,
  // all of them in `data` (recovery left nothing in scratch).
  Pager(DataFile& data, Scratch& scratch, uint32_t page_size, PageNo page_count, uint64_t last_txn);

  uint32_t page_size() const { return page_size_; }
  PageNo page_count() const { return page_count_; }
  uint64_t last_txn() const { return last_txn_; }

  // Committed page `n` (n < page_count()): in scratch while the PTT names a
  // slot for it, else in the data file. Valid until the next Reserve,
  // Install, Release or data-file growth.
  const uint8_t* ReadCommitted(PageNo n) const;

  // Makes room in scratch for `pages` page images, so that Install, which
  // runs after the journal write, cannot fail.
  [[nodiscard]] Status Reserve(std::size_t pages);

  // Installs committed transaction `txn`: copies `images` into scratch slots,
  // points the PTT at them and retires the slots they supersede. Fires the
  // scratch.update points.
  void Install(uint64_t txn, PageNo page_count, const std::vector<PageImage>& images);

  // The PTT as it is now, for a flush to copy into the data file.
  std::vector<PttEntry> Snapshot() const;
  const uint8_t* SlotPage(Slot slot) const { return scratch_.page(slot); }

  // Once a checkpoint covering `snapshot` is durable: drops the PTT entries
  // that still point at the snapshot's slots (readers then use the data file)
  // and frees those slots and every retired one.
  void Release(const std::vector<PttEntry>& snapshot);

  // Pages held in scratch (committed, retired or not yet released).
  std::size_t scratch_pages() const { return scratch_.used(); }

  // The PTT's own invariants: entries below the page count and no newer
  // than the last transaction, slots in range, in use, and distinct.
  [[nodiscard]] Status CheckStructure() const;

 private:
  DataFile& data_;
  Scratch& scratch_;
  uint32_t page_size_;
  PageNo page_count_;
  uint64_t last_txn_;
  std::unordered_map<PageNo, PttEntry> ptt_;
  std::vector<Slot> retired_;  // superseded versions, freed at the next Release
  std::vector<uint8_t> zero_page_;
};

// The PageStore one transaction sees: committed pages, and private copies of
// the pages it writes (copy-on-write). Discarding it aborts the transaction.
class Transaction final : public PageStore {
 public:
  explicit Transaction(Pager& pager) : pager_(pager), page_count_(pager.page_count()) {}

  std::size_t page_size() const override { return pager_.page_size(); }
  PageNo page_count() const override { return page_count_; }
  const uint8_t* Read(PageNo n) override;
  uint8_t* Write(PageNo n) override;
  PageNo Extend() override;

  // The pages this transaction wrote or added, ascending by page number.
  std::vector<PageImage> Changes() const;

 private:
  Pager& pager_;
  PageNo page_count_;
  std::map<PageNo, std::unique_ptr<uint8_t[]>> dirty_;
};

}  // namespace crashlab::pagejournal
