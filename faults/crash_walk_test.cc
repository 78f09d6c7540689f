#include "faults/crash_walk.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "faults/crash_state.h"
#include "faults/fast_digest.h"
#include "faults/persistence_model.h"
#include "faults/trace_builder_for_tests.h"

namespace crashlab::faults {
namespace {

constexpr uint32_t kWalkUnit = 4;

// A trace with every kind of change: creations, appends and overwrites,
// syncs of files, ranges and directories, a rename over an existing file,
// an unlink.
Trace EveryChangeKindTrace() {
  TraceBuilder t;
  t.Mkdir("d", 1);
  t.Create("d/log", 2);
  t.Write(2, 0, "aaaaaaaa");
  t.Sync(EventKind::kFsync, 2);
  t.OpenDir("d", 1);
  t.Sync(EventKind::kFsync, 1);
  t.Write(2, 8, "bbbbbbbbbb");
  t.Write(2, 2, "cc");
  t.Create("d/tmp", 3);
  t.Write(3, 0, "new-content");
  t.Sync(EventKind::kFdatasync, 3);
  t.Rename("d/tmp", "d/log", 3);
  t.Create("d/gone", 4);
  t.Unlink("d/gone", 4);
  t.Write(3, 4, "zz");
  // Ranged syncs split writes into durable and pending pieces.
  t.MapWrite(3, 0, "mmmmmmmmmmmm");
  t.Sync(EventKind::kMsync, 3, 2, 5);
  t.Write(2, 0, "wwwwwwwwwwwwwwww");
  t.Sync(EventKind::kSyncRange, 2, 3, 6);
  t.MapWrite(3, 6, "pppp");
  t.Sync(EventKind::kFsync, 3);
  t.Write(3, 1, "q");
  return t.trace();
}

TEST(CrashWalkTest, EveryPointMatchesTheOneShotModel) {
  const Trace trace = EveryChangeKindTrace();
  const DirTree base;
  CrashWalk walk(trace, base, Profile::kPosix, kWalkUnit);
  for (uint64_t c = 0; c <= trace.events.size(); ++c) {
    ASSERT_EQ(walk.point(), c);
    Result<DirTree> kill = walk.Kill();
    ASSERT_TRUE(kill.ok()) << kill.status().message();
    EXPECT_EQ(*kill, *ModelKill(trace, c, base)) << "kill at " << c;
    EXPECT_EQ(*walk.KillDigest(), FastDigest(*kill)) << "kill at " << c;
    for (uint64_t keep : {uint64_t{0}, uint64_t{0x5}, uint64_t{0x2a}, ~uint64_t{0}}) {
      PowerLossPlan plan{c, 3, kWalkUnit, Profile::kPosix, PowerLossChoices{keep, ""}};
      Result<DirTree> chosen = walk.PowerLoss(plan, nullptr);
      ASSERT_TRUE(chosen.ok()) << chosen.status().message();
      EXPECT_EQ(*chosen, *ModelPowerLoss(trace, plan, base, nullptr)) << "choices at " << c;
      EXPECT_EQ(*walk.PowerLossDigest(plan), FastDigest(*chosen)) << "choices at " << c;
    }
    // Each pending write torn, the rest kept: digests first, one after the
    // other, so that a file's remembered outcome must tell the tears apart.
    Result<PendingChanges> pending = walk.Pending();
    ASSERT_TRUE(pending.ok()) << pending.status().message();
    std::vector<PowerLossPlan> torn;
    for (const PendingChanges::Write& w : pending->writes) {
      const std::string body(w.units - 1, 'N');
      for (const std::string& tear : {"O" + body, body + "O", body + "G"}) {
        torn.push_back({c, 5, kWalkUnit, Profile::kPosix, PowerLossChoices{~0ull, tear, w.event}});
      }
    }
    std::vector<uint64_t> digests;
    for (const PowerLossPlan& plan : torn) {
      Result<uint64_t> digest = walk.PowerLossDigest(plan);
      ASSERT_TRUE(digest.ok()) << digest.status().message();
      digests.push_back(*digest);
    }
    for (std::size_t i = 0; i < torn.size(); ++i) {
      Result<DirTree> tree = walk.PowerLoss(torn[i], nullptr);
      ASSERT_TRUE(tree.ok()) << tree.status().message();
      EXPECT_EQ(*tree, *ModelPowerLoss(trace, torn[i], base, nullptr)) << "tear at " << c;
      EXPECT_EQ(digests[i], FastDigest(*tree))
          << "tear " << torn[i].choices->tear << "@" << *torn[i].choices->torn_event << " at " << c;
    }
    for (uint64_t seed = 0; seed < 8; ++seed) {
      PowerLossPlan plan{c, seed, kWalkUnit, Profile::kPosix, std::nullopt};
      Result<DirTree> walked = walk.PowerLoss(plan, nullptr);
      ASSERT_TRUE(walked.ok()) << walked.status().message();
      EXPECT_EQ(*walked, *ModelPowerLoss(trace, plan, base, nullptr))
          << "power loss at " << c << " seed " << seed;
    }
    ASSERT_TRUE(walk.Next().ok());
  }
  EXPECT_TRUE(walk.done());
}

// Every subset of the pending changes, chosen bit by bit, gives every state
// the seeded draws give (seeds that do not tear), and no other.
TEST(CrashWalkTest, ChoicesCoverTheSeededStates) {
  const Trace trace = EveryChangeKindTrace();
  const uint64_t c = 9;  // after "cc", before tmp's data: three pending writes and names
  CrashWalk walk(trace, {}, Profile::kPosix, kWalkUnit);
  while (walk.point() < c) ASSERT_TRUE(walk.Next().ok());
  Result<PendingChanges> pending = walk.Pending();
  ASSERT_TRUE(pending.ok());
  ASSERT_GT(pending->changes, 1);
  ASSERT_LE(pending->changes, 12);
  std::set<std::string> chosen;
  for (uint64_t mask = 0; mask < (uint64_t{1} << pending->changes); ++mask) {
    PowerLossPlan plan{c, 0, kWalkUnit, Profile::kPosix, PowerLossChoices{mask, ""}};
    chosen.insert(DigestDirTree(*walk.PowerLoss(plan, nullptr)));
  }
  std::set<std::string> seeded;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    CrashReport report;
    DirTree tree =
        *walk.PowerLoss(PowerLossPlan{c, seed, kWalkUnit, Profile::kPosix, std::nullopt}, &report);
    if (report.ToString().find("torn") == std::string::npos) seeded.insert(DigestDirTree(tree));
  }
  EXPECT_EQ(chosen, seeded);
}

TEST(CrashWalkTest, ChosenTearOfTheWriteInFlight) {
  TraceBuilder t;
  t.Create("f", 1);
  t.Write(1, 0, "oldoldol");
  t.Sync(EventKind::kFsync, 1);
  const uint64_t c = t.Write(1, 4, "NEWNEWNE");  // one unit over old data, one past its end
  CrashWalk walk(t.trace(), {}, Profile::kPosix, kWalkUnit);
  while (walk.point() < c) ASSERT_TRUE(walk.Next().ok());
  Result<PendingChanges> pending = walk.Pending();
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->in_flight_units, 2u);
  auto file = [&](const std::string& tear) {
    PowerLossPlan plan{c, 1, kWalkUnit, Profile::kPosix, PowerLossChoices{~uint64_t{0}, tear}};
    Result<DirTree> tree = walk.PowerLoss(plan, nullptr);
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    return tree.ok() ? tree->files["f"] : "";
  };
  EXPECT_EQ(file(""), "oldoNEWNEWNE");
  EXPECT_EQ(file("NO"), std::string("oldoNEWN") + std::string(4, '\0'));
  EXPECT_EQ(file("ON"), "oldoldolEWNE");
  // Garbage on a unit inside the old file reads as old: units are atomic.
  EXPECT_EQ(file("GN"), "oldoldolEWNE");
  // A tear must name each unit of the write in flight.
  Result<DirTree> wrong = walk.PowerLoss(
      PowerLossPlan{c, 1, kWalkUnit, Profile::kPosix, PowerLossChoices{~uint64_t{0}, "NNN"}},
      nullptr);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("has 3 units, the write of event " + std::to_string(c) +
                                          " has 2"),
            std::string::npos);
}

// A completed write never synced may tear too: the payload written before
// its header, both pending when the sync that would make them durable is in
// flight.
TEST(CrashWalkTest, ChosenTearOfAPendingWrite) {
  TraceBuilder t;
  t.Create("f", 1);
  t.Write(1, 0, "oldoldol");
  t.Sync(EventKind::kFsync, 1);
  const uint64_t payload = t.Write(1, 12, "PAYLOADS");  // two units past the old end
  const uint64_t header = t.Write(1, 8, "HDR!");
  const uint64_t c = t.Sync(EventKind::kFdatasync, 1);
  CrashWalk walk(t.trace(), {}, Profile::kPosix, kWalkUnit);
  while (walk.point() < c) ASSERT_TRUE(walk.Next().ok());
  Result<PendingChanges> pending = walk.Pending();
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->in_flight_units, 0u);
  EXPECT_EQ(pending->writes, (std::vector<PendingChanges::Write>{{payload, 2}, {header, 1}}));
  auto file = [&](const std::string& tear, uint64_t event) {
    PowerLossPlan plan{c, 1, kWalkUnit, Profile::kPosix, PowerLossChoices{~0ull, tear, event}};
    Result<DirTree> tree = walk.PowerLoss(plan, nullptr);
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    return tree.ok() ? tree->files["f"] : "";
  };
  EXPECT_EQ(file("NO", payload), std::string("oldoldolHDR!PAYL") + std::string(4, '\0'));
  EXPECT_EQ(file("ON", payload), std::string("oldoldolHDR!") + std::string(4, '\0') + "OADS");
  // The header's one unit starts inside the file as the payload left it
  // (past the old end of file): torn, it reads as zeros.
  EXPECT_EQ(file("O", header), std::string("oldoldol") + std::string(4, '\0') + "PAYLOADS");
  // A tear must name each unit of the write it tears.
  PowerLossPlan wrong{c, 1, kWalkUnit, Profile::kPosix, PowerLossChoices{~0ull, "NNN", payload}};
  Result<DirTree> bad = walk.PowerLoss(wrong, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("the write of event " + std::to_string(payload) + " has 2"),
            std::string::npos)
      << bad.status().message();
}

// A pending write inside the file's old size tears to old or new units,
// never zeros or garbage: what a sector-atomic commit record relies on.
TEST(CrashWalkTest, APendingOverwriteTearsOnlyToOldUnits) {
  TraceBuilder t;
  t.Create("meta", 1);
  t.Write(1, 0, "AAAABBBB");
  t.Sync(EventKind::kFsync, 1);
  const uint64_t w = t.Write(1, 0, "ccccdddd");
  const uint64_t c = t.Sync(EventKind::kFsync, 1);
  CrashWalk walk(t.trace(), {}, Profile::kPosix, kWalkUnit);
  while (walk.point() < c) ASSERT_TRUE(walk.Next().ok());
  for (const char* tear : {"GN", "ZN", "OG", "NG"}) {
    PowerLossPlan plan{c, 1, kWalkUnit, Profile::kPosix, PowerLossChoices{~0ull, tear, w}};
    Result<DirTree> tree = walk.PowerLoss(plan, nullptr);
    ASSERT_TRUE(tree.ok()) << tree.status().message();
    const std::string f = tree->files["meta"];
    ASSERT_EQ(f.size(), 8u) << tear;
    EXPECT_TRUE(f.substr(0, 4) == "AAAA" || f.substr(0, 4) == "cccc") << tear << ": " << f;
    EXPECT_TRUE(f.substr(4) == "BBBB" || f.substr(4) == "dddd") << tear << ": " << f;
  }
}

}  // namespace
}  // namespace crashlab::faults
