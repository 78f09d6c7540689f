// Faults in crashlab itself: its controller SIGKILLed at random moments, and
// two controllers writing one results database. Neither may leave a broken
// database, a half-recorded case, or an engine running.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include "framework/base/prng.h"
#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

// What every state of the database, however the controller died, must hold.
void ExpectOnlyWholeCases(const std::string& db, const std::string& when) {
  SCOPED_TRACE(when);
  ASSERT_EQ(Query(db, "PRAGMA integrity_check").at(0).at("integrity_check"), "ok");
  EXPECT_TRUE(Query(db, "PRAGMA foreign_key_check").empty());
  // A violation and its failure row commit together, and nothing but the
  // known verdicts is ever recorded.
  EXPECT_TRUE(Query(db,
                    "SELECT 1 FROM cases c LEFT JOIN failures f ON f.case_id = c.id "
                    "WHERE c.violation = 1 AND f.id IS NULL")
                  .empty());
  EXPECT_TRUE(Query(db,
                    "SELECT 1 FROM cases WHERE verdict NOT IN ('pass', 'lost-acked', 'torn-txn', "
                    "'hole', 'corrupt', 'recovery-failed', 'hang', 'protocol-error')")
                  .empty());
  // No case twice.
  EXPECT_TRUE(Query(db,
                    "SELECT 1 FROM cases GROUP BY campaign_id, variant, case_index "
                    "HAVING count(*) > 1")
                  .empty());
}

TEST(CrashlabFaults, ControllerSigkilledDozensOfTimes_ResumeFinishesTheSoakWithWholeCases) {
  TempDir dir;
  const std::string db = dir / "soak.db";
  const std::vector<std::string> soak{"soak",
                                      "--duration",
                                      "25s",
                                      "--engine",
                                      kFakeEngine,
                                      "--variant",
                                      "correct",
                                      "--variant",
                                      "ack-before-write",
                                      "--crash",
                                      "kill,power-loss",
                                      "--seed",
                                      "9",
                                      "--db",
                                      db};
  const std::vector<std::pair<std::string, std::string>> env{{"CRASHLAB_TEST_MARKER", dir.path()},
                                                             {"TMPDIR", dir / "tmp"}};
  std::filesystem::create_directories(dir / "tmp");
  Prng random(20261126);  // fixed: the same kill moments on every run
  int killed = 0;
  for (int round = 0; round < 30; ++round) {
    std::vector<std::string> args = soak;
    if (round > 0) args.push_back("--resume");
    const int ms = static_cast<int>(random.Range(30, 900));
    const CommandResult r = RunCrashlabKilledAfter(args, ms, env, SIGKILL);
    if (r.exit_code == 128 + SIGKILL) {
      ++killed;
    } else {
      // Before the first case has recorded a soak row, --resume has nothing
      // to continue; anything else than a kill must be that.
      ASSERT_EQ(r.exit_code, 2) << "round " << round << " after " << ms << " ms\n"
                                << r.out << r.err;
      ASSERT_NE(r.err.find("holds no unfinished soak"), std::string::npos) << r.err;
      continue;
    }
    if (!std::filesystem::exists(db)) continue;  // killed before it created the database
    ExpectOnlyWholeCases(
        db, "after kill " + std::to_string(round) + " at " + std::to_string(ms) + " ms");
  }
  EXPECT_GE(killed, 25);
  std::vector<std::string> resume = soak;
  resume.push_back("--resume");
  const CommandResult last = RunCrashlab(resume, env);
  // ack-before-write's violations make it exit 1; what matters is that it ran to the end.
  EXPECT_EQ(last.exit_code, 1) << last.out << last.err;
  ExpectOnlyWholeCases(db, "after the last resume");
  const auto soaks = Query(db, "SELECT status, resumes FROM soaks");
  ASSERT_EQ(soaks.size(), 1u);
  EXPECT_EQ(soaks[0].at("status"), "finished");
  EXPECT_GE(std::stoi(soaks[0].at("resumes")), 20);
  EXPECT_FALSE(Query(db, "SELECT 1 FROM cases WHERE violation = 1").empty());
  // A controller killed by SIGKILL cannot kill its engines; they die with it
  // (PR_SET_PDEATHSIG), and what they forked with them.
  for (int i = 0; i < 100 && CountProcessesWithEnv("CRASHLAB_TEST_MARKER=" + dir.path()) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(CountProcessesWithEnv("CRASHLAB_TEST_MARKER=" + dir.path()), 0);
}

TEST(CrashlabFaults, TwoControllersWritingOneDatabase_BothRecordEveryCase) {
  TempDir dir;
  const std::string db = dir / "results.db";
  auto run = [&](const std::string& variant, const std::string& workdir) {
    return std::string(CRASHLAB_BIN) + " run --engine " + kFakeEngine + " --variant " + variant +
           " --seed 4 --cases 60 --crash kill,power-loss --db " + db + " --workdir " + workdir +
           " >" + workdir + ".out 2>&1";
  };
  // Both at once, through a shell: forking from a test with threads is unsafe.
  const CommandResult r =
      RunProgram({"bash", "-c",
                  run("correct", dir / "a") + " & a=$!; " + run("ack-before-write", dir / "b") +
                      " & b=$!; wait $a; echo \"a=$?\"; wait $b; echo \"b=$?\""});
  EXPECT_NE(r.out.find("a=0"), std::string::npos) << r.out << ReadFile(dir / "a.out");
  EXPECT_NE(r.out.find("b=1"), std::string::npos) << r.out << ReadFile(dir / "b.out");
  ExpectOnlyWholeCases(db, "two controllers");
  const auto campaigns = Query(db, "SELECT id, status FROM campaigns ORDER BY id");
  ASSERT_EQ(campaigns.size(), 2u);
  for (const Row& c : campaigns) EXPECT_EQ(c.at("status"), "finished");
  for (const char* variant : {"correct", "ack-before-write"}) {
    EXPECT_EQ(
        Query(db, std::string("SELECT count(*) AS n FROM cases WHERE variant = '") + variant + "'")
            .at(0)
            .at("n"),
        "60")
        << variant;
  }
}

}  // namespace
}  // namespace crashlab::e2e
