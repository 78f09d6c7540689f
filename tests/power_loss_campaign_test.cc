// Power-loss campaigns end to end: a traced run under libcrashlab_preload.so,
// a crash state built from the trace, recovery by a fresh engine process.
#include <gtest/gtest.h>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

struct PowerLossCampaign {
  TempDir dir;
  std::string db = dir / "results.db";
  CommandResult result;

  void Run(const std::string& engine, const std::string& variant, int cases) {
    result = RunCrashlab(
        {"run", "--engine", engine, "--variant", variant, "--seed", "5", "--cases",
         std::to_string(cases), "--crash", "power-loss", "--db", db, "--workdir", dir / "cases"},
        {{"CRASHLAB_TEST_MARKER", dir.path()}});
  }
};

TEST(PowerLossCampaign, PagejournalCorrect_KeepsEveryAcknowledgedTransaction) {
  PowerLossCampaign c;
  c.Run("pagejournal", "correct-flush-every", 25);
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  const auto cases = Query(c.db, "SELECT crash_kind, crash_plan FROM cases");
  ASSERT_EQ(cases.size(), 25u);
  for (const Row& row : cases) {
    EXPECT_EQ(row.at("crash_kind"), "power-loss");
    EXPECT_EQ(row.at("crash_plan").rfind("power-loss event=", 0), 0u) << row.at("crash_plan");
  }
  EXPECT_EQ(CountProcessesWithEnv("CRASHLAB_TEST_MARKER=" + c.dir.path()), 0);
}

TEST(PowerLossCampaign, PagejournalJournalNoSync_LosesAcknowledgedTransactions) {
  // Kills never show this bug: the page cache keeps the unsynced journal.
  PowerLossCampaign c;
  c.Run("pagejournal", "journal-no-sync", 30);
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  EXPECT_FALSE(Query(c.db, "SELECT 1 FROM cases WHERE verdict = 'lost-acked'").empty())
      << c.result.out;
}

TEST(PowerLossCampaign, WritesPastTheTracer_AreAnErrorNotAPass) {
  PowerLossCampaign c;
  c.Run(CRASHLAB_FAKE_ENGINE, "raw-syscall", 3);
  EXPECT_EQ(c.result.exit_code, 2) << c.result.out << c.result.err;
  EXPECT_NE(c.result.err.find("the trace does not explain"), std::string::npos) << c.result.err;
  EXPECT_TRUE(Query(c.db, "SELECT 1 FROM cases").empty());
}

TEST(PowerLossCampaign, SqliteWalFull_HoldsItsDurableContract) {
  PowerLossCampaign c;
  c.Run("sqlite", "wal-full", 20);
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
}

}  // namespace
}  // namespace crashlab::e2e
