// pagejournal's scratch file: a memory-mapped array of page slots holding the
// pages of recent transactions until the flush copies them into the data
// file. It is temporary: created in the store directory and unlinked at once,
// so nothing in it survives a crash, and it is never synced. With the bug
// recover-from-scratch it is instead a named file, <dir>/scratch, and each
// slot starts with a tag (page number, transaction id, page count) that the
// buggy recovery trusts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engines/pagejournal/file_util.h"
#include "engines/pagejournal/page_store.h"
#include "framework/base/status.h"

namespace crashlab::pagejournal {

using Slot = uint32_t;

// A tagged slot read back by the buggy recovery.
struct ScratchSlot {
  PageNo page = 0;
  uint64_t txn = 0;
  PageNo page_count = 0;  // of the store after that transaction
  std::vector<uint8_t> bytes;
};

class Scratch {
 public:
  static constexpr std::size_t kTagBytes = 64;

  // A new, empty scratch file for the store in `dir`: temporary, or the named
  // and tagged <dir>/scratch with `named`.
  [[nodiscard]] static Result<std::unique_ptr<Scratch>> Create(const std::string& dir,
                                                               uint32_t page_size, bool named);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  // Makes sure `n` slots can be taken without growing the file; growing moves
  // the mapping, so earlier page pointers become invalid.
  [[nodiscard]] Status Reserve(std::size_t n);
  // A free slot; Reserve must have made room for it.
  Slot Take();
  // Gives `slot` back for reuse.
  void Release(Slot slot);
  // The page bytes of `slot`.
  uint8_t* page(Slot slot) { return map_ + slot * stride_ + tag_bytes_; }
  const uint8_t* page(Slot slot) const { return map_ + slot * stride_ + tag_bytes_; }
  // Tags `slot` (named scratch only; otherwise does nothing).
  void Tag(Slot slot, PageNo page, uint64_t txn, PageNo page_count);

  std::size_t capacity() const { return capacity_; }
  std::size_t used() const { return capacity_ - free_.size(); }
  bool IsFree(Slot slot) const;

  // The tagged slots of <dir>/scratch (bug recover-from-scratch) whose
  // transaction is after `after_txn`, ordered by transaction id. An absent
  // file has none.
  [[nodiscard]] static Result<std::vector<ScratchSlot>> ReadTagged(const std::string& dir,
                                                                   uint32_t page_size,
                                                                   uint64_t after_txn);

 private:
  Scratch(std::string path, uint32_t page_size, bool named, Fd fd);
  Status Grow(std::size_t capacity);

  std::string path_;
  uint32_t page_size_;
  std::size_t tag_bytes_;
  std::size_t stride_;
  Fd fd_;
  uint8_t* map_ = nullptr;
  std::size_t capacity_ = 0;
  std::vector<Slot> free_;  // a stack; the lowest slot on top
};

}  // namespace crashlab::pagejournal
