// The ext4-ordered profile's rules on writes that grow a file
// (docs/persistence-model.md, "ext4-ordered"; ext4_ordered.cc,
// Ext4GrowthKept, Ext4StaleTails; persistence_model.cc, Ext4Content;
// trace_replay.cc, Settle). Each
// test checks a state the rule forbids never appears over many seeds, that
// the states it allows do appear, and that posix still produces the forbidden
// one (posix is the weakest model).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "faults/crash_walk.h"
#include "faults/persistence_model.h"
#include "faults/trace.h"
#include "faults/trace_builder_for_tests.h"

namespace crashlab::faults::ext4_ordered_test {
namespace {

constexpr uint64_t kSeeds = 400;
constexpr uint32_t kUnit = 512;
constexpr uint64_t kBlock = 4096;  // ext4's block size, as the model assumes

std::vector<DirTree> Crashes(const Trace& trace, const DirTree& base, Profile profile) {
  std::vector<DirTree> out;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    PowerLossPlan plan{trace.events.size(), seed, kUnit, profile, std::nullopt};
    Result<DirTree> tree = ModelPowerLoss(trace, plan, base, nullptr);
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    if (tree.ok()) out.push_back(*tree);
  }
  return out;
}

std::string FileOr(const DirTree& tree, const std::string& path) {
  auto it = tree.files.find(path);
  return it == tree.files.end() ? "<absent>" : it->second;
}

uint64_t Truncate(TraceBuilder& t, uint64_t file, uint64_t size) {
  Event e = Ev(EventKind::kTruncate, file);
  e.length = size;
  return t.Add(e);
}

// LevelDB's pattern: create a table file, then append a MANIFEST record that
// names it, syncing neither the table's directory nor anything else.
TEST(Ext4OrderedTest, AppendToAnotherFileSurvivesOnlyWithTheEarlierCreation) {
  TraceBuilder t;
  t.Create("000005.ldb", 1);
  t.Write(1, 0, "table");
  t.Open("MANIFEST", 2);
  t.Write(2, kBlock, "add 000005.ldb");
  DirTree base;
  base.files["MANIFEST"] = std::string(kBlock, 'm');
  bool grown = false, absent = false;
  for (const DirTree& tree : Crashes(t.trace(), base, Profile::kExt4Ordered)) {
    const bool manifest_grew = FileOr(tree, "MANIFEST").size() > kBlock;
    const bool table = tree.files.count("000005.ldb") != 0;
    EXPECT_FALSE(manifest_grew && !table) << "the MANIFEST names a table whose creation reverted";
    grown = grown || manifest_grew;
    absent = absent || !table;
  }
  EXPECT_TRUE(grown) << "the MANIFEST append never survives";
  EXPECT_TRUE(absent) << "the unsynced creation never reverts";
  bool posix_missing = false;
  for (const DirTree& tree : Crashes(t.trace(), base, Profile::kPosix)) {
    posix_missing = posix_missing || (FileOr(tree, "MANIFEST").size() > kBlock &&
                                      tree.files.count("000005.ldb") == 0);
  }
  EXPECT_TRUE(posix_missing) << "posix must stay weaker than ext4-ordered";
}

// Every metadata change journaled before the call (a creation, a rename, a
// truncate) survives with a growing write; one made after the call may not,
// and may survive without it (delayed allocation journals the size later).
TEST(Ext4OrderedTest, GrowingWriteSurvivesOnlyWithEveryEarlierMetadataChange) {
  TraceBuilder t;
  t.Create("a", 1);
  t.Rename("a", "b", 1);
  t.Open("t", 3);
  Truncate(t, 3, 100);
  t.Open("f", 2);
  t.Write(2, kBlock, "grow");
  t.Create("late", 4);
  DirTree base;
  base.files["f"] = std::string(kBlock, 'f');
  base.files["t"] = std::string(2 * kBlock, 't');
  bool grew_without_late = false, late_without_growth = false;
  for (const DirTree& tree : Crashes(t.trace(), base, Profile::kExt4Ordered)) {
    const bool grew = FileOr(tree, "f").size() > kBlock;
    if (grew) {
      EXPECT_EQ(FileOr(tree, "b"), "");
      EXPECT_EQ(FileOr(tree, "a"), "<absent>");
      EXPECT_EQ(FileOr(tree, "t").size(), 100u);
    }
    const bool late = tree.files.count("late") != 0;
    grew_without_late = grew_without_late || (grew && !late);
    late_without_growth = late_without_growth || (late && !grew);
  }
  EXPECT_TRUE(grew_without_late);
  EXPECT_TRUE(late_without_growth) << "delayed allocation journals the size after later changes";
}

// Appends of a log, each into new blocks: the sizes that survive are a
// prefix, and data=ordered puts the data under them.
TEST(Ext4OrderedTest, EarlierAppendsCannotVanishWhileLaterOnesSurvive) {
  TraceBuilder t;
  t.Open("log", 1);
  const std::string a(kBlock, 'a'), b(kBlock, 'b'), c(kBlock, 'c'), o(kBlock, 'o');
  t.Write(1, kBlock, a);
  t.Write(1, 2 * kBlock, b);
  t.Write(1, 3 * kBlock, c);
  const DirTree base{{{"log", o}}, {}};
  std::set<std::string> seen;
  for (const DirTree& tree : Crashes(t.trace(), base, Profile::kExt4Ordered)) {
    seen.insert(FileOr(tree, "log"));
  }
  EXPECT_EQ(seen, (std::set<std::string>{o, o + a, o + a + b, o + a + b + c}));
  bool hole = false;
  for (const DirTree& tree : Crashes(t.trace(), base, Profile::kPosix)) {
    const std::string log = FileOr(tree, "log");
    hole = hole || (log.size() == 3 * kBlock && log.substr(kBlock, kBlock) != a);
  }
  EXPECT_TRUE(hole) << "posix must stay weaker than ext4-ordered";
}

// The narrow exception: an append into the block that holds the file's old
// end (already allocated by an earlier writeback) may read as zeros while a
// later append that reaches a new block is there ("foo\0\0\0" after
// `echo -n foo >> f; sync; echo -n bar >> f` and a crash, linux-ext4
// 2023-03-24). The old block is a snapshot: once a byte in it is stale,
// every later append's bytes in it are stale too.
TEST(Ext4OrderedTest, AppendIntoAnAllocatedBlockMayReadAsZerosOnlyToTheBlockEnd) {
  TraceBuilder t;
  t.Open("log", 1);
  t.Write(1, 3, "bar");
  const std::string x(kBlock, 'x');
  t.Write(1, 6, x);
  const DirTree base{{{"log", "foo"}}, {}};
  bool zeros_before_later = false;
  for (const DirTree& tree : Crashes(t.trace(), base, Profile::kExt4Ordered)) {
    const std::string log = FileOr(tree, "log");
    if (log.size() <= 6) continue;
    ASSERT_EQ(log.size(), 6 + kBlock);
    EXPECT_EQ(log.substr(kBlock), x.substr(kBlock - 6)) << "data in a new block is ordered";
    const bool bar_lost = log.substr(3, 3) == std::string(3, '\0');
    if (bar_lost) {
      EXPECT_EQ(log.substr(6, kBlock - 6), std::string(kBlock - 6, '\0'))
          << "a later append's bytes in the stale block cannot be there";
      zeros_before_later = true;
    } else {
      EXPECT_EQ(log.substr(3, 3), "bar");
    }
  }
  EXPECT_TRUE(zeros_before_later) << "ext4 can expose the stale block; the model must too";
}

// A write inside the file's size in the page cache never moves its size on
// disk: when the append it overwrites was lost, so is it.
TEST(Ext4OrderedTest, OverwriteOfALostAppendNeverGrowsTheFile) {
  TraceBuilder t;
  t.Open("f", 1);
  t.Write(1, kBlock, std::string(kBlock, 'g'));
  t.Write(1, kBlock + 10, "wwwwwwwwww");
  const DirTree base{{{"f", std::string(kBlock, 'o')}}, {}};
  std::set<uint64_t> sizes;
  for (const DirTree& tree : Crashes(t.trace(), base, Profile::kExt4Ordered)) {
    sizes.insert(FileOr(tree, "f").size());
  }
  EXPECT_EQ(sizes, (std::set<uint64_t>{kBlock, 2 * kBlock}));
}

// fsync of a file whose size grew commits that size, journaled after the
// file's creation: the creation survives although its directory was never
// synced (posix still needs the directory fsync).
TEST(Ext4OrderedTest, FsyncOfAGrownFileCommitsEveryEarlierNameChange) {
  TraceBuilder t;
  t.Create("new", 1);
  t.Write(1, 0, "data");
  t.Sync(EventKind::kFdatasync, 1);
  std::set<std::string> ext4, posix;
  for (const DirTree& tree : Crashes(t.trace(), {}, Profile::kExt4Ordered)) {
    ext4.insert(FileOr(tree, "new"));
  }
  for (const DirTree& tree : Crashes(t.trace(), {}, Profile::kPosix)) {
    posix.insert(FileOr(tree, "new"));
  }
  EXPECT_EQ(ext4, std::set<std::string>{"data"});
  EXPECT_EQ(posix, (std::set<std::string>{"data", "<absent>"}));
}

// The walk over every crash point (crash_walk.h, which keeps each file's
// durable prefix between points) draws the same ext4-ordered states as the
// one-shot model, with appends, a stale block, names, truncates and syncs.
TEST(Ext4OrderedTest, EveryPointOfAWalkMatchesTheOneShotModel) {
  TraceBuilder t;
  t.Create("log", 1);
  t.Write(1, 0, "head");
  t.Sync(EventKind::kFdatasync, 1);
  t.Write(1, 4, std::string(5000, 'a'));
  t.Create("table", 2);
  t.Write(2, 0, std::string(300, 't'));
  t.Write(1, 5004, "bb");
  t.Rename("table", "table.1", 2);
  Truncate(t, 1, 7000);
  t.Write(1, 7000, "cc");
  t.Sync(EventKind::kSyncRange, 1, 0, 0);
  t.Write(2, 100, "over");
  t.Sync(EventKind::kFsync, 2);
  t.Write(1, 7002, std::string(kBlock, 'd'));
  const Trace& trace = t.trace();
  CrashWalk walk(trace, {}, Profile::kExt4Ordered, kUnit);
  for (uint64_t c = 0; c <= trace.events.size(); ++c) {
    for (uint64_t seed = 0; seed < 16; ++seed) {
      PowerLossPlan plan{c, seed, kUnit, Profile::kExt4Ordered, std::nullopt};
      Result<DirTree> walked = walk.PowerLoss(plan, nullptr);
      ASSERT_TRUE(walked.ok()) << walked.status().message();
      EXPECT_EQ(*walked, *ModelPowerLoss(trace, plan, {}, nullptr))
          << "at " << c << " seed " << seed;
    }
    ASSERT_TRUE(walk.Next().ok());
  }
}

}  // namespace
}  // namespace crashlab::faults::ext4_ordered_test
