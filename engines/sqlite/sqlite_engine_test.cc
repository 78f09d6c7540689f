#include "engines/sqlite/sqlite_engine.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace crashlab::engines {
namespace {

namespace fs = std::filesystem;
using adapter::Op;

class SqliteEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "crashlab-sqlite-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  static SqliteOptions Options(const std::string& journal, const std::string& sync) {
    return SqliteOptions{journal, sync};
  }

  fs::path root_;
};

TEST(ParseSqliteOptions, AcceptsEveryModeAndLevel) {
  for (const char* mode : {"delete", "truncate", "persist", "wal", "memory", "off"}) {
    for (const char* level : {"off", "normal", "full", "extra"}) {
      Result<SqliteOptions> o = ParseSqliteOptions(
          {std::string("--journal-mode=") + mode, std::string("--synchronous=") + level});
      ASSERT_TRUE(o.ok()) << o.status().message();
      EXPECT_EQ(o->journal_mode, mode);
      EXPECT_EQ(o->synchronous, level);
    }
  }
}

TEST(ParseSqliteOptions, RejectsUnknownOptionNamingIt) {
  Result<SqliteOptions> o = ParseSqliteOptions({"--fsync=always"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("--fsync=always"), std::string::npos);
  EXPECT_NE(o.status().message().find("--journal-mode="), std::string::npos);
}

TEST(ParseSqliteOptions, RejectsBadValueListingValidOnes) {
  Result<SqliteOptions> o = ParseSqliteOptions({"--synchronous=FULL"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("--synchronous"), std::string::npos);
  EXPECT_NE(o.status().message().find("off|normal|full|extra"), std::string::npos);
  EXPECT_FALSE(ParseSqliteOptions({"--journal-mode"}).ok());
}

TEST_F(SqliteEngineTest, Commit_ArbitraryBytesAndEmptyValuesRoundTrip) {
  SqliteEngine engine(Options("wal", "full"));
  ASSERT_TRUE(engine.Open((root_ / "a" / "b").string()).ok());  // creates both levels
  const std::string nul_key("k\0ey", 4);
  const std::string nul_value("\0\xff\n ", 4);
  ASSERT_TRUE(engine.Commit({Op{true, nul_key, nul_value}, Op{true, "empty", ""}}).ok());

  Result<std::optional<std::string>> v = engine.Get(nul_key);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(**v, nul_value);
  v = engine.Get("empty");
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->has_value()) << "an empty value must not read as absent";
  EXPECT_EQ(**v, "");
  v = engine.Get(std::string("k", 1));  // a prefix of nul_key is a different key
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
}

TEST_F(SqliteEngineTest, Dump_IsOrderedAndReflectsDeletes) {
  SqliteEngine engine(Options("delete", "full"));
  ASSERT_TRUE(engine.Open(root_.string()).ok());
  ASSERT_TRUE(engine.Commit({Op{true, "b", "2"}, Op{true, "a", "1"}, Op{true, "c", "3"}}).ok());
  ASSERT_TRUE(engine.Commit({Op{false, "b", ""}, Op{true, "a", "one"}}).ok());
  auto pairs = engine.Dump();
  ASSERT_TRUE(pairs.ok());
  const std::vector<std::pair<std::string, std::string>> want = {{"a", "one"}, {"c", "3"}};
  EXPECT_EQ(*pairs, want);
}

TEST_F(SqliteEngineTest, Close_ThenOpenAgainSeesOnlyThatDirectory) {
  SqliteEngine engine(Options("truncate", "normal"));
  ASSERT_TRUE(engine.Open((root_ / "one").string()).ok());
  ASSERT_TRUE(engine.Commit({Op{true, "k", "in-one"}}).ok());
  ASSERT_TRUE(engine.Close().ok());
  ASSERT_TRUE(engine.Open((root_ / "two").string()).ok());
  auto pairs = engine.Dump();
  ASSERT_TRUE(pairs.ok());
  EXPECT_TRUE(pairs->empty());
  ASSERT_TRUE(engine.Close().ok());
  ASSERT_TRUE(engine.Open((root_ / "one").string()).ok());
  Result<std::optional<std::string>> v = engine.Get("k");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value_or("<absent>"), "in-one");
}

TEST_F(SqliteEngineTest, Open_AppliesJournalMode) {
  SqliteEngine engine(Options("wal", "normal"));
  ASSERT_TRUE(engine.Open(root_.string()).ok());
  ASSERT_TRUE(engine.Commit({Op{true, "k", "v"}}).ok());
  EXPECT_GT(fs::file_size(root_ / "kv.db-wal"), 0u) << "the commit should sit in the WAL";
  std::optional<Status> s = engine.Checkpoint();
  ASSERT_TRUE(s.has_value() && s->ok()) << (s ? s->message() : "unsupported");
  EXPECT_EQ(fs::file_size(root_ / "kv.db-wal"), 0u) << "TRUNCATE checkpoint empties the WAL";
  s = engine.Check();
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->ok()) << s->message();
}

TEST_F(SqliteEngineTest, Open_FailsOnAFileInPlaceOfTheDirectory) {
  std::ofstream(root_ / "file") << "x";
  SqliteEngine engine(Options("delete", "full"));
  Status s = engine.Open((root_ / "file").string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find((root_ / "file").string()), std::string::npos) << s.message();
}

TEST_F(SqliteEngineTest, Check_ReportsDamagedPages) {
  SqliteEngine engine(Options("delete", "full"));
  ASSERT_TRUE(engine.Open(root_.string()).ok());
  std::vector<Op> ops;
  for (int i = 0; i < 2000; ++i)
    ops.push_back(Op{true, "key" + std::to_string(i), std::string(50, 'v')});
  ASSERT_TRUE(engine.Commit(ops).ok());
  ASSERT_TRUE(engine.Close().ok());
  {  // scribble over the middle of the file, leaving the header intact
    std::fstream f(root_ / "kv.db", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(root_ / "kv.db") / 2));
    const std::string junk(8192, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  Status opened = engine.Open(root_.string());
  if (!opened.ok()) return;  // refusing to open is also a detection
  std::optional<Status> s = engine.Check();
  ASSERT_TRUE(s.has_value());
  EXPECT_FALSE(s->ok());
}

}  // namespace
}  // namespace crashlab::engines
