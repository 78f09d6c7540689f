// End-to-end kill campaigns on crashlab's fake engine and on SQLite: the
// built crashlab executable, real engine processes, a real results database.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

struct KillRun {
  TempDir dir;
  std::string db = dir / "results.db";
  std::string marker = "CRASHLAB_TEST_MARKER=" + dir.path();
  CommandResult result;

  void Run(const std::string& engine, const std::string& variant, int cases,
           std::vector<std::string> extra = {}) {
    std::vector<std::string> args{
        "run",    "--engine", engine,    "--variant",           variant,
        "--seed", "7",        "--cases", std::to_string(cases), "--crash",
        "kill",   "--db",     db,        "--workdir",           dir / "cases"};
    args.insert(args.end(), extra.begin(), extra.end());
    result = RunCrashlab(args, {{"CRASHLAB_TEST_MARKER", dir.path()}});
  }
  std::vector<Row> Cases() { return Query(db, "SELECT * FROM cases ORDER BY case_index"); }
  int LeftRunning() { return CountProcessesWithEnv(marker); }
};

TEST(KillCampaign, CorrectEngine_EveryContractHolds) {
  KillRun c;
  c.Run(kFakeEngine, "correct", 20);
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  const auto cases = c.Cases();
  ASSERT_EQ(cases.size(), 20u);
  for (const Row& row : cases) EXPECT_EQ(row.at("verdict"), "pass") << row.at("details");
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(KillCampaign, AckBeforeWrite_CaughtAsLostAcked) {
  KillRun c;
  c.Run(kFakeEngine, "ack-before-write", 10);
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  const auto lost = Query(c.db,
                          "SELECT c.case_index, f.difference FROM cases c JOIN failures f "
                          "ON f.case_id = c.id WHERE c.verdict = 'lost-acked' AND c.violation = 1");
  EXPECT_GE(lost.size(), 1u) << c.result.out;
  for (const Row& row : lost) EXPECT_NE(row.at("difference").find("expected"), std::string::npos);
  for (const Row& row : c.Cases()) {
    EXPECT_TRUE(row.at("verdict") == "pass" || row.at("verdict") == "lost-acked")
        << row.at("details");
  }
  EXPECT_NE(c.result.out.find("VIOLATION fake/ack-before-write"), std::string::npos);
}

TEST(KillCampaign, TornWrites_CaughtAsTornTxn) {
  KillRun c;
  c.Run(kFakeEngine, "torn", 30);
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  EXPECT_GE(Query(c.db, "SELECT 1 FROM cases WHERE verdict = 'torn-txn'").size(), 1u)
      << c.result.out;
}

TEST(KillCampaign, HangInOpen_IsHangAndEveryCaseIsRecorded) {
  KillRun c;
  c.Run(kFakeEngine, "hang-in-open", 3, {"--deadline-ms", "300"});
  EXPECT_EQ(c.result.exit_code, 1) << c.result.err;
  const auto cases = c.Cases();
  ASSERT_EQ(cases.size(), 3u);
  for (const Row& row : cases) {
    EXPECT_EQ(row.at("verdict"), "hang");
    EXPECT_EQ(row.at("violation"), "1");
  }
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(KillCampaign, HangInTxn_IsHangAndTheEngineIsKilled) {
  KillRun c;
  c.Run(kFakeEngine, "hang-in-txn", 6, {"--deadline-ms", "300"});
  EXPECT_EQ(c.result.exit_code, 1) << c.result.err;
  EXPECT_GE(Query(c.db, "SELECT 1 FROM cases WHERE verdict = 'hang'").size(), 1u);
  EXPECT_EQ(c.Cases().size(), 6u);
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(KillCampaign, ExitDuringOpen_IsRecoveryFailed) {
  KillRun c;
  c.Run(kFakeEngine, "exit-in-open", 3);
  EXPECT_EQ(c.result.exit_code, 1) << c.result.err;
  const auto cases = c.Cases();
  ASSERT_EQ(cases.size(), 3u);
  for (const Row& row : cases) {
    EXPECT_EQ(row.at("verdict"), "recovery-failed");
    EXPECT_NE(row.at("details").find("exited with status 3"), std::string::npos)
        << row.at("details");
  }
}

TEST(KillCampaign, Garbage_IsProtocolError) {
  KillRun c;
  c.Run(kFakeEngine, "garbage", 3);
  EXPECT_EQ(c.result.exit_code, 1) << c.result.err;
  const auto cases = c.Cases();
  ASSERT_EQ(cases.size(), 3u);
  for (const Row& row : cases) EXPECT_EQ(row.at("verdict"), "protocol-error");
}

TEST(KillCampaign, Sqlite_WalFullHoldsItsContract) {
  KillRun c;
  c.Run("sqlite", "wal-full", 10);
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(c.Cases().size(), 10u);
}

TEST(KillCampaign, SameSeedGivesByteIdenticalWorkloadsInTwoRuns) {
  for (const char* index : {"0", "3", "17"}) {
    const auto first = RunCrashlab({"workload", "--seed", "11", "--case", index});
    const auto second = RunCrashlab({"workload", "--seed", "11", "--case", index});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_NE(first.out.find("txn "), std::string::npos);
    EXPECT_EQ(first.out, second.out);
    EXPECT_NE(first.out, RunCrashlab({"workload", "--seed", "12", "--case", index}).out);
  }
}

TEST(KillCampaign, ControllerKilledMidCampaign_LeavesOnlyWholeCases) {
  TempDir dir;
  const auto r = RunCrashlabKilledAfter(
      {"run", "--engine", kFakeEngine, "--variant", "ack-before-write", "--variant", "correct",
       "--seed", "5", "--cases", "1000", "--db", dir / "db", "--workdir", dir / "w"},
      1500);
  EXPECT_EQ(r.exit_code, 128 + 9) << r.out << r.err;
  EXPECT_EQ(Query(dir / "db", "PRAGMA integrity_check").at(0).at("integrity_check"), "ok");
  const auto cases = Query(dir / "db", "SELECT verdict, violation FROM cases");
  EXPECT_GT(cases.size(), 0u);
  EXPECT_LT(cases.size(), 2000u);
  EXPECT_FALSE(Query(dir / "db", "SELECT 1 FROM cases WHERE violation = 1").empty());
  // Every recorded violation has its failure row: case and failure commit together.
  EXPECT_TRUE(Query(dir / "db",
                    "SELECT 1 FROM cases c LEFT JOIN failures f ON f.case_id = c.id "
                    "WHERE c.violation = 1 AND f.id IS NULL")
                  .empty());
  EXPECT_EQ(Query(dir / "db", "SELECT status FROM campaigns").at(0).at("status"), "running");
}

TEST(KillCampaign, PointKills_SpreadOverEveryPointAndTheCorrectEngineHolds) {
  KillRun c;
  c.Run(kFakeEngine, "correct", 30, {"--point", "any"});
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  for (const char* point : {"recovery.open:before", "fake.commit:before", "fake.commit:after"}) {
    EXPECT_FALSE(Query(c.db, std::string("SELECT 1 FROM cases WHERE crash_plan LIKE 'kill point=") +
                                 point + " hit=%'")
                     .empty())
        << point;
  }
  EXPECT_FALSE(Query(c.db, "SELECT 1 FROM cases WHERE details LIKE '%killed at fake.commit:after%'")
                   .empty());
  EXPECT_FALSE(
      Query(c.db, "SELECT 1 FROM cases WHERE details LIKE '%inside recovery; recovered again%'")
          .empty());
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(KillCampaign, PointKillAfterTheWriteBeforeTheAck_RecoversTheUnacknowledgedTransaction) {
  KillRun c;
  c.Run(kFakeEngine, "correct", 10, {"--point", "fake.commit:after"});
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  // Killed after the record was synced but before `ok`: the transaction is
  // not acknowledged, yet recovery finds it.
  EXPECT_FALSE(Query(c.db, "SELECT 1 FROM cases WHERE recovered_prefix = txns_acked + 1").empty());
}

TEST(KillCampaign, SigtermToCrashlab_KillsTheEngineAndRecordsNoHalfCase) {
  KillRun c;
  // The engine hangs in open for the whole 60 s deadline; SIGTERM comes first.
  const auto r = RunCrashlabKilledAfter(
      {"run", "--engine", kFakeEngine, "--variant", "hang-in-open", "--seed", "1", "--cases", "3",
       "--deadline-ms", "60000", "--db", c.db, "--workdir", c.dir / "cases"},
      1000, {{"CRASHLAB_TEST_MARKER", c.dir.path()}}, 15);
  EXPECT_EQ(r.exit_code, 128 + 15) << r.out << r.err;
  EXPECT_NE(r.err.find("not recorded"), std::string::npos) << r.err;
  EXPECT_EQ(c.LeftRunning(), 0);
  EXPECT_TRUE(c.Cases().empty());
  EXPECT_EQ(Query(c.db, "SELECT status FROM campaigns").at(0).at("status"), "interrupted");
}

TEST(KillCampaign, DumpListingAKeyTwice_IsCorruptNotAProtocolError) {
  // A damaged B-tree can return two rows for one key: that is the engine's
  // data, inconsistent, and must not be blamed on its adapter.
  TempDir dir;
  std::ofstream(dir / "engine.py") << R"(import sys
for line in sys.stdin:
    words = line.rstrip("\n").split(" ")
    if words[0] == "hello": reply = "ok crashlab-engine 1 dup"
    elif words[0] == "txn":
        for _ in range(int(words[1])): sys.stdin.readline()
        reply = "ok"
    elif words[0] == "dump": reply = "kv a 1\nkv a 2\nend"
    else: reply = "ok"
    print(reply, flush=True)
)";
  std::ofstream(dir / "variants.ini")
      << "[engine]\nname = dup\ncommand = python3 " << (dir / "engine.py")
      << "\n[variant only]\nkill = durable\npower-loss = none\n";
  const auto r = RunCrashlab({"run", "--engine", dir / "variants.ini", "--seed", "1", "--cases",
                              "2", "--db", dir / "db", "--workdir", dir / "w"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  for (const Row& row : Query(dir / "db", "SELECT verdict, details FROM cases")) {
    EXPECT_EQ(row.at("verdict"), "corrupt");
    EXPECT_NE(row.at("details").find("lists key 'a' twice"), std::string::npos)
        << row.at("details");
    // Its check answered ok: no check failed.
    EXPECT_EQ(row.at("details").find("check failed"), std::string::npos) << row.at("details");
  }
}

TEST(KillCampaign, ReproRerunsTheRecordedCase) {
  KillRun c;
  c.Run(kFakeEngine, "exit-in-open", 2);
  const auto r = RunCrashlab({"repro", "--engine", kFakeEngine, "--variant", "exit-in-open",
                              "--seed", "7", "--case", "1", "--db", c.db});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("verdict:   recovery-failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recorded:  recovery-failed"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace crashlab::e2e
