// The persistence model's rules (persistence_model.h, ModelPowerLoss and
// ModelKill; docs/persistence-model.md), one test per rule over many seeds:
// what a power loss may keep, drop, tear or revert under posix and
// ext4-ordered, and what a kill keeps. The suite keeps the name
// CrashStateTest, by which ctest and earlier runs know these tests.
#include "faults/persistence_model.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "faults/trace.h"
#include "faults/trace_builder_for_tests.h"

namespace crashlab::faults::persistence_model_test {
namespace {

constexpr uint64_t kSeeds = 200;
constexpr uint32_t kUnit = 512;

DirTree PowerLoss(const Trace& trace, uint64_t event, uint64_t seed, const DirTree& base,
                  Profile profile = Profile::kPosix, CrashReport* report = nullptr) {
  PowerLossPlan plan{event, seed, kUnit, profile, std::nullopt};
  Result<DirTree> tree = ModelPowerLoss(trace, plan, base, report);
  EXPECT_TRUE(tree.ok()) << tree.status().message();
  return tree.ok() ? *tree : DirTree{};
}

DirTree BaseWith(const std::string& path, const std::string& content) {
  DirTree base;
  base.files[path] = content;
  return base;
}

// The content of `path` in every outcome over the seeds ("<absent>" if none).
std::set<std::string> Outcomes(const Trace& trace, uint64_t event, const DirTree& base,
                               const std::string& path, Profile profile = Profile::kPosix) {
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    DirTree tree = PowerLoss(trace, event, seed, base, profile);
    auto it = tree.files.find(path);
    seen.insert(it == tree.files.end() ? "<absent>" : it->second);
  }
  return seen;
}

TEST(CrashStateTest, PowerLoss_UnsyncedWriteMayVanish) {
  TraceBuilder t;
  t.Open("f", 1);
  t.Write(1, 0, "bbbb");
  std::set<std::string> seen = Outcomes(t.trace(), t.end(), BaseWith("f", "aaaa"), "f");
  EXPECT_TRUE(seen.count("aaaa")) << "no seed drops the unsynced write";
  EXPECT_TRUE(seen.count("bbbb")) << "no seed keeps the unsynced write";
}

TEST(CrashStateTest, PowerLoss_WriteAfterFdatasyncSurvives) {
  for (EventKind sync : {EventKind::kFdatasync, EventKind::kFsync, EventKind::kSyncAll}) {
    TraceBuilder t;
    t.Open("f", 1);
    t.Write(1, 0, "bbbb");
    t.Sync(sync, 1);
    EXPECT_EQ(Outcomes(t.trace(), t.end(), BaseWith("f", "aaaa"), "f"),
              std::set<std::string>{"bbbb"});
  }
}

TEST(CrashStateTest, PowerLoss_SyncInFlightPromisesNothing) {
  TraceBuilder t;
  t.Open("f", 1);
  t.Write(1, 0, "bbbb");
  const uint64_t sync = t.Sync(EventKind::kFdatasync, 1);
  EXPECT_TRUE(Outcomes(t.trace(), sync, BaseWith("f", "aaaa"), "f").count("aaaa"));
}

TEST(CrashStateTest, PowerLoss_DsyncWriteIsDurableWhenItReturns) {
  for (uint32_t flag : {kOpenDsync, kOpenSync}) {
    TraceBuilder t;
    t.Open("f", 1, flag);
    t.Write(1, 0, std::string(3 * kUnit, 'b'), flag);
    EXPECT_EQ(Outcomes(t.trace(), t.end(), BaseWith("f", "aaaa"), "f"),
              std::set<std::string>{std::string(3 * kUnit, 'b')});
  }
}

TEST(CrashStateTest, PowerLoss_WriteInFlightMayTearEvenWithDsync) {
  TraceBuilder t;
  t.Open("f", 1, kOpenDsync | kOpenDirect);
  const uint64_t write = t.Write(1, 0, std::string(4 * kUnit, 'b'), kOpenDsync | kOpenDirect);
  std::set<WriteFate> fates;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    CrashReport report;
    PowerLoss(t.trace(), write, seed, BaseWith("f", std::string(4 * kUnit, 'a')), Profile::kPosix,
              &report);
    ASSERT_EQ(report.writes.size(), 1u);
    fates.insert(report.writes[0].fate);
  }
  EXPECT_EQ(fates,
            (std::set<WriteFate>{WriteFate::kSurvived, WriteFate::kVanished, WriteFate::kTorn}));
}

// Checks every torn outcome of a write of `data` at `offset` over `old`.
// Tears a write of `data` at `offset` over a file holding `old`, over many
// seeds: each unit is whole, and units that start inside the old file are
// old or new, never zeros or garbage. `past_the_end` says the write has units
// past the old end of file, where zeros and garbage must show up.
void CheckTornUnits(uint64_t offset, const std::string& data, const std::string& old,
                    bool past_the_end) {
  TraceBuilder t;
  t.Open("f", 1);
  t.Write(1, offset, data);
  std::string written = old;
  if (offset + data.size() > written.size()) written.resize(offset + data.size(), '\0');
  written.replace(offset, data.size(), data);
  std::set<char> letters;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    CrashReport report;
    DirTree tree =
        PowerLoss(t.trace(), t.end(), seed, BaseWith("f", old), Profile::kPosix, &report);
    ASSERT_EQ(report.writes.size(), 1u);
    if (report.writes[0].fate != WriteFate::kTorn) continue;
    const std::string& got = tree.files.at("f");
    ASSERT_EQ(got.size(), written.size());
    const std::string& units = report.writes[0].units;
    const uint64_t first = offset / kUnit;
    ASSERT_EQ(units.size(), (offset + data.size() - 1) / kUnit - first + 1);
    for (std::size_t i = 0; i < units.size(); ++i) {
      letters.insert(units[i]);
      const uint64_t lo = (first + i) * kUnit;
      if (lo < old.size()) {
        EXPECT_TRUE(units[i] == 'N' || units[i] == 'O') << "seed " << seed << " unit " << i;
      }
      const uint64_t n = std::min<uint64_t>(kUnit, got.size() - lo);
      const std::string unit = got.substr(lo, n);
      std::string old_unit = lo < old.size() ? old.substr(lo, n) : "";
      old_unit.resize(n, '\0');
      switch (units[i]) {
        case 'N':
          EXPECT_EQ(unit, written.substr(lo, n)) << "seed " << seed;
          break;
        case 'O':
          EXPECT_EQ(unit, old_unit) << "seed " << seed;
          break;
        case 'Z': {
          // Zeros only where the write reached; the rest of the unit is old.
          std::string zeroed = old_unit;
          for (uint64_t b = std::max(lo, offset); b < std::min(lo + n, offset + data.size()); ++b) {
            zeroed[b - lo] = '\0';
          }
          EXPECT_EQ(unit, zeroed) << "seed " << seed;
          break;
        }
        case 'G':
          break;
        default:
          ADD_FAILURE() << "unit letter " << units[i];
      }
    }
    // Bytes outside the write's units are never touched.
    for (uint64_t b = 0; b < first * kUnit && b < old.size(); ++b) ASSERT_EQ(got[b], old[b]);
  }
  EXPECT_TRUE(letters.count('O'));
  EXPECT_EQ(letters.count('N') > 0, data.size() > kUnit) << "a torn write keeps some units new";
  EXPECT_EQ(letters.count('Z') && letters.count('G'), past_the_end);
}

TEST(CrashStateTest, PowerLoss_TornWriteMixesOnlyWholeUnits) {
  CheckTornUnits(0, std::string(4 * kUnit, 'A'), std::string(4 * kUnit, 'o'), false);
  // Unaligned, past the end: a unit tears as a whole, old bytes included.
  CheckTornUnits(kUnit + 100, std::string(3 * kUnit, 'A'), std::string(2 * kUnit + 7, 'o'), true);
}

TEST(CrashStateTest, PowerLoss_ASmallOverwriteInsideOneUnitIsOldOrNew) {
  // A 120-byte commit record rewritten in place (LMDB's meta page): the unit
  // it sits in was real data, and a device writes it all or nothing.
  CheckTornUnits(40, std::string(120, 'M'), std::string(kUnit, 'o'), false);
}

TEST(CrashStateTest, PowerLoss_LaterWriteToAUnitMaySurviveAnEarlierOne) {
  TraceBuilder t;
  t.Open("f", 1);
  t.Write(1, 0, "11");
  t.Write(1, 0, "2");
  std::set<std::string> seen = Outcomes(t.trace(), t.end(), BaseWith("f", "00"), "f");
  EXPECT_TRUE(seen.count("20")) << "the later write never survives alone";
  EXPECT_TRUE(seen.count("21"));
  EXPECT_TRUE(seen.count("11"));
}

TEST(CrashStateTest, PowerLoss_RenameWithoutDirFsyncMayRevertUnderPosix) {
  TraceBuilder t;
  t.Rename("tmp", "cur", 0);
  DirTree base;
  base.files = {{"tmp", "new"}, {"cur", "old"}};
  std::set<DirTree::Files> seen;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    seen.insert(PowerLoss(t.trace(), t.end(), seed, base).files);
  }
  EXPECT_EQ(seen, (std::set<DirTree::Files>{{{"cur", "new"}}, {{"tmp", "new"}, {"cur", "old"}}}));
}

TEST(CrashStateTest, PowerLoss_RenameAfterDirFsyncIsKept) {
  TraceBuilder t;
  t.OpenDir("", 9);
  t.Rename("tmp", "cur", 0);
  t.Sync(EventKind::kFsync, 9);
  DirTree base;
  base.files = {{"tmp", "new"}, {"cur", "old"}};
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    EXPECT_EQ(PowerLoss(t.trace(), t.end(), seed, base).files, (DirTree::Files{{"cur", "new"}}));
  }
}

TEST(CrashStateTest, PowerLoss_CreatedFileWithoutDirFsyncMayVanish) {
  TraceBuilder t;
  t.Create("f", 1);
  t.Write(1, 0, "x");
  t.Sync(EventKind::kFsync, 1);  // the file, not its directory
  EXPECT_EQ(Outcomes(t.trace(), t.end(), DirTree{}, "f"), (std::set<std::string>{"<absent>", "x"}));
}

TEST(CrashStateTest, PowerLoss_CreatedFileAfterDirFsyncIsKept) {
  TraceBuilder t;
  t.OpenDir(".", 9);
  t.Mkdir("d", 8);
  t.Create("d/f", 1);
  t.Sync(EventKind::kFsync, 9);  // root: keeps d
  t.Sync(EventKind::kFsync, 8);  // d: keeps d/f
  EXPECT_EQ(Outcomes(t.trace(), t.end(), DirTree{}, "d/f"), (std::set<std::string>{""}));
}

TEST(CrashStateTest, PowerLoss_MmapPagesDirtiedButNotSyncedMayVanish) {
  TraceBuilder t;
  t.Open("f", 1);
  t.MapWrite(1, 0, std::string(4096, 'M'));
  std::set<std::string> seen =
      Outcomes(t.trace(), t.end(), BaseWith("f", std::string(4096, 'o')), "f");
  EXPECT_TRUE(seen.count(std::string(4096, 'o')));
  EXPECT_TRUE(seen.count(std::string(4096, 'M')));
}

TEST(CrashStateTest, PowerLoss_MsyncMakesMappedPagesDurable) {
  TraceBuilder t;
  t.Open("f", 1);
  t.MapWrite(1, 0, std::string(8192, 'M'));
  t.Sync(EventKind::kMsync, 1, 0, 4096);  // only the first page
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    DirTree tree = PowerLoss(t.trace(), t.end(), seed, BaseWith("f", std::string(8192, 'o')));
    const std::string& f = tree.files.at("f");
    ASSERT_EQ(f.substr(0, 4096), std::string(4096, 'M')) << "seed " << seed;
    seen.insert(f.substr(4096));
  }
  EXPECT_TRUE(seen.count(std::string(4096, 'o'))) << "the unsynced page never vanishes";
}

// sync_file_range(2): "there are no guarantees that the data will be
// available after a crash" (it flushes neither metadata nor the device's
// write cache), whatever its range, under either profile.
TEST(CrashStateTest, PowerLoss_SyncFileRangeIsNoDurabilityBarrier) {
  for (Profile profile : {Profile::kPosix, Profile::kExt4Ordered}) {
    for (uint64_t length : {uint64_t{8}, uint64_t{0}}) {  // 0: to the end of the file
      TraceBuilder t;
      t.Open("f", 1);
      t.Write(1, 0, "bbbbbbbb");
      t.Sync(EventKind::kSyncRange, 1, 0, length);
      std::set<std::string> seen =
          Outcomes(t.trace(), t.end(), BaseWith("f", "aaaaaaaa"), "f", profile);
      EXPECT_TRUE(seen.count("aaaaaaaa")) << ProfileName(profile) << ", length " << length;
      EXPECT_TRUE(seen.count("bbbbbbbb")) << ProfileName(profile) << ", length " << length;
    }
  }
}

TEST(CrashStateTest, PowerLoss_PosixAppendMayExposeZerosOrGarbage) {
  TraceBuilder t;
  t.Open("f", 1);
  t.Write(1, kUnit, std::string(2 * kUnit, 'b'));
  const std::string old(kUnit, 'a');
  bool exposed = false;
  for (const std::string& f : Outcomes(t.trace(), t.end(), BaseWith("f", old), "f")) {
    if (f.size() > kUnit && f.find_first_not_of('b', kUnit) != std::string::npos) exposed = true;
  }
  EXPECT_TRUE(exposed) << "posix never shows a grown file without its data";
}

// Into new blocks (the old end is block-aligned): faults/ext4_ordered_test.cc
// has the append into the block that holds the old end.
TEST(CrashStateTest, Ext4Ordered_AppendIntoNewBlocksIsAllOrNothing) {
  TraceBuilder t;
  t.Open("f", 1);
  t.Write(1, 4096, std::string(2 * kUnit, 'b'));
  const std::string old(4096, 'a');
  EXPECT_EQ(Outcomes(t.trace(), t.end(), BaseWith("f", old), "f", Profile::kExt4Ordered),
            (std::set<std::string>{old, old + std::string(2 * kUnit, 'b')}));
}

TEST(CrashStateTest, Ext4Ordered_OverwriteTearsOnlyIntoOldOrNewUnits) {
  TraceBuilder t;
  t.Open("f", 1);
  t.Write(1, 0, std::string(2 * kUnit, 'b'));
  const std::string a(kUnit, 'a');
  const std::string b(kUnit, 'b');
  EXPECT_EQ(Outcomes(t.trace(), t.end(), BaseWith("f", a + a), "f", Profile::kExt4Ordered),
            (std::set<std::string>{a + a, a + b, b + a, b + b}));
}

// open("tmp", O_CREAT), write, rename("tmp", "cur") with no fsync at all.
Trace ReplaceViaRename() {
  TraceBuilder t;
  t.Create("tmp", 1);
  t.Write(1, 0, "new-content");
  t.Rename("tmp", "cur", 1);
  return t.trace();
}

TEST(CrashStateTest, Ext4Ordered_ReplaceViaRenameFlushesDataFirst) {
  const Trace trace = ReplaceViaRename();
  EXPECT_EQ(
      Outcomes(trace, trace.events.size(), BaseWith("cur", "old"), "cur", Profile::kExt4Ordered),
      (std::set<std::string>{"old", "new-content"}));
}

TEST(CrashStateTest, PowerLoss_ReplaceViaRenameMayLeaveAnEmptyFileUnderPosix) {
  const Trace trace = ReplaceViaRename();
  EXPECT_TRUE(Outcomes(trace, trace.events.size(), BaseWith("cur", "old"), "cur").count(""));
}

Trace ThreeCreates() {
  TraceBuilder t;
  t.Create("a", 1);
  t.Create("b", 2);
  t.Create("c", 3);
  return t.trace();
}

std::set<std::string> SurvivingNames(const Trace& trace, Profile profile) {
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    std::string names;
    for (const auto& [path, content] :
         PowerLoss(trace, trace.events.size(), seed, {}, profile).files) {
      names += path;
    }
    seen.insert(names);
  }
  return seen;
}

TEST(CrashStateTest, Ext4Ordered_NameChangesSurviveInOrder) {
  EXPECT_EQ(SurvivingNames(ThreeCreates(), Profile::kExt4Ordered),
            (std::set<std::string>{"", "a", "ab", "abc"}));
}

TEST(CrashStateTest, PowerLoss_NameChangesSurviveInAnyOrderUnderPosix) {
  EXPECT_EQ(SurvivingNames(ThreeCreates(), Profile::kPosix).size(), 8u);
}

TEST(CrashStateTest, Ext4Ordered_DirFsyncCommitsEarlierNameChanges) {
  TraceBuilder t;
  t.OpenDir("", 9);
  t.Mkdir("d", 8);
  t.Create("d/f", 1);  // d is never synced
  t.Create("g", 2);
  t.Sync(EventKind::kFsync, 9);
  EXPECT_EQ(Outcomes(t.trace(), t.end(), {}, "d/f", Profile::kExt4Ordered),
            (std::set<std::string>{""}));
  EXPECT_TRUE(Outcomes(t.trace(), t.end(), {}, "d/f", Profile::kPosix).count("<absent>"));
}

TEST(CrashStateTest, Ext4Ordered_MsyncAlsoSyncsWritesInItsRange) {
  TraceBuilder t;
  t.Open("f", 1);
  t.Write(1, 0, "bbbb");
  t.Sync(EventKind::kMsync, 1, 0, 4096);
  EXPECT_EQ(Outcomes(t.trace(), t.end(), BaseWith("f", "aaaa"), "f", Profile::kExt4Ordered),
            std::set<std::string>{"bbbb"});
  EXPECT_TRUE(Outcomes(t.trace(), t.end(), BaseWith("f", "aaaa"), "f").count("aaaa"));
}

TEST(CrashStateTest, PowerLoss_UnsyncedTruncateMayRevert) {
  TraceBuilder t;
  t.Open("f", 1);
  t.Sync(EventKind::kTruncate, 1, 0, 2);
  EXPECT_EQ(Outcomes(t.trace(), t.end(), BaseWith("f", "aaaa"), "f"),
            (std::set<std::string>{"aaaa", "aa"}));
}

TEST(CrashStateTest, PowerLoss_RevertedUnlinkBringsBackTheDurableFile) {
  TraceBuilder t;
  t.Open("f", 1);
  t.Write(1, 0, "new");
  t.Unlink("f", 1);
  std::set<std::string> seen = Outcomes(t.trace(), t.end(), BaseWith("f", "old"), "f");
  EXPECT_TRUE(seen.count("<absent>"));
  EXPECT_TRUE(seen.count("old"));
}

TEST(CrashStateTest, Kill_RenamedDirectoryMovesItsFiles) {
  TraceBuilder t;
  t.Mkdir("a", 5);
  t.Create("a/f", 1);
  t.Write(1, 0, "x");
  t.Rename("a", "b", 5);
  Result<DirTree> tree = ModelKill(t.trace(), t.end(), DirTree{});
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  EXPECT_EQ(tree->files, (DirTree::Files{{"b/f", "x"}}));
  EXPECT_EQ(tree->dirs, (std::set<std::string>{"b"}));
}

TEST(CrashStateTest, WriteToAFileNeverOpenedIsAnError) {
  TraceBuilder t;
  t.Write(7, 0, "x");
  Result<DirTree> tree = ModelKill(t.trace(), t.end(), DirTree{});
  ASSERT_FALSE(tree.ok());
  EXPECT_NE(tree.status().message().find("file id 7"), std::string::npos);
}

}  // namespace
}  // namespace crashlab::faults::persistence_model_test
