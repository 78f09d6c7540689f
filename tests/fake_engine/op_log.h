// The fake engine's storage: one append-only file of checksummed records,
// each holding the operations of one commit. Opening replays the whole log and
// cuts off a torn tail, so the next append starts on a record boundary.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engines/adapter/adapter.h"

namespace crashlab::fake {

class OpLog {
 public:
  ~OpLog() { (void)Close(); }
  // Opens <dir>/log (creating dir and file) and returns the state it holds.
  Result<std::map<std::string, std::string>> Open(const std::string& dir);
  // Appends one record and fdatasyncs it before returning.
  Status Append(const std::vector<adapter::Op>& ops);
  // Whether every record up to the end of the file is whole.
  Status Verify();
  Status Close();
  std::size_t Size() const { return size_; }
  // Write records with the raw system call, past any LD_PRELOAD interposer,
  // as a static binary or io_uring would.
  void UseRawSyscalls() { raw_syscalls_ = true; }

 private:
  int fd_ = -1;
  std::string path_;
  std::size_t size_ = 0;  // bytes of whole records
  bool raw_syscalls_ = false;
};

}  // namespace crashlab::fake
