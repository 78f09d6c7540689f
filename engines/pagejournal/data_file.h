// pagejournal's data file, <dir>/data: fixed-size pages, page n at byte
// n * page_size, memory-mapped MAP_SHARED and written through the mapping by
// the flush (and by recovery). Made durable by Sync, now and then, never on
// a commit. Not thread-safe: the store serialises growth and Sync.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engines/pagejournal/file_util.h"
#include "engines/pagejournal/page_store.h"
#include "framework/base/status.h"

namespace crashlab::pagejournal {

class DataFile {
 public:
  // Opens (creating when absent; emptied first with `truncate`) the data file
  // at `path` and maps it.
  [[nodiscard]] static Result<std::unique_ptr<DataFile>> Open(const std::string& path,
                                                              uint32_t page_size, bool truncate);
  ~DataFile();
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;

  // Whole pages the file holds (some may lie beyond the store's page count).
  PageNo pages() const { return pages_; }
  // Page `n` in the mapping, n < pages(). Valid until EnsurePages grows it.
  uint8_t* page(PageNo n) { return map_ + n * page_size_; }
  const uint8_t* page(PageNo n) const { return map_ + n * page_size_; }

  // Grows the file and its mapping to hold at least `n` pages (new pages read
  // as zeros). Moves the mapping: earlier page pointers become invalid.
  [[nodiscard]] Status EnsurePages(PageNo n);

  // Makes every page written through the mapping durable: msync(MS_SYNC) of
  // the whole mapping, then fdatasync when the file grew since the last Sync.
  [[nodiscard]] Status Sync();

 private:
  DataFile(std::string path, uint32_t page_size, Fd fd)
      : path_(std::move(path)), page_size_(page_size), fd_(std::move(fd)) {}
  Status Map(PageNo pages);
  void Unmap();

  std::string path_;
  uint32_t page_size_;
  Fd fd_;
  uint8_t* map_ = nullptr;
  PageNo pages_ = 0;
  bool grown_ = false;
};

}  // namespace crashlab::pagejournal
