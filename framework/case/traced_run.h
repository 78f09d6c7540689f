// The traced run both kinds of traced case start from: the case's workload
// driven into an engine under libcrashlab_preload.so, which writes every file
// event, named point and protocol reply to a trace. A traced run either
// completes (power-loss cases pick their crash point in its trace) or, in live
// mode, is killed for real by the library right after a chosen event.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "faults/trace.h"
#include "framework/case/oracle.h"
#include "framework/engine/engine_process.h"
#include "framework/engine/recorder.h"
#include "framework/engine/variants_file.h"
#include "framework/plan/workload.h"

namespace crashlab {

struct TracedRunSpec {
  const VariantSpec* variant = nullptr;
  Recorder recorder;       // how the run is traced (engine/recorder.h)
  std::string data_dir;    // new: the engine's database directory
  std::string trace_path;  // new: the trace file
  std::string log;         // the engine's stderr, appended
  Millis deadline{10000};
  // Live mode: the library SIGKILLs the engine right after appending this
  // event (CRASHLAB_KILL_AT_EVENT). The run may end first: thread timing
  // can make the live run shorter than the one the event was chosen from.
  std::optional<uint64_t> kill_at_event;
  // The block-level recorder (recorder.kind kBlock) writes no trace: this
  // is called with each reply line right after it is read, before the next
  // request, and marks the disk's log. An error ends the run with it.
  std::function<Status(const std::string& reply)> on_reply;
};

// One request the controller sent, in order: the reply at the same position
// among the trace's kReply events answers it.
struct TracedRequest {
  bool is_txn = false;
  std::size_t txn = 0;
};

// The requests a complete run of `workload` sends, in RunTraced's order:
// hello, open, then for each transaction its checkpoint (if any) and itself.
// A run cut short sent a prefix of them.
std::vector<TracedRequest> RequestsOf(const Workload& workload);

struct TracedRun {
  std::vector<TracedRequest> requests;
  // The engine failed on its own (hang, protocol error, a death that was not
  // the planned kill): the case's verdict, with no crash to judge.
  std::optional<EngineFault> fault;
  bool killed = false;  // live mode: the planned SIGKILL happened
  // Every line crashlab read from the engine, those left unread when it ended
  // included: what the trace's replies must be (CheckRepliesMatch).
  std::vector<std::string> lines;
};

// Runs the workload traced: hello, open, every transaction (and checkpoint)
// with its reply awaited, close. Under the block-level recorder the engine
// runs untraced and spec.on_reply hears every reply. Errors are setup
// failures, never verdicts:
// the program or the library cannot be started, or the tracer cannot see the
// engine (CheckTraceable before the start, CheckTracerSawHello after hello).
[[nodiscard]] Result<TracedRun> RunTraced(const TracedRunSpec& spec, const Workload& workload);

// Reads the trace at `path` of `run`; an empty one is an error naming the
// likely cause (a static binary, or I/O that bypasses libc), and so are writes
// outside the engine's directory (CheckNoWritesOutside) and replies that are
// not the lines crashlab read (CheckRepliesMatch).
[[nodiscard]] Result<faults::Trace> ReadRunTrace(const std::string& path,
                                                 const std::string& variant, const TracedRun& run);

// An error naming the first files the engine opened for writing outside its
// directory, as the tracer listed them beside the trace (faults::kOutsideSuffix).
[[nodiscard]] Status CheckNoWritesOutside(const std::string& trace_path,
                                          const std::string& variant);

// The trace must explain the directory its run left: replaying its first
// `events` events must give exactly the files in `data_dir`, but for files
// matching `untraced` (VariantSpec::untraced_files), which the tracer leaves
// out of the trace and this check skips. A file it does not
// explain was changed past the tracer (static binary, io_uring, raw syscalls),
// or the persistence model disagrees with the kernel; either way a crash state
// built from the trace would be fiction, so this is an error, not a verdict.
[[nodiscard]] Status CheckTraceExplainsDirectory(const faults::Trace& trace, uint64_t events,
                                                 const std::string& data_dir,
                                                 const std::vector<std::string>& untraced);

// What the controller knew at a crash point: the transactions it had sent by
// then, in order, and how many of them (a prefix) were acknowledged. One the
// engine refused (any reply but ok) stays in place without its operations,
// for it is expected to leave no trace.
struct SentAndAcked {
  std::vector<Txn> sent;
  std::size_t acked = 0;
};

// What the controller knew at a crash before event `upto`, from the replies
// among events [0, upto): a transaction is acknowledged when its reply is in
// the trace before the crash; `sent` is the acknowledged ones and the one in
// flight, if any.
SentAndAcked AckedBefore(const faults::Trace& trace, uint64_t upto,
                         const std::vector<TracedRequest>& requests, const Workload& workload);

// The same from the reply lines the controller had read by the crash, in
// order (the marks of a block log before its crash point).
SentAndAcked AckedByReplies(const std::vector<std::string>& replies,
                            const std::vector<TracedRequest>& requests, const Workload& workload);

}  // namespace crashlab
