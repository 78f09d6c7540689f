#include "faults/ptrace/fd_table.h"

#include <utility>

namespace crashlab::ptrace {

const FdEntry* FdTable::Find(int fd) const {
  auto it = fds_.find(fd);
  return it == fds_.end() ? nullptr : &it->second;
}

void FdTable::Set(int fd, FdEntry entry) { fds_[fd] = std::move(entry); }

void FdTable::Forget(int fd) { fds_.erase(fd); }

void FdTable::ForgetRange(uint64_t first, uint64_t last) {
  for (auto it = fds_.lower_bound(static_cast<int>(first > INT32_MAX ? INT32_MAX : first));
       it != fds_.end() && static_cast<uint64_t>(it->first) <= last;) {
    it = fds_.erase(it);
  }
}

void FdTable::Dup(int from, int to) {
  if (from == to) return;
  const FdEntry* source = Find(from);
  if (source == nullptr) {
    fds_.erase(to);
    return;
  }
  FdEntry copy = *source;
  fds_[to] = std::move(copy);
}

std::vector<int> FdTable::Descriptors() const {
  std::vector<int> out;
  out.reserve(fds_.size());
  for (const auto& [fd, entry] : fds_) out.push_back(fd);
  return out;
}

std::vector<std::string> LineSplitter::Append(std::string_view bytes) {
  partial_.append(bytes);
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(partial_.substr(start, nl - start));
  }
  partial_.erase(0, start);
  return lines;
}

}  // namespace crashlab::ptrace
