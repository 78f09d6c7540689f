// libcrashlab_preload.so on real engines: run an engine under LD_PRELOAD with
// a protocol conversation, read the trace it left, and check what the trace
// says against what the engine is known to do.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "faults/trace_file.h"
#include "tests/e2e_support.h"

namespace crashlab::e2e {
namespace {

namespace fs = std::filesystem;
using faults::Event;
using faults::EventKind;

std::string PagejournalEngine() {
  return (fs::path(CRASHLAB_BIN).parent_path() / "engines/pagejournal/crashlab-engine-pagejournal")
      .string();
}

std::string FakeEngine() {
  return (fs::path(CRASHLAB_FAKE_ENGINE).parent_path() / "crashlab-fake-engine").string();
}

// Runs `command` with `input` on stdin, traced into `trace` confined to
// `case_dir` when `trace` is not empty; returns its stdout.
std::string Converse(const std::string& command, const std::string& input,
                     const std::string& trace = "", const std::string& case_dir = "") {
  TempDir io;
  {
    std::FILE* f = std::fopen((io / "in").c_str(), "wb");
    std::fwrite(input.data(), 1, input.size(), f);
    std::fclose(f);
  }
  std::string env;
  if (!trace.empty()) {
    env = std::string("env LD_PRELOAD=") + CRASHLAB_PRELOAD + " CRASHLAB_TRACE=" + trace +
          " CRASHLAB_CASE_DIR=" + case_dir + " ";
  }
  const std::string line = env + command + " < " + (io / "in") + " > " + (io / "out");
  EXPECT_EQ(std::system(line.c_str()), 0) << line;
  return ReadFile(io / "out");
}

faults::Trace Load(const std::string& path) {
  Result<faults::Trace> t = faults::ReadTraceFile(path);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? t.value() : faults::Trace{};
}

std::string Txns(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += "txn 2\nput k" + std::to_string(i) + " v" + std::to_string(i) + "\nput x " +
           std::to_string(i) + "\n";
  }
  return out;
}

TEST(PreloadTrace, Pagejournal_JournalOpenedDsyncAndEachOkFollowsItsJournalWrite) {
  TempDir root;
  const std::string case_dir = root / "case";
  const std::string trace = root / "trace";
  const std::string input = "hello\nopen " + case_dir + "\n" + Txns(5) + "close\n";
  Converse(PagejournalEngine(), input, trace, case_dir);
  const faults::Trace t = Load(trace);
  EXPECT_EQ(t.case_dir, fs::canonical(root.path()).string() + "/case");

  bool journal_dsync = false;
  std::vector<int> journal_writes_before_reply;  // per reply "ok" after open
  int journal_writes = 0;
  std::vector<std::string> replies;
  for (const Event& e : t.events) {
    if (e.kind == EventKind::kOpen && e.path.rfind("journal", 0) == 0 &&
        (e.flags & faults::kOpenDsync)) {
      journal_dsync = true;
    }
    if (e.kind == EventKind::kWrite && e.path.rfind("journal", 0) == 0) {
      EXPECT_TRUE(e.flags & faults::kOpenDsync) << "journal write at seq " << e.seq;
      ++journal_writes;
    }
    if (e.kind == EventKind::kReply) {
      replies.push_back(e.name);
      journal_writes_before_reply.push_back(journal_writes);
    }
  }
  EXPECT_TRUE(journal_dsync);
  // Points fire into the trace: each journal write follows journal.write:before.
  int map_writes = 0;
  for (std::size_t i = 0; i < t.events.size(); ++i) {
    const Event& e = t.events[i];
    if (e.kind == EventKind::kMapWrite) {
      ++map_writes;
      EXPECT_EQ(e.data.size(), e.length);
    }
    if (e.kind != EventKind::kWrite || e.path.rfind("journal", 0) != 0) continue;
    ASSERT_GT(i, 0u);
    EXPECT_EQ(t.events[i - 1].kind, EventKind::kPoint) << "seq " << e.seq;
    EXPECT_EQ(t.events[i - 1].name, "journal.write:before") << "seq " << e.seq;
  }
  EXPECT_GT(map_writes, 0);       // the scratch file is a shared writable mapping
  ASSERT_EQ(replies.size(), 8u);  // hello, open, 5 txns, close
  EXPECT_EQ(replies[0].rfind("ok crashlab-engine", 0), 0u) << replies[0];
  for (int i = 1; i < 8; ++i) EXPECT_EQ(replies[i], "ok") << i;
  // The i-th transaction's "ok" comes after at least i journal writes.
  for (int i = 0; i < 5; ++i) EXPECT_GE(journal_writes_before_reply[2 + i], i + 1) << i;
}

TEST(PreloadTrace, Pagejournal_FilesOutsideTheCaseDirAreNotTraced) {
  TempDir root;
  const std::string case_dir = root / "case";
  const std::string other = root / "other";
  const std::string trace = root / "trace";
  Converse(PagejournalEngine(),
           "hello\nopen " + other + "\n" + Txns(2) + "close\nopen " + case_dir + "\n" + Txns(2) +
               "close\n",
           trace, case_dir);
  const faults::Trace t = Load(trace);
  int headers_created = 0;
  for (const Event& e : t.events) {
    EXPECT_TRUE(e.path.empty() || e.path[0] != '/') << "seq " << e.seq << " " << e.path;
    if (e.kind == EventKind::kOpen && e.path == "header.b" && (e.flags & faults::kOpenCreated)) {
      ++headers_created;
    }
  }
  EXPECT_EQ(headers_created, 1);  // the case dir's store; the other store is not in the trace
}

TEST(PreloadTrace, Pagejournal_OutputIsTheSameWithAndWithoutTheLibrary) {
  TempDir plain, traced;
  const auto input = [](const std::string& dir) {
    return "hello\nopen " + dir + "/db\n" + Txns(20) + "checkpoint\ndump\nget k3\nclose\n";
  };
  const std::string without = Converse(PagejournalEngine(), input(plain.path()));
  const std::string with =
      Converse(PagejournalEngine(), input(traced.path()), traced / "trace", traced / "db");
  EXPECT_EQ(with, without);
  EXPECT_NE(without.find("kv k19 v19"), std::string::npos);
}

TEST(PreloadTrace, FakeEngine_LogWritesAreContiguousAndFdatasyncedBeforeOk) {
  TempDir root;
  const std::string case_dir = root / "case";
  const std::string trace = root / "trace";
  Converse(FakeEngine() + " --mode=correct", "hello\nopen " + case_dir + "\n" + Txns(3) + "close\n",
           trace, case_dir);
  const faults::Trace t = Load(trace);
  uint64_t end = 0;
  int writes = 0;
  bool pending_sync = false;
  int oks_after_sync = 0;
  bool mkdir_seen = false;
  for (const Event& e : t.events) {
    if (e.kind == EventKind::kMkdir && e.path == ".") mkdir_seen = true;
    if (e.kind == EventKind::kWrite) {
      EXPECT_EQ(e.path, "log");
      EXPECT_EQ(e.offset, end) << "seq " << e.seq;
      end = e.offset + e.data.size();
      ++writes;
      pending_sync = true;
    }
    if (e.kind == EventKind::kFdatasync) pending_sync = false;
    if (e.kind == EventKind::kReply && e.name == "ok" && writes > 0) {
      EXPECT_FALSE(pending_sync) << "ok at seq " << e.seq << " before the fdatasync";
      ++oks_after_sync;
    }
  }
  EXPECT_TRUE(mkdir_seen);
  EXPECT_EQ(writes, 3);
  EXPECT_EQ(oks_after_sync, 4);  // three transactions and close
}

TEST(PreloadTrace, OnlyWritesToTheProtocolPipeAreReplies) {
  // A wrapper's `$(...)` writes to a pipe of its own, a helper's stderr is no
  // stdout: neither is a reply, though each process inherits the tracer.
  TempDir dir;
  const std::string out =
      Converse("sh -c 'x=$(/bin/echo noise); /bin/echo side >&2; exec /bin/echo ok'", "",
               dir / "trace.bin", dir.path());
  EXPECT_EQ(out, "ok\n");
  std::vector<std::string> replies;
  for (const Event& e : Load(dir / "trace.bin").events) {
    if (e.kind == EventKind::kReply) replies.push_back(e.name);
  }
  EXPECT_EQ(replies, std::vector<std::string>{"ok"});
}

TEST(PreloadTrace, TraceDump_PrintsFlagsAndReplies) {
  TempDir root;
  const std::string case_dir = root / "case";
  Converse(PagejournalEngine(), "hello\nopen " + case_dir + "\n" + Txns(1) + "close\n",
           root / "trace", case_dir);
  const CommandResult r = RunCrashlab({"trace", "dump", root / "trace"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("O_DSYNC"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reply      ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("point      journal.write:before"), std::string::npos) << r.out;
}

TEST(PreloadTrace, TraceDump_MissingFileNamesIt) {
  const CommandResult r = RunCrashlab({"trace", "dump", "/nonexistent/trace.bin"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/trace.bin"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace crashlab::e2e
