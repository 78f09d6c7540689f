#include "engines/pagejournal/data_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace crashlab::pagejournal {
namespace {

// Growth step, so that a store growing page by page remaps rarely.
constexpr PageNo kGrowPages = 16;

}  // namespace

Result<std::unique_ptr<DataFile>> DataFile::Open(const std::string& path, uint32_t page_size,
                                                 bool truncate) {
  Result<Fd> fd = OpenFile(path, O_RDWR | O_CREAT | (truncate ? O_TRUNC : 0));
  if (!fd.ok()) return fd.status();
  Result<uint64_t> size = FileSize(fd->get(), path);
  if (!size.ok()) return size.status();
  std::unique_ptr<DataFile> data(new DataFile(path, page_size, std::move(*fd)));
  if (Status s = data->Map(*size / page_size); !s.ok()) return s;
  return data;
}

DataFile::~DataFile() { Unmap(); }

void DataFile::Unmap() {
  if (map_ != nullptr) ::munmap(map_, pages_ * page_size_);
  map_ = nullptr;
  pages_ = 0;
}

Status DataFile::Map(PageNo pages) {
  Unmap();
  if (pages == 0) return Status::Ok();
  void* p = ::mmap(nullptr, pages * page_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
  if (p == MAP_FAILED) return ErrnoError("cannot map", path_, errno);
  map_ = static_cast<uint8_t*>(p);
  pages_ = pages;
  return Status::Ok();
}

Status DataFile::EnsurePages(PageNo n) {
  if (n <= pages_) return Status::Ok();
  const PageNo pages = (n + kGrowPages - 1) / kGrowPages * kGrowPages;
  if (::ftruncate(fd_.get(), static_cast<off_t>(pages * page_size_)) != 0)
    return ErrnoError("cannot grow", path_, errno);
  grown_ = true;
  return Map(pages);
}

Status DataFile::Sync() {
  // DURABILITY: the data file's pages reach stable storage only here; the
  // caller writes a checkpoint naming them only after this returns (see
  // Store::Flush), else a power loss leaves a checkpoint whose pages are gone
  // while recovery skips the journal records that held them.
  if (map_ != nullptr && ::msync(map_, pages_ * page_size_, MS_SYNC) != 0)
    return ErrnoError("msync failed on", path_, errno);
  if (grown_) {
    // DURABILITY: msync flushes the pages; the file's new size is metadata,
    // made durable here, before a checkpoint counts pages past the old end.
    if (::fdatasync(fd_.get()) != 0) return ErrnoError("fdatasync failed on", path_, errno);
    grown_ = false;
  }
  return Status::Ok();
}

}  // namespace crashlab::pagejournal
