// Helpers for pagejournal's unit tests: scratch directories, a simulated
// process kill (copying a live store's files, which is what the page cache
// holds), byte surgery on journal files, and operations to apply.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "framework/protocol/protocol.h"

namespace crashlab::pagejournal::testing_support {

// The page size the tests' stores and journal records use.
inline constexpr uint32_t kPage = 4096;

// A fresh directory under the test's temporary directory, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "/pagejournal_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << pattern;
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// What a process kill would leave of the live store in `from`: the files as
// the kernel holds them (a memory-mapped page is in the page cache; the
// unlinked scratch file is gone), copied to `to`.
inline void CopyStore(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

inline std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Overwrites `bytes` at `offset` in the existing file `path`.
inline void Overwrite(const std::string& path, uint64_t offset, const std::vector<uint8_t>& bytes) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  ASSERT_TRUE(f.good()) << path;
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good()) << path;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// Order-insensitive form of a dump.
inline std::map<std::string, std::string> AsMap(const Pairs& pairs) {
  return std::map<std::string, std::string>(pairs.begin(), pairs.end());
}

// A put of `key` = `value`, as a transaction's operation.
inline protocol::Op Put(std::string key, std::string value) {
  protocol::Op op;
  op.is_put = true;
  op.key = std::move(key);
  op.value = std::move(value);
  return op;
}

// A delete of `key`, as a transaction's operation.
inline protocol::Op Del(std::string key) {
  protocol::Op op;
  op.is_put = false;
  op.key = std::move(key);
  return op;
}

}  // namespace crashlab::pagejournal::testing_support
