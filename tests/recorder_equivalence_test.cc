// Issue 19 item 5: for a deterministic, single-threaded run, the preload
// library and crashlab-ptrace write the same trace, event by event (kind,
// file, flags, offset, length, path, path2, data, name; thread numbers
// aside). On pagejournal with a flush on the committing thread, and on two
// test programs of our own.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <regex>
#include <string>
#include <vector>

#include "tests/e2e_support.h"
#include "tests/ptrace_run.h"

namespace crashlab::e2e {
namespace {

using faults::EventKind;

// The first difference between the traces, or "" when they are the same.
std::string FirstDifference(const faults::Trace& preload, const faults::Trace& ptrace) {
  const std::size_t n = std::min(preload.events.size(), ptrace.events.size());
  for (std::size_t i = 0; i < n; ++i) {
    const faults::Event& a = preload.events[i];
    const faults::Event& b = ptrace.events[i];
    if (a.kind != b.kind || a.file != b.file || a.flags != b.flags || a.offset != b.offset ||
        a.length != b.length || a.path != b.path || a.path2 != b.path2 || a.data != b.data ||
        a.name != b.name) {
      return "event " + std::to_string(i) + ": preload " + Brief(a) + ", ptrace " + Brief(b);
    }
  }
  if (preload.events.size() != ptrace.events.size()) {
    return "preload has " + std::to_string(preload.events.size()) + " events, ptrace " +
           std::to_string(ptrace.events.size());
  }
  return "";
}

struct Pair {
  RecordedRun preload, ptrace;
};

// Runs `argv` (the case directory appended when `dir_arg`) under each
// recorder with `script` on stdin ("@DIR@" replaced by the case directory).
Pair RunBoth(const TempDir& tmp, const std::vector<std::string>& argv, const std::string& script,
             bool dir_arg) {
  Pair out;
  for (RecorderKind kind : {RecorderKind::kPreload, RecorderKind::kPtrace}) {
    const std::string name = kind == RecorderKind::kPreload ? "preload" : "ptrace";
    RecordOptions o;
    o.recorder = kind;
    o.case_dir = tmp / (name + "/data");
    o.trace_path = tmp / (name + ".trace");
    o.argv = argv;
    if (dir_arg) o.argv.push_back(o.case_dir);
    o.stdin_text = script;
    for (std::size_t at; (at = o.stdin_text.find("@DIR@")) != std::string::npos;) {
      o.stdin_text.replace(at, 5, o.case_dir);
    }
    (kind == RecorderKind::kPreload ? out.preload : out.ptrace) = RunRecorded(o);
  }
  return out;
}

bool Succeeded(const RecordedRun& r) {
  return WIFEXITED(r.wait_status) && WEXITSTATUS(r.wait_status) == 0 && r.have_trace;
}

// hello, open, 40 transactions of puts with a delete now and then, close.
std::string PagejournalScript() {
  std::string s = "hello\nopen @DIR@\n";
  for (int i = 0; i < 40; ++i) {
    s += "txn 3\n";
    for (int j = 0; j < 3; ++j) {
      s += "put key" + std::to_string(i) + "." + std::to_string(j) + " value-" +
           std::to_string(i * 131 + j) + std::string(static_cast<std::size_t>(i % 7) * 9, 'v') +
           "\n";
    }
    if (i % 6 == 5) s += "txn 1\ndel key" + std::to_string(i - 3) + ".1\n";
  }
  return s + "close\n";
}

TEST(RecorderEquivalence, PagejournalFlushingOnItsOwnThreadGivesTheSameTrace) {
  TempDir tmp;
  const Pair p = RunBoth(tmp, {CRASHLAB_PAGEJOURNAL, "--flush-every=3", "--journal-size=65536"},
                         PagejournalScript(), false);
  ASSERT_TRUE(Succeeded(p.preload)) << p.preload.err;
  ASSERT_TRUE(Succeeded(p.ptrace)) << p.ptrace.err;
  EXPECT_EQ(p.preload.out, p.ptrace.out);
  // A run that does something: journal writes, syncs, points, replies.
  int writes = 0, points = 0, replies = 0;
  for (const faults::Event& e : p.ptrace.trace.events) {
    writes += e.kind == EventKind::kWrite || e.kind == EventKind::kMapWrite;
    points += e.kind == EventKind::kPoint;
    replies += e.kind == EventKind::kReply;
  }
  EXPECT_GT(writes, 40);
  EXPECT_GT(points, 40);
  EXPECT_EQ(replies, 1 + 1 + 40 + 6 + 1);
  EXPECT_EQ(FirstDifference(p.preload.trace, p.ptrace.trace), "");
}

TEST(RecorderEquivalence, SharedMappingProgramGivesTheSameTrace) {
  TempDir tmp;
  const Pair p = RunBoth(tmp, {std::string(CRASHLAB_PTRACE_PROGRAMS) + "/mapped_store"}, "", true);
  ASSERT_TRUE(Succeeded(p.preload)) << p.preload.err;
  ASSERT_TRUE(Succeeded(p.ptrace)) << p.ptrace.err;
  EXPECT_EQ(p.ptrace.trace.events.size(), 7u);
  EXPECT_EQ(FirstDifference(p.preload.trace, p.ptrace.trace), "");
}

TEST(RecorderEquivalence, NamesProgramGivesTheSameTraceButItsPoint) {
  TempDir tmp;
  const Pair p = RunBoth(tmp, {std::string(CRASHLAB_PTRACE_PROGRAMS) + "/names"}, "", true);
  ASSERT_TRUE(Succeeded(p.preload)) << p.preload.err;
  ASSERT_TRUE(Succeeded(p.ptrace)) << p.ptrace.err;
  // The program writes its point itself, to the descriptor only the ptrace
  // recorder gives it.
  faults::Trace without_point = p.ptrace.trace;
  std::erase_if(without_point.events,
                [](const faults::Event& e) { return e.kind == EventKind::kPoint; });
  EXPECT_EQ(without_point.events.size(), p.ptrace.trace.events.size() - 1);
  EXPECT_EQ(FirstDifference(p.preload.trace, without_point), "");
}

// opendir opens its directory inside libc, where no open hook sees it: the
// ptrace recorder showed the library missing it, which now hooks opendir and
// closedir. `ls` of the empty case directory lists it with them.
TEST(RecorderEquivalence, OpendirIsSeenByBothRecorders) {
  TempDir tmp;
  const Pair p = RunBoth(tmp, {"/bin/ls"}, "", true);
  ASSERT_TRUE(Succeeded(p.preload)) << p.preload.err;
  ASSERT_TRUE(Succeeded(p.ptrace)) << p.ptrace.err;
  const std::vector<std::string> want = {"open f0 @0+0 flags=0x40 .", "close f0 @0+0 flags=0 ."};
  EXPECT_EQ(Briefs(p.preload.trace), want);
  EXPECT_EQ(Briefs(p.ptrace.trace), want);
}

// The same trace gives the same crash states: explore of one workload under
// each recorder builds and verifies the same distinct states with the same
// verdicts.
TEST(RecorderEquivalence, ExploreFindsTheSameDistinctCrashStatesUnderEitherRecorder) {
  const std::regex kStates("\\d+ crash states built, \\d+ distinct");
  std::vector<std::string> found;
  for (const std::string recorder : {"preload", "ptrace"}) {
    TempDir dir;
    CommandResult r =
        RunCrashlab({"explore", "--engine", "pagejournal", "--variant", "correct-flush-every",
                     "--seed", "2", "--txns", "12", "--recorder", recorder, "--db",
                     dir / "explore.db", "--workdir", dir / "work"});
    ASSERT_EQ(r.exit_code, 0) << recorder << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("recorder " + recorder + ": asked for"), std::string::npos) << r.out;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, kStates)) << r.out;
    // Every judged state's digest and verdict, in one order.
    found.push_back(
        m.str() + "; " +
        Query(dir / "explore.db",
              "SELECT group_concat(crash_state || ' ' || verdict, ',') AS s FROM "
              "(SELECT crash_state, verdict FROM cases ORDER BY crash_state, verdict)")[0]
            .at("s"));
  }
  EXPECT_EQ(found[0], found[1]);
}

}  // namespace
}  // namespace crashlab::e2e
