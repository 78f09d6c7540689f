// Kill campaigns on pagejournal, the seed's engine: the correct variants hold
// their contracts at every named point, and the bug variants that a process
// kill can expose are caught with the verdicts their variants file documents.
#include <gtest/gtest.h>

#include <set>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

struct PagejournalCampaign {
  TempDir dir;
  std::string db = dir / "results.db";
  CommandResult result;

  void Run(std::vector<std::string> variants, int cases, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run", "--engine",  "pagejournal",         "--seed",
                                  "3",   "--cases",   std::to_string(cases), "--db",
                                  db,    "--workdir", dir / "cases"};
    for (const std::string& v : variants) {
      args.push_back("--variant");
      args.push_back(v);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    result = RunCrashlab(args, {{"CRASHLAB_TEST_MARKER", dir.path()}});
  }
};

TEST(PagejournalCampaign, Correct_HoldsWhenKilledAtNamedPointsChosenBySeed) {
  PagejournalCampaign c;
  c.Run({"correct", "correct-flush-every"}, 40, {"--point", "any"});
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  std::set<std::string> points;
  for (const Row& row : Query(c.db, "SELECT crash_plan FROM cases"))
    points.insert(row.at("crash_plan").substr(0, row.at("crash_plan").find(" hit=")));
  EXPECT_GE(points.size(), 8u) << "named-point kills should spread over the engine's points";
  EXPECT_EQ(CountProcessesWithEnv("CRASHLAB_TEST_MARKER=" + c.dir.path()), 0);
}

TEST(PagejournalCampaign, AckBeforeJournal_CaughtAsLostAckedUnderKill) {
  PagejournalCampaign c;
  c.Run({"ack-before-journal"}, 20);
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  EXPECT_FALSE(Query(c.db, "SELECT 1 FROM cases WHERE verdict = 'lost-acked'").empty());
  EXPECT_TRUE(
      Query(c.db, "SELECT 1 FROM cases WHERE verdict NOT IN ('pass', 'lost-acked')").empty());
}

TEST(PagejournalCampaign, RecycledJournalStale_CaughtUnderKill) {
  PagejournalCampaign c;
  c.Run({"recycled-journal-stale"}, 30);
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  // Stale records replayed as new put old page images back: data regresses
  // (lost-acked, hole), mixes (torn-txn, corrupt), or the index breaks so
  // badly that recovery fails. Nothing else may appear.
  EXPECT_TRUE(Query(c.db,
                    "SELECT verdict FROM cases WHERE verdict NOT IN ('pass', 'corrupt', "
                    "'hole', 'lost-acked', 'torn-txn', 'recovery-failed')")
                  .empty());
  EXPECT_FALSE(
      Query(c.db, "SELECT 1 FROM cases WHERE verdict IN ('corrupt', 'hole', 'torn-txn')").empty())
      << c.result.out;
}

}  // namespace
}  // namespace crashlab::e2e
