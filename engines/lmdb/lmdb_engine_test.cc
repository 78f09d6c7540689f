#include "engines/lmdb/lmdb_engine.h"

#include <gtest/gtest.h>
#include <lmdb.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace crashlab::engines {
namespace {

namespace fs = std::filesystem;
using adapter::Op;
using Pairs = std::vector<std::pair<std::string, std::string>>;

class LmdbEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "crashlab-lmdb-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  static Pairs DumpOf(LmdbEngine& engine) {
    auto pairs = engine.Dump();
    EXPECT_TRUE(pairs.ok()) << pairs.status().message();
    return pairs.ok() ? *pairs : Pairs{};
  }

  fs::path root_;
};

// Every variant of variants.ini, as its args.
const std::vector<std::vector<std::string>> kVariantArgs = {
    {}, {"--nosync"}, {"--nometasync"}, {"--writemap"}, {"--writemap", "--mapasync"}};

TEST(ParseLmdbOptions, MapsEachOptionToItsFlag) {
  Result<LmdbOptions> o = ParseLmdbOptions({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->EnvFlags(), 0u);
  o = ParseLmdbOptions({"--nosync"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->EnvFlags(), static_cast<unsigned int>(MDB_NOSYNC));
  o = ParseLmdbOptions({"--nometasync"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->EnvFlags(), static_cast<unsigned int>(MDB_NOMETASYNC));
  o = ParseLmdbOptions({"--mapasync", "--writemap"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->EnvFlags(), static_cast<unsigned int>(MDB_WRITEMAP | MDB_MAPASYNC));
}

TEST(ParseLmdbOptions, RejectsUnknownOptionNamingIt) {
  Result<LmdbOptions> o = ParseLmdbOptions({"--nosync=1"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("--nosync=1"), std::string::npos);
  EXPECT_NE(o.status().message().find("--writemap"), std::string::npos);
}

TEST(ParseLmdbOptions, RejectsMapasyncWithoutWritemap) {
  Result<LmdbOptions> o = ParseLmdbOptions({"--mapasync"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("--writemap"), std::string::npos);
}

TEST_F(LmdbEngineTest, Commit_ArbitraryBytesAndEmptyValuesRoundTripInEveryVariant) {
  const std::string nul_key("k\0ey", 4);
  const std::string nul_value("\0\xff\n ", 4);
  const std::string big_value(20000, 'b');  // an overflow page
  int n = 0;
  for (const std::vector<std::string>& args : kVariantArgs) {
    Result<LmdbOptions> options = ParseLmdbOptions(args);
    ASSERT_TRUE(options.ok());
    LmdbEngine engine(*options);
    const fs::path dir = root_ / std::to_string(n++) / "data";  // creates both levels
    ASSERT_TRUE(engine.Open(dir.string()).ok());
    ASSERT_TRUE(engine
                    .Commit({Op{true, nul_key, nul_value}, Op{true, "empty", ""},
                             Op{true, "big", big_value}})
                    .ok());
    ASSERT_TRUE(engine.Close().ok());
    ASSERT_TRUE(engine.Open(dir.string()).ok());
    Result<std::optional<std::string>> v = engine.Get(nul_key);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->value_or("<absent>"), nul_value);
    v = engine.Get("empty");
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(v->has_value()) << "an empty value must not read as absent";
    EXPECT_EQ(**v, "");
    v = engine.Get("k");  // a prefix of nul_key is a different key
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->has_value());
    EXPECT_EQ(DumpOf(engine).size(), 3u);
    std::optional<Status> check = engine.Check();
    ASSERT_TRUE(check.has_value());
    EXPECT_TRUE(check->ok()) << check->message();
  }
}

TEST_F(LmdbEngineTest, Dump_IsOrderedAndReflectsDeletes) {
  LmdbEngine engine(LmdbOptions{});
  ASSERT_TRUE(engine.Open(root_.string()).ok());
  ASSERT_TRUE(engine.Commit({Op{true, "b", "2"}, Op{true, "a", "1"}, Op{true, "c", "3"}}).ok());
  ASSERT_TRUE(engine.Commit({Op{false, "b", ""}, Op{true, "a", "one"}, Op{false, "zz", ""}}).ok())
      << "deleting an absent key is not an error";
  EXPECT_EQ(DumpOf(engine), (Pairs{{"a", "one"}, {"c", "3"}}));
}

TEST_F(LmdbEngineTest, Open_KeepsEveryFileInsideTheDirectory) {
  LmdbEngine engine(LmdbOptions{});
  ASSERT_TRUE(engine.Open((root_ / "data").string()).ok());
  ASSERT_TRUE(engine.Commit({Op{true, "k", "v"}}).ok());
  ASSERT_TRUE(engine.Close().ok());
  std::vector<std::string> top;
  for (const auto& entry : fs::directory_iterator(root_)) top.push_back(entry.path().filename());
  EXPECT_EQ(top, std::vector<std::string>{"data"});
  std::vector<std::string> inside;
  for (const auto& entry : fs::directory_iterator(root_ / "data")) {
    inside.push_back(entry.path().filename());
  }
  std::sort(inside.begin(), inside.end());
  EXPECT_EQ(inside, (std::vector<std::string>{"data.mdb", "lock.mdb"}));
}

TEST_F(LmdbEngineTest, Open_StartsOverAfterAnInterruptedCreation) {
  // What a crash inside the first open can leave: a half-written staging file.
  std::ofstream(root_ / "data.mdb.creating") << std::string(100, '\0');
  std::ofstream(root_ / "data.mdb.creating-lock") << "x";
  LmdbEngine engine(LmdbOptions{});
  Status s = engine.Open(root_.string());
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(engine.Commit({Op{true, "k", "v"}}).ok());
  EXPECT_EQ(DumpOf(engine), (Pairs{{"k", "v"}}));
  EXPECT_FALSE(fs::exists(root_ / "data.mdb.creating"));
  EXPECT_FALSE(fs::exists(root_ / "data.mdb.creating-lock"));
}

TEST_F(LmdbEngineTest, Open_WritemapSizesTheDataFileToTheMap) {
  Result<LmdbOptions> options = ParseLmdbOptions({"--writemap"});
  ASSERT_TRUE(options.ok()) << options.status().message();
  LmdbEngine engine(*options);
  ASSERT_TRUE(engine.Open(root_.string()).ok());
  EXPECT_EQ(fs::file_size(root_ / "data.mdb"), kLmdbMapSize);
}

TEST_F(LmdbEngineTest, Close_ThenOpenAgainSeesOnlyThatDirectory) {
  LmdbEngine engine(LmdbOptions{});
  ASSERT_TRUE(engine.Open((root_ / "one").string()).ok());
  ASSERT_TRUE(engine.Commit({Op{true, "k", "in-one"}}).ok());
  ASSERT_TRUE(engine.Close().ok());
  ASSERT_TRUE(engine.Open((root_ / "two").string()).ok());
  EXPECT_TRUE(DumpOf(engine).empty());
  ASSERT_TRUE(engine.Close().ok());
  ASSERT_TRUE(engine.Open((root_ / "one").string()).ok());
  EXPECT_EQ(DumpOf(engine), (Pairs{{"k", "in-one"}}));
}

TEST_F(LmdbEngineTest, Commit_KeyOverLmdbLimitIsRefusedAndCommitsNothing) {
  LmdbEngine engine(LmdbOptions{});
  ASSERT_TRUE(engine.Open(root_.string()).ok());
  Status s = engine.Commit({Op{true, "short", "v"}, Op{true, std::string(1024, 'k'), "v"}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("mdb_env_get_maxkeysize"), std::string::npos) << s.message();
  EXPECT_TRUE(DumpOf(engine).empty());
}

TEST_F(LmdbEngineTest, Commit_MapFullIsRefusedAndLeavesTheEngineUsable) {
  LmdbEngine engine(LmdbOptions{});
  ASSERT_TRUE(engine.Open(root_.string()).ok());
  std::vector<Op> ops;
  const std::string mib(1 << 20, 'x');
  for (std::size_t i = 0; i <= kLmdbMapSize >> 20; ++i)
    ops.push_back(Op{true, std::to_string(i), mib});
  Status s = engine.Commit(ops);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(mdb_strerror(MDB_MAP_FULL)), std::string::npos) << s.message();
  ASSERT_TRUE(engine.Commit({Op{true, "after", "ok"}}).ok());
  EXPECT_EQ(DumpOf(engine), (Pairs{{"after", "ok"}}));
}

TEST_F(LmdbEngineTest, Checkpoint_IsUnsupported) {
  LmdbEngine engine(LmdbOptions{});
  ASSERT_TRUE(engine.Open(root_.string()).ok());
  EXPECT_FALSE(engine.Checkpoint().has_value());
}

TEST_F(LmdbEngineTest, Open_RejectsDamagedMetaPagesNamingTheDirectory) {
  LmdbEngine engine(LmdbOptions{});
  ASSERT_TRUE(engine.Open(root_.string()).ok());
  ASSERT_TRUE(engine.Commit({Op{true, "k", "v"}}).ok());
  ASSERT_TRUE(engine.Close().ok());
  {  // zero the first bytes of both meta pages (page header, magic)
    std::fstream f(root_ / "data.mdb", std::ios::in | std::ios::out | std::ios::binary);
    const std::string zeros(64, '\0');
    for (long page : {0L, 1L}) {
      f.seekp(page * ::sysconf(_SC_PAGESIZE));
      f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    }
  }
  Status s = engine.Open(root_.string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(root_.string()), std::string::npos) << s.message();
}

}  // namespace
}  // namespace crashlab::engines
