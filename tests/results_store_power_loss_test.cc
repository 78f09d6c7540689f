// crashlab's results store under crashlab's own crashes (issue 9): the store's
// writer, driven as an engine (tests/results_store_engine), must keep every
// case it recorded through a simulated power loss and a process kill. A
// weakened store (synchronous=NORMAL) shows that the same checks can fail.
#include <gtest/gtest.h>

#include <regex>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

const std::string kStore = CRASHLAB_RESULTS_STORE_ENGINE;

int64_t Sum(const std::string& db, const std::string& column) {
  return std::stoll(
      Query(db, "SELECT coalesce(sum(" + column + "), 0) AS n FROM cases")[0].at("n"));
}

CommandResult Campaign(const TempDir& dir, const std::string& variant, const std::string& crash,
                       int cases) {
  return RunCrashlab({"run", "--engine", kStore, "--variant", variant, "--seed", "5", "--cases",
                      std::to_string(cases), "--crash", crash, "--db", dir / "results.db",
                      "--workdir", dir / "cases"},
                     {{"CRASHLAB_TEST_MARKER", dir.path()}});
}

// Every crash point of an 8-transaction workload (the store's creation, its
// schema migrations, the campaign, the cases, a checkpoint and the close), as
// a kill and as power losses with every subset of the pending writes and
// their tears: no state loses a case the store had recorded.
TEST(ResultsStorePowerLoss, ExploreAsUsed_EveryCrashStateKeepsEveryRecordedCase) {
  TempDir dir;
  const std::string db = dir / "explore.db";
  CommandResult r =
      RunCrashlab({"explore", "--engine", kStore, "--variant", "as-used", "--seed", "3", "--txns",
                   "8", "--db", db, "--workdir", dir / "work", "--jobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 violation(s)"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"((\d+) distinct, )"))) << r.out;
  const int64_t distinct = std::stoll(m[1]);
  EXPECT_GT(distinct, 100) << r.out;
  EXPECT_EQ(CountCasesWhere(db, "1"), distinct);
  EXPECT_EQ(CountCasesWhere(db, "violation = 1"), 0);
  // Not vacuous: kills and power losses, torn writes, and states that had
  // recorded cases to keep, recovered up to the whole workload.
  EXPECT_GT(CountCasesWhere(db, "crash_kind = 'kill'"), 10);
  EXPECT_GT(CountCasesWhere(db, "crash_kind = 'power-loss' AND crash_plan LIKE '% keep=%'"), 10);
  EXPECT_GT(CountCasesWhere(db, "crash_plan LIKE '% tear=%'"), 0);
  EXPECT_GT(CountCasesWhere(db, "crash_kind = 'power-loss' AND txns_acked > 0"), 100);
  EXPECT_GT(CountCasesWhere(db, "txns_acked = 8 AND recovered_prefix = 8"), 0);
}

TEST(ResultsStorePowerLoss, PowerLossCampaignAsUsed_KeepsEveryRecordedCase) {
  TempDir dir;
  CommandResult r = Campaign(dir, "as-used", "power-loss", 20);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string db = dir / "results.db";
  EXPECT_EQ(CountCasesWhere(db, "crash_kind = 'power-loss' AND verdict = 'pass'"), 20);
  EXPECT_GT(Sum(db, "txns_acked"), 20);
  EXPECT_EQ(CountProcessesWithEnv("CRASHLAB_TEST_MARKER=" + dir.path()), 0);
}

TEST(ResultsStorePowerLoss, KillCampaignAsUsed_KeepsEveryRecordedCase) {
  TempDir dir;
  CommandResult r = Campaign(dir, "as-used", "kill", 20);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string db = dir / "results.db";
  EXPECT_EQ(CountCasesWhere(db, "crash_kind = 'kill' AND verdict = 'pass'"), 20);
  EXPECT_GT(Sum(db, "txns_acked"), 20);
}

// The same campaign against a store that skips the WAL sync at each commit:
// the recorded cases a power loss drops are caught.
TEST(ResultsStorePowerLoss, SyncNormal_PowerLossLosesRecordedCasesAndIsCaught) {
  TempDir dir;
  CommandResult r = Campaign(dir, "sync-normal", "power-loss", 10);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string db = dir / "results.db";
  EXPECT_GT(CountCasesWhere(db, "verdict = 'lost-acked' AND violation = 1"), 0) << r.out;
  // WAL keeps it consistent: only whole transactions from the end are lost.
  EXPECT_EQ(CountCasesWhere(db, "verdict NOT IN ('pass', 'lost-acked')"), 0) << r.out;
}

}  // namespace
}  // namespace crashlab::e2e
