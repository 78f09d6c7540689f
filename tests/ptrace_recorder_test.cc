// crashlab-ptrace end to end: small programs of our own
// (tests/ptrace_programs/) run under the recorder with a fresh trace, which
// is then read with faults::ReadTraceFile and checked event by event; the
// exit status mirror, --probe, and the live kill.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "tests/e2e_support.h"
#include "tests/ptrace_run.h"

namespace crashlab::e2e {
namespace {

using faults::EventKind;
using Lines = std::vector<std::string>;

const std::string kPrograms = CRASHLAB_PTRACE_PROGRAMS;

RecordedRun RunProgramTraced(const TempDir& tmp, const std::string& program,
                             std::vector<std::pair<std::string, std::string>> env = {}) {
  RecordOptions o;
  o.case_dir = tmp / "data";
  o.trace_path = tmp / "trace.bin";
  o.argv = {program, o.case_dir};
  o.env = std::move(env);
  return RunRecorded(o);
}

bool ExitedWith(const RecordedRun& r, int code) {
  return WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) == code;
}

TEST(PtraceRecorder, StaticBinaryIsTracedCallByCall) {
  if (std::string(CRASHLAB_PTRACE_STATIC_WRITER).empty()) GTEST_SKIP() << "no static build here";
  TempDir tmp;
  const RecordedRun r = RunProgramTraced(tmp, CRASHLAB_PTRACE_STATIC_WRITER);
  ASSERT_TRUE(ExitedWith(r, 0)) << r.err;
  EXPECT_EQ(r.out, "done\n");
  ASSERT_TRUE(r.have_trace) << r.err;
  EXPECT_EQ(Briefs(r.trace), (Lines{
                                 "open f0 @0+0 flags=0x21 log",  // created|O_TRUNC
                                 "write f0 @0+5 flags=0 log 'hello'",
                                 "write f0 @10+2 flags=0 log 'XY'",
                                 "fdatasync f0 @0+0 flags=0 log",
                                 "close f0 @0+0 flags=0 log",
                                 "open f1 @0+0 flags=0x40 .",  // directory
                                 "fsync f1 @0+0 flags=0 .",
                                 "close f1 @0+0 flags=0 .",
                                 "reply f0 @0+0 flags=0 !done",
                             }));
}

TEST(PtraceRecorder, StdioOpensAndWritesAreSeen) {
  TempDir tmp;
  const RecordedRun r = RunProgramTraced(tmp, kPrograms + "/stdio_writer");
  ASSERT_TRUE(ExitedWith(r, 0)) << r.err;
  ASSERT_TRUE(r.have_trace) << r.err;
  EXPECT_EQ(Briefs(r.trace), (Lines{
                                 "open f0 @0+0 flags=0x21 data.txt",
                                 "write f0 @0+6 flags=0 data.txt 'line1\n'",
                                 "write f0 @6+6 flags=0 data.txt 'line2\n'",
                                 "fsync f0 @0+0 flags=0 data.txt",
                                 "close f0 @0+0 flags=0 data.txt",
                                 "reply f0 @0+0 flags=0 !ok",
                             }));
}

TEST(PtraceRecorder, ThreadsAndForkedChildrenAreFollowed) {
  TempDir tmp;
  const RecordedRun r = RunProgramTraced(tmp, kPrograms + "/threads_fork");
  ASSERT_TRUE(ExitedWith(r, 0)) << r.err;
  ASSERT_TRUE(r.have_trace) << r.err;
  EXPECT_EQ(Briefs(r.trace), (Lines{
                                 "open f0 @0+0 flags=0x1 thread.txt",
                                 "write f0 @0+15 flags=0 thread.txt 'from the thread'",
                                 "fsync f0 @0+0 flags=0 thread.txt",
                                 "close f0 @0+0 flags=0 thread.txt",
                                 "open f1 @0+0 flags=0x1 child.txt",
                                 "write f1 @0+14 flags=0 child.txt 'from the child'",
                                 "fsync f1 @0+0 flags=0 child.txt",
                                 "close f1 @0+0 flags=0 child.txt",
                             }));
  // One numbering over all processes: the thread is 0, the child 1.
  ASSERT_EQ(r.trace.events.size(), 8u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r.trace.events[i].thread, 0u) << i;
  for (int i = 4; i < 8; ++i) EXPECT_EQ(r.trace.events[i].thread, 1u) << i;
}

TEST(PtraceRecorder, SharedMappingStoresBecomeMapWritesAndMsync) {
  TempDir tmp;
  const RecordedRun r = RunProgramTraced(tmp, kPrograms + "/mapped_store");
  ASSERT_TRUE(ExitedWith(r, 0)) << r.err;
  ASSERT_TRUE(r.have_trace) << r.err;
  EXPECT_EQ(Briefs(r.trace), (Lines{
                                 "open f0 @0+0 flags=0x1 map",
                                 "truncate f0 @0+8192 flags=0 map",
                                 "map-write f0 @0+4096 flags=0 <4096 bytes>",
                                 "msync f0 @0+8192 flags=0",
                                 "write f0 @200+2 flags=0 map 'PW'",
                                 "map-write f0 @4096+4096 flags=0 <4096 bytes>",
                                 "close f0 @0+0 flags=0 map",
                             }));
  ASSERT_EQ(r.trace.events.size(), 7u);
  std::string first(4096, '\0'), second(4096, '\0');
  first.replace(100, 6, "stored");
  second[5] = 'Z';
  EXPECT_EQ(r.trace.events[2].data, first);
  EXPECT_EQ(r.trace.events[5].data, second);
}

TEST(PtraceRecorder, AppendDupRenameUnlinkMkdirAndAPoint) {
  TempDir tmp;
  const RecordedRun r = RunProgramTraced(tmp, kPrograms + "/names");
  ASSERT_TRUE(ExitedWith(r, 0)) << r.err;
  ASSERT_TRUE(r.have_trace) << r.err;
  EXPECT_EQ(Briefs(r.trace), (Lines{
                                 "mkdir f0 @0+0 flags=0 d",
                                 "open f1 @0+0 flags=0x11 d/app",  // created|O_APPEND
                                 "write f1 @0+2 flags=0x10 d/app 'aa'",
                                 "write f1 @2+3 flags=0x10 d/app 'bbb'",
                                 "write f1 @5+1 flags=0x10 d/app 'c'",
                                 "close f1 @0+0 flags=0 d/app",
                                 "write f1 @6+1 flags=0x10 d/app 'd'",
                                 "rename f1 @0+0 flags=0 d/app -> d/final",
                                 "point f0 @0+0 flags=0 !names.rename:after",
                                 "unlink f1 @0+0 flags=0 d/final",
                                 "close f1 @0+0 flags=0 d/app",
                             }));
}

TEST(PtraceRecorder, ExitCodeIsMirrored) {
  TempDir tmp;
  RecordOptions o;
  o.case_dir = tmp / "data";
  o.trace_path = tmp / "trace.bin";
  o.argv = {kPrograms + "/exit_with", "3"};
  EXPECT_TRUE(ExitedWith(RunRecorded(o), 3));
}

TEST(PtraceRecorder, DeathBySignalIsMirrored) {
  TempDir tmp;
  RecordOptions o;
  o.case_dir = tmp / "data";
  o.trace_path = tmp / "trace.bin";
  o.argv = {kPrograms + "/exit_with", "abort"};
  const RecordedRun r = RunRecorded(o);
  EXPECT_TRUE(WIFSIGNALED(r.wait_status) && WTERMSIG(r.wait_status) == SIGABRT)
      << "wait status " << r.wait_status << "\n"
      << r.err;
}

TEST(PtraceRecorder, LeakChecksAreOffInTracedProcessesAndOtherOptionsKept) {
  // LeakSanitizer cannot stop the threads of a traced process: left on, a
  // sanitized engine hung at its exit until crashlab's deadline.
  TempDir tmp;
  RecordOptions o;
  o.case_dir = tmp / "data";
  o.trace_path = tmp / "trace.bin";
  o.argv = {"/bin/sh", "-c", "echo \"$ASAN_OPTIONS|$LSAN_OPTIONS\" >&2"};
  o.env = {{"ASAN_OPTIONS", "log_path=/nonexistent/asan"}};
  const RecordedRun r = RunRecorded(o);
  EXPECT_TRUE(ExitedWith(r, 0)) << r.err;
  EXPECT_NE(r.err.find("log_path=/nonexistent/asan:detect_leaks=0|detect_leaks=0"),
            std::string::npos)
      << r.err;
}

// The CPUs a program run under the recorder may use, as the kernel lists them
// ("0-1", "3"), with `env` added.
std::string CpusOfATracedProgram(const TempDir& tmp,
                                 std::vector<std::pair<std::string, std::string>> env) {
  RecordOptions o;
  o.case_dir = tmp / "data";
  o.trace_path = tmp / "trace.bin";
  o.argv = {"/bin/sh", "-c", "sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status >&2"};
  o.env = std::move(env);
  const RecordedRun r = RunRecorded(o);
  EXPECT_TRUE(ExitedWith(r, 0)) << r.err;
  std::string cpus = r.err;
  while (!cpus.empty() && cpus.back() == '\n') cpus.pop_back();
  return cpus;
}

TEST(PtraceRecorder, TheProgramRunsOnTheRecordersOneCpuUnlessToldOtherwise) {
  // Each stop wakes the recorder and each resume the program: on one CPU
  // that is a task switch, across two a wakeup of an idle CPU.
  TempDir tmp;
  const std::string pinned = CpusOfATracedProgram(tmp, {});
  EXPECT_FALSE(pinned.empty());
  EXPECT_EQ(pinned.find_first_of(",-"), std::string::npos) << "not one CPU: " << pinned;
  const CommandResult mine = RunProgram(
      {"/bin/sh", "-c", "sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status"});
  std::string all = mine.out;
  while (!all.empty() && all.back() == '\n') all.pop_back();
  EXPECT_EQ(CpusOfATracedProgram(tmp, {{"CRASHLAB_PTRACE_ONE_CPU", "0"}}), all);
}

// mapped_store run twice: with write tracking (its counts on stderr), and
// comparing every page at every event.
struct WithAndWithoutTracking {
  TempDir tracked_dir, compared_dir;
  RecordedRun tracked, compared;
  bool kernel_tracks = false;  // false: this kernel cannot track writes

  explicit WithAndWithoutTracking(std::vector<std::string> extra_args) {
    auto run = [&](const TempDir& tmp, std::vector<std::pair<std::string, std::string>> env) {
      RecordOptions o;
      o.case_dir = tmp / "data";
      o.trace_path = tmp / "trace.bin";
      o.argv = {kPrograms + "/mapped_store", o.case_dir};
      o.argv.insert(o.argv.end(), extra_args.begin(), extra_args.end());
      o.env = std::move(env);
      return RunRecorded(o);
    };
    tracked = run(tracked_dir, {{"CRASHLAB_PTRACE_STATS", "1"}});
    compared = run(compared_dir, {{"CRASHLAB_PTRACE_WRITE_TRACKING", "0"}});
    kernel_tracks = tracked.err.find(" 0 write-tracked mappings") == std::string::npos;
  }

  void ExpectTheSameTraceAndNothingMissed() const {
    ASSERT_TRUE(ExitedWith(tracked, 0)) << tracked.err;
    ASSERT_TRUE(ExitedWith(compared, 0)) << compared.err;
    EXPECT_NE(tracked.err.find(" 1 write-tracked mappings"), std::string::npos) << tracked.err;
    EXPECT_NE(tracked.err.find(" 0 changed pages write tracking missed"), std::string::npos)
        << tracked.err;
    const std::vector<faults::Event>& a = tracked.trace.events;
    const std::vector<faults::Event>& b = compared.trace.events;
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(Brief(a[i]), Brief(b[i])) << "event " << i;
      EXPECT_EQ(a[i].data, b[i].data) << "event " << i;
    }
  }
};

constexpr const char* kNoWriteTracking =
    "no userfaultfd write protection in asynchronous mode here (Linux 6.7 has it)";

TEST(PtraceRecorder, WriteTrackingRecordsTheTraceThatComparingEveryPageRecords) {
  // The tracked run compares only the pages the kernel lists as stored to,
  // and every page at each sync, which counts any store the listing missed.
  const WithAndWithoutTracking runs({});
  if (!runs.kernel_tracks) GTEST_SKIP() << kNoWriteTracking << ": " << runs.tracked.err;
  runs.ExpectTheSameTraceAndNothingMissed();
}

TEST(PtraceRecorder, AStoreToAPageTheProgramDroppedIsStillListedByWriteTracking) {
  // The kernel lists a written page whose table entry is gone (dropped by
  // madvise, or reclaimed) as written, not as untouched.
  const WithAndWithoutTracking runs({"drop"});
  if (!runs.kernel_tracks) GTEST_SKIP() << kNoWriteTracking << ": " << runs.tracked.err;
  runs.ExpectTheSameTraceAndNothingMissed();
  int map_writes = 0;
  for (const faults::Event& e : runs.tracked.trace.events) {
    map_writes += e.kind == EventKind::kMapWrite ? 1 : 0;
  }
  EXPECT_EQ(map_writes, 2);  // both stores, each before the event that first saw it
}

TEST(PtraceRecorder, ProbeSucceedsSilently) {
  const CommandResult r = RunProgram({CRASHLAB_PTRACE, "--probe"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

// Live mode: the kill lands right after event c. A write's event is in the
// trace before its call, so the write never ran; any other event's call did.
TEST(PtraceRecorder, LiveKillAtAWriteLeavesItUnwritten) {
  TempDir tmp;
  const RecordedRun r =
      RunProgramTraced(tmp, kPrograms + "/names", {{"CRASHLAB_KILL_AT_EVENT", "3"}});
  EXPECT_TRUE(WIFSIGNALED(r.wait_status) && WTERMSIG(r.wait_status) == SIGKILL)
      << "wait status " << r.wait_status << "\n"
      << r.err;
  ASSERT_TRUE(r.have_trace);
  ASSERT_EQ(r.trace.events.size(), 4u);
  EXPECT_EQ(r.trace.events[3].data, "bbb");
  EXPECT_EQ(ReadFile(tmp / "data/d/app"), "aa");
}

TEST(PtraceRecorder, LiveKillAfterARenameLeavesItDone) {
  TempDir tmp;
  const RecordedRun r =
      RunProgramTraced(tmp, kPrograms + "/names", {{"CRASHLAB_KILL_AT_EVENT", "7"}});
  EXPECT_TRUE(WIFSIGNALED(r.wait_status) && WTERMSIG(r.wait_status) == SIGKILL);
  ASSERT_EQ(r.trace.events.size(), 8u);
  EXPECT_EQ(r.trace.events[7].kind, EventKind::kRename);
  EXPECT_EQ(ReadFile(tmp / "data/d/final"), "aabbbcd");
}

// Runs `script` with /bin/sh under the recorder, its case dir tmp/data.
RecordedRun RunShell(const TempDir& tmp, const std::string& script,
                     std::vector<std::pair<std::string, std::string>> env = {}) {
  RecordOptions o;
  o.case_dir = tmp / "data";
  o.trace_path = tmp / "trace.bin";
  o.argv = {"/bin/sh", "-c", script};
  o.env = std::move(env);
  return RunRecorded(o);
}

TEST(PtraceRecorder, FilesWrittenOutsideTheCaseDirAreListed) {
  TempDir tmp;
  const RecordedRun r = RunShell(tmp, "echo x > " + tmp / "outside.txt" + "; echo y > /dev/null");
  ASSERT_TRUE(ExitedWith(r, 0)) << r.err;
  EXPECT_TRUE(r.trace.events.empty());
  EXPECT_EQ(ReadFile(tmp / "trace.bin.outside"), tmp / "outside.txt\n");
}

TEST(PtraceRecorder, UntracedFilesAndTheirNamesStayOutOfTheTrace) {
  TempDir tmp;
  const RecordedRun r =
      RunShell(tmp, "cd " + tmp / "data" + " && echo log > LOG && mv LOG LOG.old && echo d > kept",
               {{"CRASHLAB_UNTRACED_FILES", "LOG*"}});
  ASSERT_TRUE(ExitedWith(r, 0)) << r.err;
  EXPECT_EQ(Briefs(r.trace), (Lines{
                                 "open f0 @0+0 flags=0x21 kept",
                                 "close f0 @0+0 flags=0 kept",
                                 "write f0 @0+2 flags=0 kept 'd\n'",
                             }));
}

TEST(PtraceRecorder, AWriteThatFindsTheDiskFullIsListed) {
  TempDir tmp;
  SmallFileSystem small(tmp / "data", "1m");
  if (!small.mounted()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  const RecordedRun r = RunShell(tmp, "head -c 3000000 /dev/zero > " + tmp / "data/big");
  EXPECT_FALSE(ExitedWith(r, 0));  // head fails: no space left
  const std::string list = ReadFile(tmp / "trace.bin.nospace");
  EXPECT_EQ(list.rfind("ENOSPC ", 0), 0u) << list;
  EXPECT_NE(list.find(" big\n"), std::string::npos) << list;
}

}  // namespace
}  // namespace crashlab::e2e
