// Engines libcrashlab_preload.so cannot see, wholly or in part: a static
// binary (no dynamic loader, so LD_PRELOAD does nothing), one that a wrapper
// script execs, replies stdio sends by itself, and an info log written with
// stdio. Each is an error before any verdict, named with what works instead;
// a log the engine never reads back can be declared with untraced-files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

namespace fs = std::filesystem;

const std::string kStaticEngine = CRASHLAB_STATIC_ENGINE;
const std::string kWrapperScript = std::string(CRASHLAB_TESTS_DIR) + "/wrapped_engine/wrapper.sh";

std::string FakeEngineBinary() {
  return (fs::path(kFakeEngine).parent_path() / "crashlab-fake-engine").string();
}

// A variants file with one variant `v` running `command`, and `extra` lines
// in its section.
std::string VariantsFile(const TempDir& dir, const std::string& command,
                         const std::string& extra = "") {
  const std::string path = dir / "variants.ini";
  std::ofstream(path) << "[engine]\nname = test\n\n[variant v]\ncommand = " << command
                      << "\nkill = durable\npower-loss = durable\n"
                      << extra;
  return path;
}

CommandResult UntraceableCampaign(const TempDir& dir, const std::string& variants,
                                  const std::string& crash, int cases,
                                  std::vector<std::string> extra = {}) {
  // What the preload library cannot see; --recorder auto would take
  // crashlab-ptrace for a static program (tests/ptrace_engines_test.cc).
  std::vector<std::string> args = {
      "run",        "--engine", variants,           "--variant",           "v",
      "--seed",     "9",        "--cases",          std::to_string(cases), "--crash",
      crash,        "--db",     dir / "results.db", "--workdir",           dir / "cases",
      "--recorder", "preload"};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunCrashlab(args);
}

TEST(UntraceableEngine, StaticBinary_IsNamedBeforeAnyCaseWithWhatWorks) {
  if (kStaticEngine.empty()) GTEST_SKIP() << "no static engine in a sanitizer build";
  TempDir dir;
  CommandResult r = UntraceableCampaign(dir, VariantsFile(dir, kStaticEngine), "power-loss", 3);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(kStaticEngine), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("statically linked"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("LD_PRELOAD does nothing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`--crash kill`"), std::string::npos) << r.err;
  EXPECT_EQ(CountCasesWhere(dir / "results.db", "1"), 0);
}

TEST(UntraceableEngine, StaticBinary_KillCampaignsWork) {
  if (kStaticEngine.empty()) GTEST_SKIP() << "no static engine in a sanitizer build";
  TempDir dir;
  CommandResult r = UntraceableCampaign(dir, VariantsFile(dir, kStaticEngine), "kill", 4);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(CountCasesWhere(dir / "results.db", "verdict = 'pass'"), 4);
}

TEST(UntraceableEngine, StaticBinaryExecdByAScript_IsCaughtAtHello) {
  if (kStaticEngine.empty()) GTEST_SKIP() << "no static engine in a sanitizer build";
  // bash loads the tracer, so a trace exists; the process that answers is
  // the static engine, whose hello reply the trace lacks.
  TempDir dir;
  CommandResult r = UntraceableCampaign(
      dir, VariantsFile(dir, kWrapperScript + " " + kStaticEngine), "power-loss", 3, {"--live"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(kWrapperScript), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is not in the trace"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`--crash kill`"), std::string::npos) << r.err;
  EXPECT_EQ(CountCasesWhere(dir / "results.db", "1"), 0);
}

TEST(UntraceableEngine, ScriptRunByAStaticInterpreter_IsCaughtAtHello) {
  if (kStaticEngine.empty()) GTEST_SKIP() << "no static engine in a sanitizer build";
  // The script is no ELF file, but the kernel runs its #! program, which is
  // static: no process loads the tracer, and no trace exists at all.
  TempDir dir;
  const std::string script = dir / "engine.sh";
  std::ofstream(script) << "#!" << kStaticEngine << "\n";
  fs::permissions(script, fs::perms::owner_all);
  CommandResult r = UntraceableCampaign(dir, VariantsFile(dir, script), "power-loss", 3);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot trace " + script), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no process of it loaded libcrashlab_preload.so"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("`--crash kill`"), std::string::npos) << r.err;
  EXPECT_EQ(CountCasesWhere(dir / "results.db", "1"), 0);
}

TEST(UntraceableEngine, RepliesStdioSendsByItself_AreAnErrorNamingBothCounts) {
  // From open on the fake engine's stdout is line-buffered: its replies leave
  // at each newline, inside libc. Without the guard every transaction looked
  // unacknowledged, and a lost one passed.
  TempDir dir;
  CommandResult r = UntraceableCampaign(
      dir, VariantsFile(dir, FakeEngineBinary() + " --mode=line-buffered"), "power-loss", 2);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("protocol replies, but crashlab read 24 lines"), std::string::npos) << r.err;
  EXPECT_EQ(CountCasesWhere(dir / "results.db", "1"), 0);
}

TEST(UntraceableEngine, StdioInfoLog_StopsTheCampaignUnlessDeclaredUntraced) {
  TempDir dir;
  const std::string command = FakeEngineBinary() + " --mode=stdio-log";
  CommandResult r = UntraceableCampaign(dir, VariantsFile(dir, command), "power-loss", 2);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("the trace does not explain 1 file(s)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(LOG)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("untraced-files"), std::string::npos) << r.err;
  EXPECT_EQ(CountCasesWhere(dir / "results.db", "1"), 0);
}

TEST(UntraceableEngine, StdioInfoLogDeclaredUntraced_HoldsInEveryCampaign) {
  TempDir dir;
  const std::string variants =
      VariantsFile(dir, FakeEngineBinary() + " --mode=stdio-log", "untraced-files = LOG LOG.old\n");
  CommandResult power = UntraceableCampaign(dir, variants, "power-loss", 10);
  EXPECT_EQ(power.exit_code, 0) << power.out << power.err;
  TempDir live_dir;
  CommandResult live = UntraceableCampaign(live_dir, variants, "power-loss,kill", 6, {"--live"});
  EXPECT_EQ(live.exit_code, 0) << live.out << live.err;
  EXPECT_EQ(CountCasesWhere(live_dir / "results.db", "verdict = 'pass'"), 6);
  TempDir explore_dir;
  CommandResult explore = RunCrashlab({"explore", "--engine", variants, "--variant", "v", "--seed",
                                       "3", "--txns", "6", "--db", explore_dir / "explore.db",
                                       "--workdir", explore_dir / "work", "--jobs", "2"});
  EXPECT_EQ(explore.exit_code, 0) << explore.out << explore.err;
  EXPECT_NE(explore.out.find("\n0 violation(s)"), std::string::npos) << explore.out;
}

}  // namespace
}  // namespace crashlab::e2e
