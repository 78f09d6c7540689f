// Live mode and mixed campaigns end to end: the tracer kills the engine for
// real at a traced event, the directory it leaves must match the model, and
// kill and power-loss cases alternate in one campaign.
#include <gtest/gtest.h>

#include <bit>
#include <regex>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

struct LiveRun {
  TempDir dir;
  std::string db = dir / "results.db";
  CommandResult result;

  void Run(const std::string& variant, const std::string& crash, int cases,
           std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "run", "--engine",  "pagejournal",         "--variant", variant, "--seed",
        "11",  "--cases",   std::to_string(cases), "--crash",   crash,   "--db",
        db,    "--workdir", dir / "cases"};
    args.insert(args.end(), extra.begin(), extra.end());
    result = RunCrashlab(args, {{"CRASHLAB_TEST_MARKER", dir.path()}});
  }
};

TEST(LiveCampaign, MixedLiveCampaign_AlternatesKindsAndRecordsEachState) {
  LiveRun c;
  c.Run("correct-flush-every", "power-loss,kill", 8, {"--live"});
  ASSERT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(Query(c.db, "SELECT crash_kind FROM campaigns")[0].at("crash_kind"), "kill,power-loss");
  const auto cases =
      Query(c.db, "SELECT case_index, crash_kind, crash_plan, crash_state FROM cases");
  ASSERT_EQ(cases.size(), 8u);
  for (const Row& row : cases) {
    // Kinds follow the parity of the index's 1 bits: 0 kill, 1 and 2 power
    // loss, 3 kill, ...
    const bool even = std::popcount(std::stoul(row.at("case_index"))) % 2 == 0;
    EXPECT_EQ(row.at("crash_kind"), even ? "kill" : "power-loss");
    EXPECT_TRUE(std::regex_match(row.at("crash_plan"),
                                 std::regex(even ? "live kill-at=\\d+ kill event=\\d+ model=2"
                                                 : "live kill-at=\\d+ power-loss event=.*")))
        << row.at("crash_plan");
    EXPECT_TRUE(std::regex_match(row.at("crash_state"), std::regex("fd1:[0-9a-f]{16}")));
  }
  EXPECT_NE(c.result.out.find("correct-flush-every (kill)"), std::string::npos) << c.result.out;
  EXPECT_NE(c.result.out.find("correct-flush-every (power-loss)"), std::string::npos);
  EXPECT_EQ(CountProcessesWithEnv("CRASHLAB_TEST_MARKER=" + c.dir.path()), 0);
}

TEST(LiveCampaign, LiveKillAtANamedPoint_KillsAtAHitOfThatPoint) {
  LiveRun c;
  c.Run("correct", "kill", 4, {"--live", "--point", "journal.write:after"});
  ASSERT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(Query(c.db, "SELECT 1 FROM cases").size(), 4u);
}

// pagejournal's checkpointer thread moves events between runs (and SQLite
// salts its WAL at random), so a rerun rarely rebuilds the same state: a
// failure is replayed from the trace the results store keeps.
TEST(LiveCampaign, LivePowerLossCatchesAnUnsyncedJournal_AndReproReplaysItsTrace) {
  LiveRun c;
  c.Run("journal-no-sync", "power-loss", 20, {"--live"});
  ASSERT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  EXPECT_FALSE(Query(c.db, "SELECT 1 FROM cases WHERE verdict = 'lost-acked'").empty());
  const auto failed = Query(c.db,
                            "SELECT c.case_index, c.verdict, c.crash_state FROM cases c JOIN "
                            "failures f ON f.case_id = c.id WHERE f.trace_id IS NOT NULL LIMIT 1");
  ASSERT_EQ(failed.size(), 1u);
  CommandResult repro = RunCrashlab(
      {"repro", "--engine", "pagejournal", "--variant", "journal-no-sync", "--seed", "11", "--case",
       failed[0].at("case_index"), "--crash", "power-loss", "--live", "--db", c.db});
  EXPECT_EQ(repro.exit_code, 1) << repro.out << repro.err;
  EXPECT_NE(repro.out.find("replaying the trace stored in"), std::string::npos) << repro.out;
  EXPECT_NE(repro.out.find("verdict:   " + failed[0].at("verdict")), std::string::npos)
      << repro.out;
  EXPECT_NE(
      repro.out.find("crash state: rebuilt byte for byte (digest " + failed[0].at("crash_state")),
      std::string::npos)
      << repro.out;
}

}  // namespace
}  // namespace crashlab::e2e
