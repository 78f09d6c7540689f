// The Python adapter of docs/writing-an-adapter.md (tests/python_adapter/),
// run the way its reader will run it: `crashlab run --engine <path to its
// variants.ini>`, with kills and with simulated power loss. Its correct
// variant must hold; each planted bug must be caught under power loss.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

const std::string kKvlog = CRASHLAB_PYTHON_ADAPTER;

struct PythonCampaign {
  TempDir dir;
  std::string db = dir / "results.db";
  CommandResult result;

  void Run(const std::string& variant, const std::string& crash, int cases,
           std::vector<std::string> extra = {}) {
    std::vector<std::string> args{
        "run",    "--engine", kKvlog,    "--variant",           variant,
        "--seed", "5",        "--cases", std::to_string(cases), "--crash",
        crash,    "--db",     db,        "--workdir",           dir / "cases"};
    args.insert(args.end(), extra.begin(), extra.end());
    result = RunCrashlab(args, {{"CRASHLAB_TEST_MARKER", dir.path()}});
  }
  std::vector<Row> Cases() { return Query(db, "SELECT * FROM cases ORDER BY case_index"); }
  std::vector<Row> CasesWith(const std::string& verdict) {
    return Query(db, "SELECT * FROM cases WHERE verdict = '" + verdict + "'");
  }
  int LeftRunning() { return CountProcessesWithEnv("CRASHLAB_TEST_MARKER=" + dir.path()); }
};

TEST(PythonAdapter, Correct_HoldsUnderKill) {
  PythonCampaign c;
  c.Run("correct", "kill", 20);
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  const auto cases = c.Cases();
  ASSERT_EQ(cases.size(), 20u) << c.result.out << c.result.err;
  for (const Row& row : cases) {
    EXPECT_EQ(row.at("engine"), "kvlog");
    EXPECT_EQ(row.at("verdict"), "pass") << row.at("details");
  }
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(PythonAdapter, Correct_HoldsWhenKilledAtItsNamedPoints) {
  // The adapter implements CRASHLAB_KILL_AT itself, in Python.
  PythonCampaign c;
  c.Run("correct", "kill", 15, {"--point", "any"});
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  const auto cases = c.Cases();
  ASSERT_EQ(cases.size(), 15u) << c.result.out << c.result.err;
  for (const Row& row : cases) {
    EXPECT_EQ(row.at("verdict"), "pass") << row.at("details");
    EXPECT_EQ(row.at("crash_plan").rfind("kill point=", 0), 0u) << row.at("crash_plan");
  }
  // Killed after the record was written, before `ok`: not acknowledged, yet recovered.
  EXPECT_FALSE(Query(c.db,
                     "SELECT 1 FROM cases WHERE recovered_prefix = txns_acked + 1 AND "
                     "details LIKE '%killed at kvlog.%'")
                   .empty())
      << c.result.out;
  // Killed inside its own recovery, then recovered by a third process.
  EXPECT_FALSE(
      Query(c.db, "SELECT 1 FROM cases WHERE details LIKE '%inside recovery; recovered again%'")
          .empty())
      << c.result.out;
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(PythonAdapter, Correct_HoldsUnderPowerLoss) {
  PythonCampaign c;
  c.Run("correct", "power-loss", 30);
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  const auto cases = c.Cases();
  ASSERT_EQ(cases.size(), 30u) << c.result.out << c.result.err;
  for (const Row& row : cases) {
    EXPECT_EQ(row.at("crash_kind"), "power-loss");
    EXPECT_EQ(row.at("verdict"), "pass") << row.at("crash_plan") << ": " << row.at("details");
  }
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(PythonAdapter, NoFsync_HoldsUnderKillButLosesAcknowledgedTransactionsUnderPowerLoss) {
  PythonCampaign kill;
  kill.Run("no-fsync", "kill", 5);
  EXPECT_EQ(kill.result.exit_code, 0) << kill.result.out << kill.result.err;

  PythonCampaign power;
  power.Run("no-fsync", "power-loss", 20);
  EXPECT_EQ(power.result.exit_code, 1) << power.result.out << power.result.err;
  EXPECT_FALSE(power.CasesWith("lost-acked").empty()) << power.result.out;
  // Recovery still cuts at the first bad record, so what is lost is a suffix.
  for (const Row& row : power.Cases()) {
    EXPECT_TRUE(row.at("verdict") == "pass" || row.at("verdict") == "lost-acked")
        << row.at("verdict") << ": " << row.at("details");
  }
  EXPECT_NE(power.result.out.find("VIOLATION kvlog/no-fsync"), std::string::npos)
      << power.result.out;
}

TEST(PythonAdapter, NoDirsync_LosesTheLogUnderPowerLoss) {
  PythonCampaign c;
  c.Run("no-dirsync", "power-loss", 20);
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  EXPECT_FALSE(c.CasesWith("lost-acked").empty()) << c.result.out;
}

}  // namespace
}  // namespace crashlab::e2e
