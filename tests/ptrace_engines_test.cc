// The two test engines the ptrace recorder exists for (issue 19): a
// statically linked log (tests/static_engine/), which LD_PRELOAD cannot
// enter, and a log written through stdio (tests/stdio_engine/), whose writes
// libc makes where the preload library cannot see them. Under kill both run
// today with no tracer. Under power loss, recorded by `--recorder ptrace`,
// each correct variant must pass and each planted bug must be caught.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

const std::string kStaticBinary = CRASHLAB_STATIC_ENGINE;
const std::string kStdioEngine = CRASHLAB_STDIO_ENGINE;
// static_engine.cc linked dynamically: the preload library can trace it.
const std::string kStaticEngineDynamic = CRASHLAB_STATIC_ENGINE_DYNAMIC;

// The static engine's variants file sits beside its binary, which a
// sanitizer build does not make.
std::string StaticEngine() {
  return kStaticBinary.substr(0, kStaticBinary.rfind('/') + 1) + "variants.ini";
}

struct LogCampaign {
  TempDir dir;
  std::string db = dir / "results.db";
  CommandResult result;

  void Run(const std::string& engine, const std::string& variant, const std::string& crash,
           int cases, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{
        "run",        "--engine", engine,    "--variant",           variant, "--crash", crash,
        "--seed",     "11",       "--cases", std::to_string(cases), "--db",  db,        "--workdir",
        dir / "cases"};
    args.insert(args.end(), extra.begin(), extra.end());
    result = RunCrashlab(args);
  }
  int64_t Count(const std::string& where) const { return CountCasesWhere(db, where); }
};

#define SKIP_WITHOUT_STATIC_ENGINE() \
  if (kStaticBinary.empty()) GTEST_SKIP() << "no static engine in a sanitizer build"

TEST(StaticLogEngine, BothVariants_KeepTheKillContract) {
  SKIP_WITHOUT_STATIC_ENGINE();
  for (const std::string variant : {"correct", "no-dirsync"}) {
    LogCampaign c;
    c.Run(StaticEngine(), variant, "kill", 20);
    EXPECT_EQ(c.result.exit_code, 0) << variant << "\n" << c.result.out << c.result.err;
    EXPECT_EQ(c.Count("verdict = 'pass'"), 20) << variant;
  }
}

TEST(StdioLogEngine, BothVariants_KeepTheKillContract) {
  for (const std::string variant : {"correct", "no-fsync"}) {
    LogCampaign c;
    c.Run(kStdioEngine, variant, "kill", 20);
    EXPECT_EQ(c.result.exit_code, 0) << variant << "\n" << c.result.out << c.result.err;
    EXPECT_EQ(c.Count("verdict = 'pass'"), 20) << variant;
  }
}

// The engine's logic under power loss, judged with today's recorder on the
// dynamically linked build: what the ptrace tests below must find again on
// the static one.
TEST(StaticLogEngine, DynamicBuild_CorrectPassesPowerLoss) {
  LogCampaign c;
  c.Run(kStaticEngineDynamic, "correct", "power-loss", 30);
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(c.Count("verdict = 'pass'"), 30);
}

TEST(StaticLogEngine, DynamicBuild_NoDirsyncCaughtAsLostAcked) {
  LogCampaign c;
  c.Run(kStaticEngineDynamic, "no-dirsync", "power-loss", 30);
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  EXPECT_GT(c.Count("verdict = 'lost-acked'"), 0) << c.result.out;
  EXPECT_EQ(c.Count("verdict NOT IN ('pass', 'lost-acked')"), 0) << c.result.out;
}

TEST(StaticLogEngine, DynamicBuild_NoDirsyncHoldsUnderExt4Ordered) {
  // ext4 commits the log's creation with the first fdatasync that grows it
  // (docs/persistence-model.md): the bug shows under posix only.
  LogCampaign c;
  c.Run(kStaticEngineDynamic, "no-dirsync", "power-loss", 30, {"--profile", "ext4-ordered"});
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(c.Count("verdict = 'pass'"), 30);
}

TEST(StaticLogEngine, Correct_PassesPowerLossUnderPtrace) {
  SKIP_WITHOUT_STATIC_ENGINE();
  LogCampaign c;
  c.Run(StaticEngine(), "correct", "power-loss", 30, {"--recorder", "ptrace"});
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(c.Count("verdict = 'pass'"), 30);
}

TEST(StaticLogEngine, NoDirsync_CaughtAsLostAckedUnderPtrace) {
  // Under posix the log's creation is a pending name change until its
  // directory is synced: reverted, it takes every acknowledged record along.
  SKIP_WITHOUT_STATIC_ENGINE();
  LogCampaign c;
  c.Run(StaticEngine(), "no-dirsync", "power-loss", 30, {"--recorder", "ptrace"});
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  EXPECT_GT(c.Count("verdict = 'lost-acked'"), 0) << c.result.out;
  EXPECT_EQ(c.Count("verdict NOT IN ('pass', 'lost-acked')"), 0) << c.result.out;
}

TEST(StdioLogEngine, Correct_PassesPowerLossUnderPtrace) {
  LogCampaign c;
  c.Run(kStdioEngine, "correct", "power-loss", 30, {"--recorder", "ptrace"});
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_EQ(c.Count("verdict = 'pass'"), 30);
}

TEST(StdioLogEngine, NoFsync_CaughtAsLostAckedUnderPtrace) {
  // fflush only: the records are in the page cache, pending, and a power
  // loss drops any of them; recovery keeps the whole records before the
  // first one missing.
  LogCampaign c;
  c.Run(kStdioEngine, "no-fsync", "power-loss", 30, {"--recorder", "ptrace"});
  EXPECT_EQ(c.result.exit_code, 1) << c.result.out << c.result.err;
  EXPECT_GT(c.Count("verdict = 'lost-acked'"), 0) << c.result.out;
  EXPECT_EQ(c.Count("verdict NOT IN ('pass', 'lost-acked')"), 0) << c.result.out;
}

TEST(PtraceEngines, LiveKillsUnderPtrace_LeaveTheModelsKillState) {
  // --live kills at a traced event and compares the directory left with the
  // model's kill state: a difference stops the campaign with exit status 2.
  std::vector<std::string> engines = {kStdioEngine};
  if (!kStaticBinary.empty()) engines.push_back(StaticEngine());
  for (const std::string& engine : engines) {
    LogCampaign c;
    c.Run(engine, "correct", "kill", 10, {"--live", "--recorder", "ptrace"});
    EXPECT_EQ(c.result.exit_code, 0) << engine << "\n" << c.result.out << c.result.err;
    EXPECT_EQ(c.Count("verdict = 'pass'"), 10) << engine;
  }
}

TEST(StdioLogEngine, PowerLossWithoutPtrace_IsAnErrorNamingTheUnexplainedLog) {
  // The preload library sees the fsync but not the writes libc makes from
  // the FILE's buffer: the log is a file the trace cannot explain.
  LogCampaign c;
  c.Run(kStdioEngine, "correct", "power-loss", 2, {"--recorder", "preload"});
  EXPECT_EQ(c.result.exit_code, 2) << c.result.out << c.result.err;
  EXPECT_NE(c.result.err.find("(log)"), std::string::npos) << c.result.err;
  EXPECT_NE(c.result.err.find("--recorder ptrace"), std::string::npos) << c.result.err;
  EXPECT_EQ(c.Count("1"), 0);
}

TEST(PtraceEngines, AutoTracesAStaticEngineWithPtraceAndSaysWhy) {
  SKIP_WITHOUT_STATIC_ENGINE();
  LogCampaign c;
  c.Run(StaticEngine(), "correct", "power-loss", 4);
  EXPECT_EQ(c.result.exit_code, 0) << c.result.out << c.result.err;
  EXPECT_NE(c.result.out.find("recorder ptrace: " + kStaticBinary + " is statically linked"),
            std::string::npos)
      << c.result.out;
  EXPECT_EQ(c.Count("verdict = 'pass'"), 4);
  // The choice is stored with the campaign, for a rerun by failure id.
  const std::vector<Row> line = Query(c.db, "SELECT command_line FROM campaigns");
  ASSERT_EQ(line.size(), 1u);
  EXPECT_NE(line[0].at("command_line").find(" --recorder ptrace"), std::string::npos);
}

TEST(PtraceEngines, WherePtraceIsNotPermitted_TheCampaignSaysWhichSettingBeforeAnyCase) {
  // A process that is traced already cannot be seized by another tracer:
  // crashlab-ptrace under strace meets the EPERM a yama ptrace_scope of 3,
  // or a container without CAP_SYS_PTRACE, gives.
  if (RunProgram({"strace", "-V"}).exit_code != 0) GTEST_SKIP() << "no strace (scripts/setup)";
  LogCampaign c;
  const std::string wrapper = c.dir / "traced-ptrace.sh";
  // LeakSanitizer cannot run in a traced process (an ASan build's recorder).
  std::ofstream(wrapper) << "#!/bin/sh\n"
                         << "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" "
                         << "exec strace -f -o /dev/null " << CRASHLAB_PTRACE << " \"$@\"\n";
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  c.Run(kStdioEngine, "correct", "power-loss", 3, {"--recorder", "ptrace", "--ptrace", wrapper});
  EXPECT_EQ(c.result.exit_code, 2) << c.result.out << c.result.err;
  EXPECT_NE(c.result.err.find("kernel.yama.ptrace_scope"), std::string::npos) << c.result.err;
  EXPECT_NE(c.result.err.find("CAP_SYS_PTRACE"), std::string::npos) << c.result.err;
  EXPECT_EQ(c.Count("1"), 0);
}

}  // namespace
}  // namespace crashlab::e2e
