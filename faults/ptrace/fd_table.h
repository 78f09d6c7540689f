// What the recorder knows about one process's descriptors (threads share one
// table; fork copies it), and the reply lines a process has begun but not
// ended. A descriptor absent from the table is worked out from /proc by the
// recorder (Recorder::Lookup) and then cached, so one obtained by a call the
// filter lets through (socket, pipe, a descriptor passed over a socket) is
// still classified right. A cached entry stays right because every way a
// descriptor number is freed or replaced is traced: close, close_range,
// dup2/dup3 onto it, and exec (which drops the CLOEXEC ones).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace crashlab::ptrace {

enum class FdKind : uint8_t {
  kOther,      // not traced: outside the case dir, untraced, a socket, a pipe...
  kTraced,     // a file or directory under the case dir
  kReplyPipe,  // the protocol pipe (CRASHLAB_REPLY_PIPE)
  kPoint,      // the named-point descriptor (CRASHLAB_POINT_FD), still /dev/null
};

struct FdEntry {
  FdKind kind = FdKind::kOther;
  uint64_t file = 0;  // kTraced: the file id
  std::string path;   // kTraced: relative to the case dir, as first seen
};

class FdTable {
 public:
  // The entry of `fd`, or nullptr when the table has none.
  const FdEntry* Find(int fd) const;
  void Set(int fd, FdEntry entry);
  void Forget(int fd);
  // close_range(first, last): forgets every descriptor in [first, last].
  void ForgetRange(uint64_t first, uint64_t last);
  // After a successful dup of `from` to `to`: `to` is what `from` is (or
  // unknown when `from` is), whatever `to` was before (dup2 closed it silently).
  void Dup(int from, int to);
  // Every descriptor the table holds.
  std::vector<int> Descriptors() const;

 private:
  std::map<int, FdEntry> fds_;
};

// Splits what a process writes to the protocol pipe into lines; a line not
// yet ended by '\n' waits for the rest.
class LineSplitter {
 public:
  // The lines `bytes` completes, without their '\n'.
  std::vector<std::string> Append(std::string_view bytes);
  void Clear() { partial_.clear(); }

 private:
  std::string partial_;
};

}  // namespace crashlab::ptrace
