// Test support: a fresh directory for a test, removed with its contents.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace crashlab::faults {

// A new directory under $TMPDIR (or /tmp), named after `prefix`; removed with
// everything in it when the object goes. path() is empty if it could not be
// made.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "crashlab_faults_test") {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + "_XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace crashlab::faults
