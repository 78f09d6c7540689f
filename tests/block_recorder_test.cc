// The block-level recorder end to end: pagejournal on real ext4, XFS and
// btrfs, its disk logged by crashlab-blockdev and crashed at the block
// level. The correct variant holds; two planted bugs that lose data on any
// file system are caught; a stored failure replays to the very state, and
// explain shows the block records around its crash point.
#include <gtest/gtest.h>

#include <sstream>

#include "faults/block/block_devices_for_tests.h"
#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

class BlockRecorder : public ::testing::TestWithParam<faults::FileSystemKind> {
 protected:
  std::string fs() const { return std::string(faults::FileSystemName(GetParam())); }
};

TEST_P(BlockRecorder, CorrectHoldsAndTwoPlantedBugsAreCaught) {
  CRASHLAB_REQUIRE_BLOCK_RECORDER(GetParam(), CRASHLAB_BLOCKDEV);
  TempDir dir;
  const std::string db = dir / "results.db";
  CommandResult r = RunCrashlab({"run",
                                 "--engine",
                                 "pagejournal",
                                 "--variant",
                                 "correct",
                                 "--variant",
                                 "journal-no-sync",
                                 "--variant",
                                 "checkpoint-before-data-sync",
                                 "--crash",
                                 "power-loss",
                                 "--recorder",
                                 "block",
                                 "--fs",
                                 fs(),
                                 "--cases",
                                 "30",
                                 "--seed",
                                 "4",
                                 "--db",
                                 db,
                                 "--workdir",
                                 dir / "cases"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(CountCasesWhere(db, "variant = 'correct' AND verdict = 'pass'"), 30) << r.out;
  for (const std::string variant : {"journal-no-sync", "checkpoint-before-data-sync"}) {
    EXPECT_GT(CountCasesWhere(db, "variant = '" + variant + "' AND verdict != 'pass'"), 0)
        << variant << " was not caught on " << fs() << ":\n"
        << r.out;
  }
  // Every plan is a block plan of this file system, at a point of its log.
  EXPECT_EQ(CountCasesWhere(db, "crash_plan LIKE 'power-loss block=" + fs() + " point=%'"), 90);

  // The first failure replays from its stored block log to the same state.
  const std::vector<Row> first = Query(db, "SELECT min(id) AS id FROM failures");
  ASSERT_EQ(first.size(), 1u);
  const std::string id = first[0].at("id");
  CommandResult repro = RunCrashlab({"repro", id, "--db", db});
  EXPECT_NE(repro.out.find("rebuilt byte for byte"), std::string::npos) << repro.out << repro.err;
  EXPECT_NE(repro.out.find("VIOLATED"), std::string::npos) << repro.out;
  CommandResult explain = RunCrashlab({"explain", id, "--db", db});
  EXPECT_EQ(explain.exit_code, 0) << explain.err;
  EXPECT_NE(explain.out.find("--- power loss ---"), std::string::npos) << explain.out;
  EXPECT_NE(explain.out.find("mark: reply 'ok' read"), std::string::npos) << explain.out;
}

TEST_P(BlockRecorder, ExploreHoldsOnCorrectAndFindsAnUnsyncedJournal) {
  CRASHLAB_REQUIRE_BLOCK_RECORDER(GetParam(), CRASHLAB_BLOCKDEV);
  TempDir dir;
  const std::string db = dir / "results.db";
  auto explore = [&](const std::string& variant, std::vector<std::string> extra) {
    std::vector<std::string> args{"explore",    "--engine", "pagejournal", "--variant", variant,
                                  "--recorder", "block",    "--fs",        fs(),        "--seed",
                                  "1",          "--txns",   "5",           "--subsets", "3",
                                  "--samples",  "3",        "--db",        db};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCrashlab(args);
  };
  CommandResult correct = explore("correct", {});
  ASSERT_EQ(correct.exit_code, 0) << correct.out << correct.err;
  EXPECT_NE(correct.out.find("0 violation(s)"), std::string::npos) << correct.out;
  // Block states only, each recorded with its block plan.
  EXPECT_GT(CountCasesWhere(db, "crash_plan LIKE 'explore workload=0 txns=5 power-loss block=" +
                                    fs() + " point=%'"),
            5);
  EXPECT_EQ(CountCasesWhere(db, "crash_plan NOT LIKE '%block=%'"), 0);

  CommandResult bug = explore("journal-no-sync", {"--first"});
  ASSERT_EQ(bug.exit_code, 1) << bug.out << bug.err;
  EXPECT_GT(CountCasesWhere(db, "variant = 'journal-no-sync' AND verdict = 'lost-acked'"), 0)
      << bug.out;
  const std::vector<Row> failure = Query(db, "SELECT max(id) AS id FROM failures");
  ASSERT_EQ(failure.size(), 1u);
  CommandResult repro = RunCrashlab({"repro", failure[0].at("id"), "--db", db});
  EXPECT_NE(repro.out.find("rebuilt byte for byte"), std::string::npos) << repro.out << repro.err;
  EXPECT_NE(repro.out.find("lost-acked"), std::string::npos) << repro.out;
}

TEST(BlockRecorderErrors, ExploringKillsAloneIsRefusedWithTheReason) {
  TempDir dir;
  CommandResult r =
      RunCrashlab({"explore", "--engine", "pagejournal", "--variant", "correct", "--recorder",
                   "block", "--crash", "kill", "--seed", "1", "--db", dir / "results.db"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("power losses only"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(FileSystems, BlockRecorder,
                         ::testing::Values(faults::FileSystemKind::kExt4,
                                           faults::FileSystemKind::kXfs,
                                           faults::FileSystemKind::kBtrfs),
                         [](const auto& p) {
                           return std::string(faults::FileSystemName(p.param));
                         });

// The mount points under `dir` in /proc/self/mountinfo.
int MountsUnder(const std::string& dir) {
  int n = 0;
  std::istringstream mounts(ReadFile("/proc/self/mountinfo"));
  for (std::string line; std::getline(mounts, line);) {
    if (line.find(" " + dir + "/") != std::string::npos) ++n;
  }
  return n;
}

TEST(BlockRecorderSoak, AControllerKilledMidCaseLeavesMountsThatTheResumeTakesDown) {
  CRASHLAB_REQUIRE_BLOCK_RECORDER(faults::FileSystemKind::kExt4, CRASHLAB_BLOCKDEV);
  TempDir dir;
  const std::string db = dir / "results.db", work = dir / "cases";
  const std::vector<std::string> args{
      "soak",       "--engine",  "pagejournal", "--variant", "correct", "--crash", "power-loss",
      "--recorder", "block",     "--duration",  "8s",        "--seed",  "5",       "--db",
      db,           "--workdir", work};
  // Killed many times at different moments, some of them with the case's
  // file systems mounted; each resume unmounts what its predecessor left.
  int left_mounted = 0;
  for (int kill = 0; kill < 10; ++kill) {
    std::vector<std::string> again = args;
    if (kill > 0) again.push_back("--resume");
    (void)RunCrashlabKilledAfter(again, 700 + 97 * kill);
    if (MountsUnder(work) > 0) ++left_mounted;
  }
  std::vector<std::string> finish = args;
  finish.push_back("--resume");
  CommandResult last = RunCrashlab(finish);
  EXPECT_EQ(last.exit_code, 0) << last.out << last.err;
  EXPECT_EQ(MountsUnder(work), 0) << ReadFile("/proc/self/mountinfo");
  EXPECT_GT(left_mounted, 0) << "no kill landed while a case was mounted: the test proved nothing";
}

TEST(BlockRecorderErrors, AProfileIsRefusedForTheKernelDecides) {
  TempDir dir;
  CommandResult r = RunCrashlab({"explore", "--engine", "pagejournal", "--variant", "correct",
                                 "--recorder", "block", "--profile", "ext4-ordered", "--seed", "1",
                                 "--db", dir / "results.db"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("drop --profile"), std::string::npos) << r.err;
}

TEST(BlockRecorderErrors, AMissingDaemonIsAnErrorThatSaysHowToBuildIt) {
  TempDir dir;
  CommandResult r = RunCrashlab({"run", "--engine", "pagejournal", "--variant", "correct",
                                 "--crash", "power-loss", "--seed", "1", "--recorder", "block",
                                 "--blockdev", dir / "no-such-blockdev", "--cases", "1", "--db",
                                 dir / "results.db", "--workdir", dir / "cases"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("no-such-blockdev"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("crashlab_blockdev"), std::string::npos) << r.err;
}

TEST(BlockRecorderErrors, LiveModeIsRefusedWithTheReason) {
  CRASHLAB_REQUIRE_BLOCK_RECORDER(faults::FileSystemKind::kExt4, CRASHLAB_BLOCKDEV);
  TempDir dir;
  CommandResult r =
      RunCrashlab({"run", "--engine", "pagejournal", "--variant", "correct", "--crash",
                   "power-loss", "--seed", "1", "--live", "--recorder", "block", "--cases", "1",
                   "--db", dir / "results.db", "--workdir", dir / "cases"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("no live mode"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace crashlab::e2e
