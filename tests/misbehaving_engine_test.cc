// Engines that misbehave in ways a storage engine under development does:
// each gets a defined verdict or a clear error, crashlab goes on, and nothing
// the engine started outlives the campaign.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

struct MisbehavingRun {
  TempDir dir;
  std::string db = dir / "results.db";
  std::string workdir = dir / "cases";
  CommandResult result;
  double seconds = 0;

  void Run(const std::string& variant, int cases, const std::string& crash = "kill",
           std::vector<std::string> extra = {}) {
    std::vector<std::string> args{
        "run",    "--engine", kFakeEngine, "--variant",           variant,
        "--seed", "3",        "--cases",   std::to_string(cases), "--crash",
        crash,    "--db",     db,          "--workdir",           workdir};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto start = std::chrono::steady_clock::now();
    result = RunCrashlab(args, {{"CRASHLAB_TEST_MARKER", dir.path()}});
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  std::vector<Row> Cases() { return Query(db, "SELECT * FROM cases ORDER BY case_index"); }
  int LeftRunning() { return CountProcessesWithEnv("CRASHLAB_TEST_MARKER=" + dir.path()); }
};

TEST(MisbehavingEngine, ExitingAtOnce_IsASetupErrorNotAVerdictPerCase) {
  // An engine that cannot even answer hello has a wrong command line or a
  // missing library: one clear error, not a recovery failure per case.
  TempDir dir;
  std::ofstream(dir / "variants.ini")
      << "[engine]\nname = quitter\ncommand = /bin/sh\n\n"
         "[variant v]\nargs = -c \"echo no such table >&2; exit 4\"\n"
         "kill = durable\npower-loss = durable\n";
  const auto r = RunCrashlab(
      {"run", "--engine", dir / "variants.ini", "--seed", "1", "--cases", "5", "--db", dir / "db"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("engine quitter variant v exited with status 4 before answering hello "
                       "(its stderr ends: 'no such table"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(Query(dir / "db", "SELECT 1 FROM cases").empty());
}

TEST(MisbehavingEngine, FloodingStdout_IsAProtocolErrorAndTheFloodIsStopped) {
  MisbehavingRun c;
  c.Run("flood-stdout", 3);
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  const auto cases = c.Cases();
  ASSERT_EQ(cases.size(), 3u);
  for (const Row& row : cases) {
    EXPECT_EQ(row.at("verdict"), "protocol-error");
    EXPECT_NE(row.at("details").find("log: flushed page"), std::string::npos) << row.at("details");
  }
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(MisbehavingEngine, ALineWrittenAfterAReply_IsAProtocolErrorThatQuotesIt) {
  // The reply to open and one more line in one write: the extra line is
  // waiting when the first transaction goes out. The verdict said only
  // "a reply line nobody asked for", and the flood test failed on a slow
  // machine whenever its engine's "ok" won the race against its flood.
  TempDir dir;
  std::ofstream(dir / "engine.sh") << "while read -r line; do\n"
                                      "  case \"$line\" in\n"
                                      "    hello*) echo 'ok crashlab-engine 1 stray' ;;\n"
                                      "    open*) printf 'ok\\nlog: an extra line\\n' ;;\n"
                                      "    *) echo ok ;;\n"
                                      "  esac\n"
                                      "done\n";
  std::ofstream(dir / "variants.ini")
      << "[engine]\nname = stray\ncommand = /bin/sh\n\n"
         "[variant v]\nargs = "
      << (dir / "engine.sh") << "\nkill = durable\npower-loss = none\n";
  const auto r = RunCrashlab({"run", "--engine", dir / "variants.ini", "--seed", "1", "--cases",
                              "1", "--crash", "kill", "--db", dir / "db"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto cases = Query(dir / "db", "SELECT verdict, details FROM cases");
  ASSERT_EQ(cases.size(), 1u) << r.out << r.err;
  EXPECT_EQ(cases[0].at("verdict"), "protocol-error");
  EXPECT_NE(cases[0].at("details").find("'log: an extra line'"), std::string::npos)
      << cases[0].at("details");
}

TEST(MisbehavingEngine, HundredMegabyteLine_IsAProtocolErrorReadOnlyUpToTheLimit) {
  MisbehavingRun c;
  c.Run("long-line", 2);
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  const auto cases = c.Cases();
  ASSERT_EQ(cases.size(), 2u);
  for (const Row& row : cases) {
    EXPECT_EQ(row.at("verdict"), "protocol-error");
    EXPECT_NE(row.at("details").find("longer than"), std::string::npos) << row.at("details");
    // What is kept of the line is bounded, not 100 MB.
    EXPECT_LT(row.at("details").size(), 4096u);
  }
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(MisbehavingEngine, ProcessesAnEngineForks_DieWithItEvenInASessionOfTheirOwn) {
  MisbehavingRun c;
  c.Run("fork-child", 4);
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  const auto cases = c.Cases();
  ASSERT_EQ(cases.size(), 4u);
  for (const Row& row : cases) EXPECT_EQ(row.at("verdict"), "pass") << row.at("details");
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(MisbehavingEngine, ForkingEngineUnderTheTracer_LeavesNothingRunning) {
  MisbehavingRun c;
  c.Run("fork-child", 3, "power-loss");
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(c.Cases().size(), 3u);
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(MisbehavingEngine, IgnoringSigtermAndNotExiting_CostsOneDeadlinePerProcessThenItIsKilled) {
  MisbehavingRun c;
  c.Run("ignore-sigterm", 3, "kill", {"--deadline-ms", "400"});
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  const auto cases = c.Cases();
  ASSERT_EQ(cases.size(), 3u);
  for (const Row& row : cases) EXPECT_EQ(row.at("verdict"), "pass") << row.at("details");
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(MisbehavingEngine, SigtermToCrashlab_StillKillsAnEngineThatIgnoresIt) {
  MisbehavingRun c;
  const auto r = RunCrashlabKilledAfter(
      {"run", "--engine", kFakeEngine, "--variant", "ignore-sigterm", "--seed", "1", "--cases",
       "1000", "--db", c.db, "--workdir", c.workdir},
      1500, {{"CRASHLAB_TEST_MARKER", c.dir.path()}}, SIGTERM);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.out << r.err;
  EXPECT_EQ(c.LeftRunning(), 0);
  EXPECT_EQ(Query(c.db, "SELECT status FROM campaigns").at(0).at("status"), "interrupted");
}

TEST(MisbehavingEngine, WritingOutsideItsDirectory_UnderPowerLossIsAnErrorNotAVerdict) {
  MisbehavingRun c;
  c.Run("write-outside", 3, "power-loss");
  EXPECT_EQ(c.result.exit_code, 2) << c.result.out << c.result.err;
  EXPECT_NE(c.result.err.find("wrote outside the directory crashlab gave it"), std::string::npos)
      << c.result.err;
  EXPECT_NE(c.result.err.find(".outside/log"), std::string::npos) << c.result.err;
  EXPECT_TRUE(c.Cases().empty());
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(MisbehavingEngine, WritingOutsideItsDirectory_IsHarmlessToAKill) {
  // A killed process's files survive wherever they are, so kill verdicts stay
  // true; only a simulated power loss, which crashes one directory, cannot be.
  MisbehavingRun c;
  c.Run("write-outside", 3, "kill");
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(c.Cases().size(), 3u);
}

TEST(MisbehavingEngine, FillingTheDisk_IsAClearErrorAndNoVerdictOfAFullDiskIsRecorded) {
  MisbehavingRun c;
  SmallFileSystem small(c.dir / "small", "8m");
  if (!small.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  c.workdir = c.dir / "small/cases";
  c.Run("fill-disk", 5);
  EXPECT_EQ(c.result.exit_code, 2) << c.result.out << c.result.err;
  EXPECT_NE(c.result.err.find("was full after fake/fill-disk case 0"), std::string::npos)
      << c.result.err;
  EXPECT_NE(c.result.err.find("give --workdir a file system with room"), std::string::npos);
  EXPECT_TRUE(c.Cases().empty());
  EXPECT_EQ(Query(c.db, "SELECT status FROM campaigns").at(0).at("status"), "error");
  EXPECT_EQ(c.LeftRunning(), 0);
}

TEST(CrashlabFaults, CaseDirectoryOnAFullFileSystem_IsAClearErrorNeverAFalseVerdict) {
  // A correct engine, and a file system too small for crashlab's own case
  // directories: whatever fails first, nothing is recorded as a verdict.
  for (const std::string crash : {"kill", "power-loss"}) {
    MisbehavingRun c;
    SmallFileSystem small(c.dir / "small", "96k");
    if (!small.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
    c.workdir = c.dir / "small/cases";
    c.Run("correct", 5, crash);
    EXPECT_EQ(c.result.exit_code, 2) << crash << c.result.out << c.result.err;
    EXPECT_TRUE(c.result.err.find("full") != std::string::npos ||
                c.result.err.find("No space left on device") != std::string::npos)
        << c.result.err;
    EXPECT_TRUE(Query(c.db, "SELECT 1 FROM cases WHERE verdict != 'pass'").empty()) << crash;
    EXPECT_EQ(c.LeftRunning(), 0);
  }
}

}  // namespace
}  // namespace crashlab::e2e
