#include "engines/pagejournal/journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engines/pagejournal/points.h"
#include "faults/points/point.h"

namespace crashlab::pagejournal {
namespace {

constexpr std::string_view kPrefix = "journal.";
constexpr std::size_t kDigits = 6;

// Says once per process that the file system refused O_DIRECT.
void WarnNoDirect(const std::string& path) {
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true)) {
    std::fprintf(stderr,
                 "crashlab-engine-pagejournal: the file system refuses O_DIRECT on %s; journal "
                 "records are written with O_DSYNC alone (still durable, through the page "
                 "cache)\n",
                 path.c_str());
  }
}

}  // namespace

std::string JournalFileName(uint64_t number) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%0*llu", static_cast<int>(kDigits),
                static_cast<unsigned long long>(number));
  return std::string(kPrefix) + digits;
}

std::optional<uint64_t> ParseJournalFileName(std::string_view name) {
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const std::string_view digits = name.substr(kPrefix.size());
  if (digits.size() < kDigits || digits.size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n == 0 || JournalFileName(n) != name) return std::nullopt;
  return n;
}

Result<std::vector<uint64_t>> ListJournals(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoError("cannot list directory", dir, errno);
  std::vector<uint64_t> numbers;
  while (const dirent* e = ::readdir(d)) {
    if (std::optional<uint64_t> n = ParseJournalFileName(e->d_name)) numbers.push_back(*n);
  }
  ::closedir(d);
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

Result<std::unique_ptr<JournalWriter>> JournalWriter::Open(JournalConfig config, JournalPos pos,
                                                           std::vector<uint64_t> present) {
  std::unique_ptr<JournalWriter> w(new JournalWriter(std::move(config)));
  std::sort(present.begin(), present.end());
  w->present_ = std::move(present);
  if (Status s = w->OpenCurrent(pos.file, 0); !s.ok()) return s;
  if (pos.offset > w->capacity_ || pos.offset % kRecordAlign != 0)
    return Status::Error("journal position " + std::to_string(pos.offset) + " is not a record " +
                         "boundary inside " + w->PathOf(pos.file));
  w->offset_ = pos.offset;
  return w;
}

std::string JournalWriter::PathOf(uint64_t number) const {
  return config_.dir + "/" + JournalFileName(number);
}

Status JournalWriter::Create(uint64_t number, uint64_t size) {
  const std::string path = PathOf(number);
  CRASHLAB_POINT(points::kJournalCreateBefore);
  Result<Fd> fd = OpenFile(path, O_RDWR | O_CREAT | O_TRUNC);
  if (!fd.ok()) return fd.status();
  if (Status s = Preallocate(fd->get(), size, path); !s.ok()) return s;
  // DURABILITY: makes the file's size and block allocation durable once, so
  // that each O_DSYNC record write is a pure data write; without it a power
  // loss can leave the file shorter than the acknowledged records in it.
  if (::fsync(fd->get()) != 0) return ErrnoError("fsync failed on", path, errno);
  if (config_.sync_new_names) {
    // DURABILITY: the new journal's name must be durable before any record in
    // it is acknowledged; without this sync a power loss can drop the file,
    // and with it acknowledged transactions (bug new-journal-no-dirsync).
    if (Status s = SyncDirectory(config_.dir); !s.ok()) return s;
  }
  present_.insert(std::upper_bound(present_.begin(), present_.end(), number), number);
  CRASHLAB_POINT(points::kJournalCreateAfter);
  return Status::Ok();
}

Status JournalWriter::OpenCurrent(uint64_t number, uint64_t min_size) {
  const uint64_t size =
      std::max(config_.file_size, PaddedLength(min_size) + config_.file_size - 1) /
      config_.file_size * config_.file_size;
  if (!std::binary_search(present_.begin(), present_.end(), number)) {
    if (Status s = Create(number, size); !s.ok()) return s;
  }
  const std::string path = PathOf(number);
  int raw;
  if (config_.write_through) {
    // DURABILITY: O_DSYNC makes each record write return only once the record
    // (and the metadata needed to read it) is on stable storage, so a commit
    // acknowledged after Append returns survives a power loss. O_DIRECT keeps
    // the journal out of the page cache, as the seed design does.
    raw = ::open(path.c_str(), O_WRONLY | O_DIRECT | O_DSYNC | O_CLOEXEC);
    if (raw < 0 && errno == EINVAL) {
      WarnNoDirect(path);
      // DURABILITY: without O_DIRECT the record passes through the page
      // cache, but O_DSYNC still returns only once it is on stable storage.
      raw = ::open(path.c_str(), O_WRONLY | O_DSYNC | O_CLOEXEC);
    }
  } else {
    raw = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);  // bug journal-no-sync: buffered, unsynced
  }
  if (raw < 0) return ErrnoError("cannot open journal", path, errno);
  Fd fd(raw);
  Result<uint64_t> file_size = FileSize(fd.get(), path);
  if (!file_size.ok()) return file_size.status();
  if (*file_size < min_size) {
    if (Status s = Preallocate(fd.get(), size, path); !s.ok()) return s;
    // DURABILITY: as in Create: the grown size must be durable before records
    // written into the new part are acknowledged.
    if (::fsync(fd.get()) != 0) return ErrnoError("fsync failed on", path, errno);
    *file_size = size;
  }
  fd_ = std::move(fd);
  current_ = number;
  offset_ = 0;
  capacity_ = *file_size / kRecordAlign * kRecordAlign;
  return Status::Ok();
}

Status JournalWriter::Append(const AlignedBuffer& record, bool* maybe_written) {
  *maybe_written = false;
  const uint64_t length = record.size();
  if (offset_ + length > capacity_) {
    // Recovery follows: at an invalid record it looks at the start of the next
    // file for the transaction id it expects.
    const uint64_t next = offset_ == 0 ? current_ : current_ + 1;
    if (Status s = OpenCurrent(next, length); !s.ok()) return s;
  }
  *maybe_written = true;
  // DURABILITY: the O_DSYNC write of the record (O_DIRECT too where allowed);
  // when it returns, the transaction survives a power loss, and the caller
  // may acknowledge it. In bug journal-no-sync it only reaches the page cache.
  if (Status s = WriteAt(fd_.get(), record.data(), length, offset_, PathOf(current_)); !s.ok())
    return s;
  offset_ += length;
  return Status::Ok();
}

Status JournalWriter::RecycleBefore(uint64_t file) {
  std::vector<uint64_t> old;
  for (uint64_t n : present_) {
    if (n < file && n != current_) old.push_back(n);
  }
  if (old.empty()) return Status::Ok();
  CRASHLAB_POINT(points::kJournalRecycleBefore);
  for (uint64_t n : old) {
    present_.erase(std::find(present_.begin(), present_.end(), n));
    const std::size_t spares = static_cast<std::size_t>(
        present_.end() - std::upper_bound(present_.begin(), present_.end(), current_));
    if (spares < kMaxSpares) {
      const uint64_t to = present_.back() + 1;
      // DURABILITY: the rename is atomic, so journal `n` is whole under one
      // name or the other; it holds only records the durable checkpoint has
      // passed. Its new name is made durable by the directory sync below,
      // before any record is written into it.
      if (::rename(PathOf(n).c_str(), PathOf(to).c_str()) != 0)
        return ErrnoError("cannot rename " + PathOf(n) + " to", PathOf(to), errno);
      present_.push_back(to);
    } else if (Status s = RemoveIfExists(PathOf(n)); !s.ok()) {
      return s;
    }
  }
  // DURABILITY: a recycled journal's new name must be durable before the
  // writer puts records in it; without this sync a power loss can revert the
  // rename, and acknowledged records would sit under the old, lower number,
  // which recovery never reads.
  if (Status s = SyncDirectory(config_.dir); !s.ok()) return s;
  CRASHLAB_POINT(points::kJournalRecycleAfter);
  return Status::Ok();
}

Result<std::optional<Record>> JournalReader::ReadAt(JournalPos pos, std::string* why) {
  auto none = [&](std::string reason) -> Result<std::optional<Record>> {
    if (why != nullptr) *why = std::move(reason);
    return std::optional<Record>();
  };
  const std::string path = dir_ + "/" + JournalFileName(pos.file);
  if (open_number_ != pos.file || !fd_.valid()) {
    fd_.Reset();
    open_number_ = 0;
    Result<Fd> fd = OpenFile(path, O_RDONLY);
    if (!fd.ok()) {
      if (errno == ENOENT) return none("no file " + path);
      return fd.status();
    }
    Result<uint64_t> size = FileSize(fd->get(), path);
    if (!size.ok()) return size.status();
    fd_ = std::move(*fd);
    size_ = *size;
    open_number_ = pos.file;
  }
  if (pos.offset >= size_) return none("end of " + path);
  const uint64_t room = size_ - pos.offset;
  uint8_t head[kRecordHeaderBytes];
  Result<std::size_t> n = pagejournal::ReadAt(fd_.get(), head, sizeof head, pos.offset, path);
  if (!n.ok()) return n.status();
  if (*n < kRecordHeaderBytes) return none("record header cut short at the end of " + path);
  Result<RecordHeader> header = ParseRecordHeader(head, room, page_size_);
  if (!header.ok()) return none(header.status().message());
  std::vector<uint8_t> bytes(header->length);
  n = pagejournal::ReadAt(fd_.get(), bytes.data(), bytes.size(), pos.offset, path);
  if (!n.ok()) return n.status();
  Result<Record> record = DecodeRecord(bytes.data(), *n, room, page_size_, verify_);
  if (!record.ok()) return none(record.status().message());
  return std::optional<Record>(std::move(record.value()));
}

}  // namespace crashlab::pagejournal
