#include "faults/ptrace/trace_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faults/trace_encoding.h"

namespace crashlab::ptrace {
namespace {

namespace enc = faults::encoding;

void WriteAll(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // best effort, as the library's: the engine runs on
    done += static_cast<std::size_t>(n);
  }
}

void PutString(std::string& out, std::string_view s) {
  unsigned char len[4];
  enc::PutU32(len, static_cast<uint32_t>(s.size()));
  out.append(reinterpret_cast<const char*>(len), 4);
  out.append(s);
}

}  // namespace

std::string EncodeRecord(const Rec& rec) {
  const std::string_view strings[enc::kStringFields] = {rec.path, rec.path2, rec.data, rec.name};
  uint64_t strings_size = 0;
  for (const std::string_view& s : strings) strings_size += s.size();
  enc::BodyFixed f;
  f.kind = static_cast<uint8_t>(rec.kind);
  f.thread = rec.thread;
  f.file = rec.file;
  f.flags = rec.flags;
  f.offset = rec.offset;
  f.length = rec.length;
  unsigned char prefix[4 + enc::kBodyFixedSize];
  enc::PutRecordPrefix(prefix, f, strings_size);
  std::string out;
  out.reserve(sizeof(prefix) + 4 * enc::kStringFields + strings_size);
  out.append(reinterpret_cast<const char*>(prefix), sizeof(prefix));
  for (const std::string_view& s : strings) PutString(out, s);
  return out;
}

std::string EncodeHeader(const std::string& case_dir) {
  std::string h(enc::kMagic, sizeof(enc::kMagic));
  unsigned char b[8];
  enc::PutU32(b, enc::kVersion);
  enc::PutU32(b + 4, static_cast<uint32_t>(case_dir.size()));
  h.append(reinterpret_cast<char*>(b), 8);
  return h + case_dir;
}

TraceWriter::~TraceWriter() {
  Flush();
  if (fd_ >= 0) ::close(fd_);
}

bool TraceWriter::Open(const std::string& path, const std::string& case_dir) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return false;
  path_ = path;
  struct stat st;
  if (::fstat(fd_, &st) == 0 && st.st_size == 0) WriteAll(fd_, EncodeHeader(case_dir));
  return true;
}

void TraceWriter::Append(const Rec& rec) {
  if (fd_ >= 0) pending_ += EncodeRecord(rec);
}

void TraceWriter::Flush() {
  if (fd_ >= 0 && !pending_.empty()) WriteAll(fd_, pending_);
  pending_.clear();
}

void TraceWriter::AppendLine(const std::string& list, int& noted, const std::string& line) {
  if (noted >= 16) return;  // the first few name the problem well enough
  ++noted;
  const int fd = ::open(list.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  WriteAll(fd, line);
  ::close(fd);
}

void TraceWriter::NoteWriteOutside(const std::string& abs) {
  for (const char* system : {"/dev/", "/proc/", "/sys/"}) {
    if (abs.rfind(system, 0) == 0) return;
  }
  AppendLine(path_ + faults::kOutsideSuffix, outside_noted_, abs + "\n");
}

void TraceWriter::NoteNoSpace(int err, uint64_t bytes, const std::string& rel) {
  // On a full file system the line may not fit, but creating the list needs
  // only an inode: its existence is the signal the controller stops at.
  AppendLine(path_ + faults::kNoSpaceSuffix, nospace_noted_,
             std::string(err == ENOSPC ? "ENOSPC " : "EDQUOT ") + std::to_string(bytes) + " " +
                 rel + "\n");
}

}  // namespace crashlab::ptrace
