// Crash states on disk (crash_state.h): the model's trees read from and
// written to directories, their digests, and the same plan giving the same
// bytes and report twice. The rules themselves are tested in
// persistence_model_test.cc.
#include "faults/crash_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "faults/crash_state_for_tests.h"
#include "faults/persistence_model.h"
#include "faults/temp_dir_for_tests.h"
#include "faults/trace.h"
#include "faults/trace_builder_for_tests.h"

namespace crashlab::faults::crash_state_test {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kUnit = 512;

TEST(CrashStateTest, Kill_KeepsEveryEventBeforeTheCrashPoint) {
  TraceBuilder t;
  t.Create("tmp", 1);
  t.Write(1, 0, "abc");
  const uint64_t rename = t.Rename("tmp", "cur", 1);
  const uint64_t last = t.Write(1, 3, "d");
  TempDir base;
  {
    TempDir out;
    ASSERT_TRUE(BuildKillState(t.trace(), rename, base.path(), out.path()).ok());
    Result<DirTree> tree = ReadDirTree(out.path());
    ASSERT_TRUE(tree.ok());
    EXPECT_EQ(tree->files, (DirTree::Files{{"tmp", "abc"}}));
  }
  {
    TempDir out;
    ASSERT_TRUE(BuildKillState(t.trace(), last, base.path(), out.path()).ok());
    EXPECT_EQ(ReadDirTree(out.path())->files, (DirTree::Files{{"cur", "abc"}}));
  }
  {
    TempDir out;
    ASSERT_TRUE(BuildKillState(t.trace(), t.end(), "", out.path()).ok());
    EXPECT_EQ(ReadDirTree(out.path())->files, (DirTree::Files{{"cur", "abcd"}}));
  }
  TempDir out;
  EXPECT_FALSE(BuildKillState(t.trace(), t.end() + 1, "", out.path()).ok());
}

TEST(CrashStateTest, OutDirMustBeEmpty) {
  TraceBuilder t;
  TempDir out;
  fs::create_directories(out.path() + "/x");
  EXPECT_FALSE(BuildKillState(t.trace(), 0, "", out.path()).ok());
}

// A trace touching every kind of change, for the determinism test.
Trace MixedTrace() {
  TraceBuilder t;
  t.OpenDir("", 9);
  t.Mkdir("d", 8);
  t.Create("d/a", 1);
  t.Write(1, 0, std::string(3000, 'a'));
  t.Sync(EventKind::kFdatasync, 1);
  t.Write(1, 100, std::string(2000, 'b'));
  t.Create("tmp", 2);
  t.Write(2, 0, std::string(1500, 'c'));
  t.Rename("tmp", "cur", 2);
  t.Open("old", 3);
  t.MapWrite(3, 0, std::string(4096, 'm'));
  t.Sync(EventKind::kTruncate, 3, 0, 10);
  t.Unlink("old", 3);
  t.Write(1, 5000, std::string(700, 'e'));
  return t.trace();
}

TEST(CrashStateTest, SamePlanGivesTheSameBytesTwice) {
  const Trace trace = MixedTrace();
  TempDir base;
  {
    std::ofstream(base.path() + "/cur") << "previous";
    std::ofstream(base.path() + "/old") << std::string(5000, 'o');
  }
  std::set<DirTree::Files> distinct;
  for (Profile profile : {Profile::kPosix, Profile::kExt4Ordered}) {
    for (uint64_t seed = 0; seed < 20; ++seed) {
      PowerLossPlan plan{trace.events.size(), seed, kUnit, profile, std::nullopt};
      TempDir first;
      TempDir second;
      ASSERT_TRUE(BuildPowerLossState(trace, plan, base.path(), first.path()).ok());
      ASSERT_TRUE(BuildPowerLossState(trace, plan, base.path(), second.path()).ok());
      Result<DirTree> a = ReadDirTree(first.path());
      Result<DirTree> b = ReadDirTree(second.path());
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(*a, *b) << "seed " << seed;
      distinct.insert(a->files);
      Result<CrashReport> r1 = DescribePowerLoss(trace, plan, base.path());
      Result<CrashReport> r2 = DescribePowerLoss(trace, plan, base.path());
      ASSERT_TRUE(r1.ok() && r2.ok());
      EXPECT_EQ(r1->ToString(), r2->ToString());
    }
  }
  EXPECT_GT(distinct.size(), 5u) << "seeds barely change the outcome";
}

TEST(DigestDirTreeTest, EqualTreesShareADigestAndAnyChangeMovesIt) {
  DirTree a;
  a.dirs = {"sub"};
  a.files = {{"sub/x", "abc"}, {"y", std::string("\0\1", 2)}};
  DirTree b = a;
  EXPECT_EQ(DigestDirTree(a), DigestDirTree(b));
  EXPECT_EQ(DigestDirTree(a).size(), 20u);
  EXPECT_EQ(DigestDirTree(a).rfind("fd1:", 0), 0u);
  b.files["sub/x"] = "abd";
  EXPECT_NE(DigestDirTree(a), DigestDirTree(b));
  // Moving a byte from one name's content into the name itself.
  DirTree c, d;
  c.files = {{"ab", "c"}};
  d.files = {{"a", "bc"}};
  EXPECT_NE(DigestDirTree(c), DigestDirTree(d));
  DirTree e = a;
  e.dirs.insert("empty");
  EXPECT_NE(DigestDirTree(a), DigestDirTree(e));
}

}  // namespace
}  // namespace crashlab::faults::crash_state_test
