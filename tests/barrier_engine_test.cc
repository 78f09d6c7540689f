// A log barrier that is no barrier: the barrier test engine
// (tests/barrier_engine/) acknowledges each record after fdatasync (correct)
// or after sync_file_range (the bug: sync_file_range(2) flushes neither
// metadata nor the device cache, "there are no guarantees that the data will
// be available after a crash"). Exploration must find the bug at once and
// shrink it; the correct variant must hold everywhere, under both profiles.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

const std::string kBarrierEngine = CRASHLAB_BARRIER_ENGINE;

// The number after "-> " in "... 40 -> 2 transactions".
int ShrunkTo(const std::string& out) {
  std::smatch m;
  static const std::regex kLine("-> (\\d+) transactions");
  return std::regex_search(out, m, kLine) ? std::stoi(m[1]) : -1;
}

TEST(BarrierEngine, SyncFileRangeAsTheLogBarrierIsLostAckedAndShrinks) {
  TempDir dir;
  const std::string db = dir / "found.db";
  CommandResult found =
      RunCrashlab({"explore", "--engine", kBarrierEngine, "--variant", "sync-file-range", "--seed",
                   "1", "--txns", "40", "--first", "--db", db});
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  EXPECT_GT(CountCasesWhere(db, "violation = 1 AND verdict = 'lost-acked'"), 0) << found.out;
  const std::string id = Query(db, "SELECT min(id) AS id FROM failures")[0].at("id");
  CommandResult shrunk = RunCrashlab({"shrink", id, "--db", db, "--budget", "600"});
  ASSERT_EQ(shrunk.exit_code, 0) << shrunk.out << shrunk.err;
  const int txns = ShrunkTo(shrunk.out);
  EXPECT_GE(txns, 1) << shrunk.out;
  EXPECT_LE(txns, 3) << shrunk.out;
  EXPECT_NE(shrunk.out.find("lost-acked"), std::string::npos) << shrunk.out;
}

TEST(BarrierEngine, SyncFileRangeAsTheLogBarrierFailsPowerLossUnderBothProfiles) {
  for (const std::string profile : {"posix", "ext4-ordered"}) {
    TempDir dir;
    const std::string db = dir / "run.db";
    CommandResult r = RunCrashlab({"run", "--engine", kBarrierEngine, "--variant",
                                   "sync-file-range", "--crash", "power-loss", "--profile", profile,
                                   "--cases", "12", "--seed", "2", "--db", db});
    EXPECT_EQ(r.exit_code, 1) << profile << "\n" << r.out << r.err;
    EXPECT_GT(CountCasesWhere(db, "verdict = 'lost-acked'"), 0) << profile << "\n" << r.out;
  }
}

TEST(BarrierEngine, FdatasyncAsTheLogBarrierHoldsInExploreAndPowerLoss) {
  TempDir dir;
  const std::string db = dir / "ok.db";
  CommandResult explored = RunCrashlab({"explore", "--engine", kBarrierEngine, "--variant",
                                        "correct", "--seed", "1", "--txns", "40", "--db", db});
  ASSERT_EQ(explored.exit_code, 0) << explored.out << explored.err;
  EXPECT_NE(explored.out.find("0 violation(s)"), std::string::npos) << explored.out;
  EXPECT_GT(CountCasesWhere(db, "crash_kind = 'power-loss'"), 50) << explored.out;
  for (const std::string profile : {"posix", "ext4-ordered"}) {
    CommandResult r = RunCrashlab({"run", "--engine", kBarrierEngine, "--variant", "correct",
                                   "--crash", "power-loss", "--profile", profile, "--cases", "40",
                                   "--seed", "2", "--db", db});
    EXPECT_EQ(r.exit_code, 0) << profile << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("40 cases, 0 violation(s)"), std::string::npos) << profile << "\n"
                                                                         << r.out;
  }
  EXPECT_EQ(CountCasesWhere(db, "violation = 1"), 0);
}

}  // namespace
}  // namespace crashlab::e2e
