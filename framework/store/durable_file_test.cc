#include "framework/store/durable_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace crashlab {
namespace {

namespace fs = std::filesystem;

class DurableFile : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::TempDir() + "/durable_file_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << pattern;
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string Contents(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir_;
};

TEST_F(DurableFile, ReplacesAnExistingFileWholeAndLeavesNoTemporaryFile) {
  const fs::path path = dir_ / "report.html";
  std::ofstream(path) << "the old report, longer than the new one";
  ASSERT_TRUE(ReplaceFileDurably(path.string(), std::string("new\0bytes", 9)).ok());
  EXPECT_EQ(Contents(path), std::string("new\0bytes", 9));
  EXPECT_FALSE(fs::exists(dir_ / "report.html.tmp"));
}

TEST_F(DurableFile, AMissingDirectoryIsAnErrorNamingTheFileAndLeavesNothing) {
  const fs::path path = dir_ / "absent" / "cases.xml";
  const Status s = ReplaceFileDurably(path.string(), "<testsuites/>");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path.string() + ".tmp"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("No such file or directory"), std::string::npos) << s.message();
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(DurableFile, ARenameOverADirectoryFailsAndKeepsWhatWasThere) {
  // The final name is taken by a directory with something in it: the rename
  // fails, the directory stays, the temporary file goes.
  fs::create_directories(dir_ / "out" / "kept");
  const Status s = ReplaceFileDurably((dir_ / "out").string(), "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot rename"), std::string::npos) << s.message();
  EXPECT_TRUE(fs::is_directory(dir_ / "out" / "kept"));
  EXPECT_FALSE(fs::exists(dir_ / "out.tmp"));
}

}  // namespace
}  // namespace crashlab
