// Faults that are not the engine's crash handling: a full file system, an
// engine that fails before any crash point. Each stops the campaign with an
// error (exit 2) that says what happened, the campaign ends in `error`, and
// no case of it is recorded as a verdict.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

struct Campaign {
  TempDir dir;
  std::string db = dir / "results.db";
  std::string workdir = dir / "cases";
  CommandResult result;

  void Run(const std::string& variant, int cases, const std::string& crash,
           std::vector<std::string> extra = {}) {
    std::vector<std::string> args{
        "run",    "--engine", kFakeEngine, "--variant",           variant,
        "--seed", "3",        "--cases",   std::to_string(cases), "--crash",
        crash,    "--db",     db,          "--workdir",           workdir};
    args.insert(args.end(), extra.begin(), extra.end());
    result = RunCrashlab(args, {{"CRASHLAB_TEST_MARKER", dir.path()}});
  }
  std::vector<Row> Cases() { return Query(db, "SELECT * FROM cases ORDER BY case_index"); }
  std::string Status() { return Query(db, "SELECT status FROM campaigns").at(0).at("status"); }
  int LeftRunning() { return CountProcessesWithEnv("CRASHLAB_TEST_MARKER=" + dir.path()); }
  bool Says(const std::string& text) const { return result.err.find(text) != std::string::npos; }
};

TEST(ForeignFaults, EngineThatMeetsENOSPCAndRecovers_StopsTheCampaignWithNoVerdict) {
  // The engine fills the disk, meets ENOSPC, frees the space and refuses the
  // commit, as a careful engine does: the disk has room again when the case
  // ends, but the case judged a full disk, not a crash.
  Campaign c;
  SmallFileSystem small(c.dir / "small", "8m");
  if (!small.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  c.workdir = c.dir / "small/cases";
  c.Run("enospc-then-free", 3, "power-loss");
  EXPECT_EQ(c.result.exit_code, 2) << c.result.out << c.result.err;
  EXPECT_TRUE(c.Says("the file system of " + c.workdir +
                     "/enospc-then-free/case-0 ran out of "
                     "space: a write"))
      << c.result.err;
  // The tracer's line saying which write it was may not fit on the full disk.
  EXPECT_TRUE(c.Says("failed with ENOSPC")) << c.result.err;
  EXPECT_TRUE(c.Says("during the traced run")) << c.result.err;
  EXPECT_TRUE(c.Says("A case there needs more than the ")) << c.result.err;
  EXPECT_TRUE(c.Cases().empty());
  EXPECT_EQ(c.Status(), "error");
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(ForeignFaults, SigbusOnAFullDisk_IsAFullDiskErrorThatSaysSo) {
  // A store through a mapping into a file on a full file system gets SIGBUS:
  // the engine's death is the disk's doing, under either crash kind.
  for (const std::string crash : {"power-loss", "kill"}) {
    Campaign c;
    SmallFileSystem small(c.dir / "small", "8m");
    if (!small.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
    c.workdir = c.dir / "small/cases";
    c.Run("mmap-fill", 3, crash);
    EXPECT_EQ(c.result.exit_code, 2) << crash << c.result.out << c.result.err;
    EXPECT_TRUE(c.Says("ran out of space: the engine died of SIGBUS")) << crash << c.result.err;
    EXPECT_TRUE(c.Cases().empty()) << crash;
    EXPECT_EQ(c.Status(), "error") << crash;
    EXPECT_EQ(c.LeftRunning(), 0);
  }
}

TEST(ForeignFaults, TooLittleRoomForAnotherCase_StopsBeforeItNamingWhatItNeeds) {
  // Kept case directories fill a small file system: before each case the
  // room left is checked against what the cases so far took, so the
  // campaign stops before a case runs out of space, and every case recorded
  // ran with room.
  Campaign c;
  SmallFileSystem small(c.dir / "small", "3m");
  if (!small.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  c.workdir = c.dir / "small/cases";
  c.Run("correct", 400, "power-loss", {"--keep-cases", "--txns", "40"});
  EXPECT_EQ(c.result.exit_code, 2) << c.result.out << c.result.err;
  EXPECT_TRUE(c.Says("the file system of " + c.workdir + "/correct has ")) << c.result.err;
  EXPECT_TRUE(
      c.Says("KiB of the largest case directory so far): a case that ran out of space would "
             "judge"))
      << c.result.err;
  const std::vector<Row> cases = c.Cases();
  EXPECT_GE(cases.size(), 2u);
  EXPECT_LT(cases.size(), 400u);
  for (const Row& row : cases) EXPECT_EQ(row.at("verdict"), "pass") << row.at("details");
  EXPECT_EQ(c.Status(), "error");
}

TEST(ForeignFaults, EngineDyingInTheTracedRun_IsAnEngineErrorWithItsStderr) {
  // Before any crash point there is nothing to recover: a death there is the
  // engine's own error, shown with its stderr, never `recovery-failed`.
  Campaign c;
  c.Run("exit-in-open", 3, "power-loss");
  EXPECT_EQ(c.result.exit_code, 2) << c.result.out << c.result.err;
  EXPECT_TRUE(c.Says("variant exit-in-open (")) << c.result.err;
  EXPECT_TRUE(c.Says("/crashlab-fake-engine) failed on its own in " + c.workdir +
                     "/exit-in-open/case-0, before any crash point"))
      << c.result.err;
  EXPECT_TRUE(c.Says("exited with status 3")) << c.result.err;
  EXPECT_TRUE(c.Says("not a recovery failure")) << c.result.err;
  EXPECT_TRUE(c.Says("crashlab-fake-engine: cannot open ")) << c.result.err;
  EXPECT_TRUE(c.Cases().empty());
  EXPECT_EQ(c.Status(), "error");
}

}  // namespace
}  // namespace crashlab::e2e
