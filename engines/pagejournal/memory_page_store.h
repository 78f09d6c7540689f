// A PageStore in memory, for tests of code written against PageStore.
//
// It enforces the pointer contract of PageStore strictly: every pointer it
// hands out (from Read or Write) is freed at the next Write or Extend, the
// earliest moment the contract allows. A caller that keeps one too long reads
// freed memory, which AddressSanitizer reports, instead of passing by luck
// because this store, unlike the pager, never moves pages.
#pragma once

#include <cstring>
#include <memory>
#include <vector>

#include "engines/pagejournal/page_store.h"

namespace crashlab::pagejournal {

class MemoryPageStore : public PageStore {
 public:
  explicit MemoryPageStore(std::size_t page_size) : page_size_(page_size) {}

  std::size_t page_size() const override { return page_size_; }
  PageNo page_count() const override { return pages_.size(); }

  const uint8_t* Read(PageNo n) override { return HandOut(n); }

  uint8_t* Write(PageNo n) override {
    InvalidateHandedOut();
    return HandOut(n);
  }

  PageNo Extend() override {
    InvalidateHandedOut();
    pages_.push_back(std::make_unique<uint8_t[]>(page_size_));  // zeroed
    handed_.push_back(false);
    return pages_.size() - 1;
  }

 private:
  uint8_t* HandOut(PageNo n) {
    uint8_t* page = pages_.at(n).get();
    if (!handed_[n]) {
      handed_[n] = true;
      handed_out_.push_back(n);
    }
    return page;
  }

  // Moves every page whose address was handed out to a new buffer and frees
  // the old one.
  void InvalidateHandedOut() {
    for (PageNo n : handed_out_) {
      auto moved = std::make_unique<uint8_t[]>(page_size_);
      std::memcpy(moved.get(), pages_[n].get(), page_size_);
      pages_[n] = std::move(moved);
      handed_[n] = false;
    }
    handed_out_.clear();
  }

  std::size_t page_size_;
  std::vector<std::unique_ptr<uint8_t[]>> pages_;
  std::vector<PageNo> handed_out_;  // pages whose current buffer a caller may hold
  std::vector<bool> handed_;        // by page: listed in handed_out_
};

}  // namespace crashlab::pagejournal
