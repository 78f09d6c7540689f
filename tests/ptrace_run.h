// Running a program under a recorder, for the ptrace recorder's end-to-end
// tests: with libcrashlab_preload.so, under crashlab-ptrace, or untraced;
// stdin from a script, stdout a pipe named in CRASHLAB_REPLY_PIPE (as
// crashlab runs engines), in a process group of its own (a live kill takes
// its group), and the trace read back.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "faults/trace.h"

namespace crashlab::e2e {

enum class RecorderKind { kUntraced, kPreload, kPtrace };

struct RecordOptions {
  RecorderKind recorder = RecorderKind::kPtrace;
  std::vector<std::string> argv;  // the program and its arguments
  std::string case_dir;           // CRASHLAB_CASE_DIR (created)
  std::string trace_path;         // CRASHLAB_TRACE (removed first)
  std::string stdin_text;
  std::vector<std::pair<std::string, std::string>> env;
};

struct RecordedRun {
  int wait_status = -1;  // as waitpid reports it
  std::string out;       // what the program wrote to stdout
  std::string err;       // and to stderr
  faults::Trace trace;   // empty when the run left no trace
  bool have_trace = false;
  double seconds = 0;  // wall time of the run
};

RecordedRun RunRecorded(const RecordOptions& options);

// One event in a line, every field that the equivalence compares (thread
// aside); data longer than 40 bytes is shown by its size.
std::string Brief(const faults::Event& e);
// Brief() of every event, in order.
std::vector<std::string> Briefs(const faults::Trace& trace);

}  // namespace crashlab::e2e
