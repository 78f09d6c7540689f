#include "engines/pagejournal/pager.h"

#include <cstring>
#include <string>
#include <unordered_set>

#include "engines/pagejournal/points.h"
#include "faults/points/point.h"

namespace crashlab::pagejournal {

Pager::Pager(DataFile& data, Scratch& scratch, uint32_t page_size, PageNo page_count,
             uint64_t last_txn)
    : data_(data),
      scratch_(scratch),
      page_size_(page_size),
      page_count_(page_count),
      last_txn_(last_txn),
      zero_page_(page_size, 0) {}

const uint8_t* Pager::ReadCommitted(PageNo n) const {
  if (auto it = ptt_.find(n); it != ptt_.end()) return scratch_.page(it->second.slot);
  // A page the data file lacks can only come from a damaged store; zeros
  // make the index check report it.
  if (n >= data_.pages()) return zero_page_.data();
  return data_.page(n);
}

Status Pager::Reserve(std::size_t pages) { return scratch_.Reserve(pages); }

void Pager::Install(uint64_t txn, PageNo page_count, const std::vector<PageImage>& images) {
  CRASHLAB_POINT(points::kScratchUpdateBefore);
  std::vector<PttEntry> installed;
  installed.reserve(images.size());
  for (const PageImage& image : images) {
    const Slot slot = scratch_.Take();
    scratch_.Tag(slot, image.page, txn, page_count);
    std::memcpy(scratch_.page(slot), image.bytes, page_size_);
    installed.push_back({image.page, slot, txn});
    if (installed.size() == 1 && images.size() > 1) CRASHLAB_POINT(points::kScratchUpdatePartial);
  }
  for (const PttEntry& e : installed) {
    auto [it, inserted] = ptt_.try_emplace(e.page, e);
    if (!inserted) {
      retired_.push_back(it->second.slot);
      it->second = e;
    }
  }
  page_count_ = page_count;
  last_txn_ = txn;
  CRASHLAB_POINT(points::kScratchUpdateAfter);
}

std::vector<PttEntry> Pager::Snapshot() const {
  std::vector<PttEntry> entries;
  entries.reserve(ptt_.size());
  for (const auto& [page, entry] : ptt_) entries.push_back(entry);
  return entries;
}

void Pager::Release(const std::vector<PttEntry>& snapshot) {
  for (const PttEntry& e : snapshot) {
    auto it = ptt_.find(e.page);
    if (it != ptt_.end() && it->second.slot == e.slot) {
      ptt_.erase(it);
      scratch_.Release(e.slot);
    }
  }
  // A retired slot is superseded in the PTT, and the only flush that could
  // have been copying from it is the one calling Release.
  for (Slot slot : retired_) scratch_.Release(slot);
  retired_.clear();
}

Status Pager::CheckStructure() const {
  std::unordered_set<Slot> seen;
  for (const auto& [page, e] : ptt_) {
    const std::string where = "page translation table entry for page " + std::to_string(page);
    if (page != e.page || page >= page_count_)
      return Status::Error(where + " is beyond the store's " + std::to_string(page_count_) +
                           " pages");
    if (e.txn == 0 || e.txn > last_txn_)
      return Status::Error(where + " names transaction " + std::to_string(e.txn) +
                           ", after the last one, " + std::to_string(last_txn_));
    if (e.slot >= scratch_.capacity() || scratch_.IsFree(e.slot) || !seen.insert(e.slot).second)
      return Status::Error(where + " names scratch slot " + std::to_string(e.slot) +
                           ", which is out of range, free or shared");
  }
  for (Slot slot : retired_) {
    if (!seen.insert(slot).second || scratch_.IsFree(slot))
      return Status::Error("retired scratch slot " + std::to_string(slot) +
                           " is also free or still in use");
  }
  return Status::Ok();
}

const uint8_t* Transaction::Read(PageNo n) {
  if (auto it = dirty_.find(n); it != dirty_.end()) return it->second.get();
  return pager_.ReadCommitted(n);
}

uint8_t* Transaction::Write(PageNo n) {
  auto it = dirty_.find(n);
  if (it == dirty_.end()) {
    auto copy = std::make_unique<uint8_t[]>(page_size());
    std::memcpy(copy.get(), pager_.ReadCommitted(n), page_size());
    it = dirty_.emplace(n, std::move(copy)).first;
  }
  return it->second.get();
}

PageNo Transaction::Extend() {
  const PageNo n = page_count_++;
  dirty_[n] = std::make_unique<uint8_t[]>(page_size());  // value-initialised: zeros
  return n;
}

std::vector<PageImage> Transaction::Changes() const {
  std::vector<PageImage> images;
  images.reserve(dirty_.size());
  for (const auto& [page, bytes] : dirty_) images.push_back({page, bytes.get()});
  return images;
}

}  // namespace crashlab::pagejournal
