// Engines started through a wrapper script and an interpreter shim
// (tests/wrapped_engine/): their subshells and helpers inherit the tracer,
// and only what the engine writes to crashlab's protocol pipe is a reply.
// Until December 2026 every write to fd 1 counted as one, and the bundled
// sqlite wal-full behind such a wrapper was reported losing acknowledged
// transactions it never lost.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

const std::string kWrapper = std::string(CRASHLAB_TESTS_DIR) + "/wrapped_engine/wrapper.sh";

// A variants file whose one variant runs the bundled sqlite engine's
// wal-full (power-loss = durable) behind the wrapper.
std::string WrappedSqlite(const TempDir& dir) {
  const std::string path = dir / "variants.ini";
  std::ofstream(path) << "[engine]\nname = wrapped-sqlite\ncommand = \"" << kWrapper << "\" \""
                      << CRASHLAB_SQLITE_ENGINE << "\"\n\n[variant wal-full]\n"
                      << "args = --journal-mode=wal --synchronous=full\n"
                      << "kill = durable\npower-loss = durable\n";
  return path;
}

CommandResult RunWrapped(const TempDir& dir, const std::string& crash, int cases,
                         std::vector<std::string> extra = {},
                         std::vector<std::pair<std::string, std::string>> env = {}) {
  std::vector<std::string> args = {
      "run",    "--engine", WrappedSqlite(dir), "--variant",           "wal-full",
      "--seed", "5",        "--cases",          std::to_string(cases), "--crash",
      crash,    "--db",     dir / "results.db", "--workdir",           dir / "cases"};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunCrashlab(args, env);
}

TEST(WrappedEngine, SqliteWalFullBehindAWrapper_HoldsItsContractUnderPowerLoss) {
  TempDir dir;
  CommandResult r = RunWrapped(dir, "power-loss", 20);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(CountCasesWhere(dir / "results.db", "verdict = 'pass'"), 20) << r.out;
}

TEST(WrappedEngine, SqliteWalFullBehindAWrapper_HoldsItsContractsLive) {
  TempDir dir;
  CommandResult r = RunWrapped(dir, "power-loss,kill", 10, {"--live"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(CountCasesWhere(dir / "results.db", "verdict = 'pass'"), 10) << r.out;
  EXPECT_GT(CountCasesWhere(dir / "results.db", "crash_kind = 'kill'"), 0);
}

TEST(WrappedEngine, SqliteWalFullBehindAWrapperThatDoesNotExec_HoldsItsContractsLive) {
  // The library's live kill takes the wrapper too: otherwise it exits with
  // status 137 and the planned kill looks like the engine dying by itself.
  TempDir dir;
  CommandResult r =
      RunWrapped(dir, "power-loss,kill", 6, {"--live"}, {{"CRASHLAB_WRAPPER_NO_EXEC", "1"}});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(CountCasesWhere(dir / "results.db", "verdict = 'pass'"), 6) << r.out;
}

TEST(WrappedEngine, SqliteWalFullBehindAWrapper_HoldsInEveryExploredState) {
  TempDir dir;
  CommandResult r = RunCrashlab({"explore", "--engine", WrappedSqlite(dir), "--variant", "wal-full",
                                 "--seed", "3", "--txns", "6", "--db", dir / "explore.db",
                                 "--workdir", dir / "work", "--jobs", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\n0 violation(s)"), std::string::npos) << r.out;
  EXPECT_GT(CountCasesWhere(dir / "explore.db", "1"), 10);
  EXPECT_EQ(CountCasesWhere(dir / "explore.db", "violation = 1"), 0);
}

TEST(WrappedEngine, AShimThatWritesToStdoutBeforeHello_IsAProtocolError) {
  // The shim's line reaches crashlab's pipe before the engine's hello reply:
  // the adapter is broken, and no tracer can make that a good run.
  TempDir dir;
  CommandResult r = RunWrapped(dir, "power-loss", 1, {}, {{"CRASHLAB_SHIM_JUNK", "1"}});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(CountCasesWhere(dir / "results.db", "verdict = 'protocol-error'"), 1) << r.out;
}

}  // namespace
}  // namespace crashlab::e2e
