#include "framework/case/traced_run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fnmatch.h>

#include <fstream>

#include "faults/crash_state.h"
#include "faults/persistence_model.h"
#include "faults/trace_file.h"
#include "framework/case/case_steps.h"
#include "framework/case/tracer_checks.h"
#include "framework/engine/engine_client.h"
#include "framework/protocol/protocol.h"

namespace crashlab {

Result<TracedRun> RunTraced(const TracedRunSpec& spec, const Workload& workload) {
  const VariantSpec& variant = *spec.variant;
  const RecorderChoice recorder = ChooseRecorder(spec.recorder.kind, variant.argv);
  const bool block = recorder.kind == RecorderKind::kBlock;
  if (Status s = CheckRecorderRuns(spec.recorder, recorder.kind); !s.ok()) return s;
  if (recorder.kind == RecorderKind::kPreload) {
    if (Status s = CheckTraceable(variant.argv, variant.name); !s.ok()) return s;
  }
  std::vector<std::string> env = {"CRASHLAB_TRACE=" + spec.trace_path,
                                  "CRASHLAB_CASE_DIR=" + spec.data_dir};
  if (spec.kill_at_event) {
    env.push_back(fmt::format("CRASHLAB_KILL_AT_EVENT={}", *spec.kill_at_event));
  }
  if (!variant.untraced_files.empty()) {
    env.push_back(
        fmt::format("CRASHLAB_UNTRACED_FILES={}", fmt::join(variant.untraced_files, ":")));
  }
  const RecordedCommand command =
      UnderRecorder(spec.recorder, recorder.kind, variant.argv, std::move(env));
  Result<std::unique_ptr<EngineProcess>> started =
      EngineProcess::Start(command.argv, spec.log, command.env);
  if (!started.ok()) return started.status();
  EngineProcess& engine = **started;
  engine.KeepLines();
  EngineClient client(engine, spec.deadline);
  TracedRun run;
  // Whether a failed exchange ends the run: the planned kill (live mode) or
  // a fault of the engine's own, which becomes the case's verdict.
  auto stopped = [&](const Exchange& e, const std::string& during) {
    engine.AwaitExitThenKill(e.kind == Exchange::kDied ? kExitGrace : Millis(0));
    (void)engine.DrainLines();
    run.lines = engine.lines();
    if (spec.kill_at_event && e.kind == Exchange::kDied && engine.DiedOfSigkill()) {
      run.killed = true;
    } else {
      run.fault = EngineFault{FaultVerdict(e),
                              fmt::format("{} in the traced run: {} (engine {})", during, e.message,
                                          engine.ExitDescription()),
                              engine.TermSignal()};
    }
    return run;
  };
  // The reply just read, to the block log's marks.
  auto heard = [&]() {
    return spec.on_reply ? spec.on_reply(engine.lines().back()) : Status::Ok();
  };
  HelloReply hello;
  if (Exchange e = client.Hello(hello); !e.ok()) return stopped(e, "hello");
  if (!block) {
    if (Status s = CheckTracerSawHello(spec.trace_path, engine.lines().back(), variant.argv,
                                       variant.name, recorder.kind);
        !s.ok()) {
      return s;
    }
  }
  if (Status s = heard(); !s.ok()) return s;
  run.requests.push_back({});
  if (Exchange e = client.Open(spec.data_dir); !e.ok()) {
    return stopped(e, "open of the new database");
  }
  if (Status s = heard(); !s.ok()) return s;
  run.requests.push_back({});
  for (std::size_t t = 0; t < workload.txns.size(); ++t) {
    const Txn& txn = workload.txns[t];
    if (txn.checkpoint_before) {
      bool supported = true;
      Exchange e = client.Checkpoint(supported);
      if (!e.ok() && e.kind != Exchange::kErr) return stopped(e, "checkpoint");
      if (Status s = heard(); !s.ok()) return s;
      run.requests.push_back({});
    }
    if (Exchange e = client.SendTxn(txn); !e.ok()) {
      return stopped(e, fmt::format("transaction {}", t));
    }
    run.requests.push_back({true, t});
    Exchange e = client.AwaitTxnReply();
    if (!e.ok() && e.kind != Exchange::kErr) return stopped(e, fmt::format("transaction {}", t));
    if (Status s = heard(); !s.ok()) return s;
  }
  if (Exchange e = client.Close(); !e.ok()) return stopped(e, "close");
  if (Status s = heard(); !s.ok()) return s;
  engine.FinishGracefully(spec.deadline);
  (void)engine.DrainLines();
  run.lines = engine.lines();
  return run;
}

Status CheckNoWritesOutside(const std::string& trace_path, const std::string& variant) {
  std::ifstream in(trace_path + faults::kOutsideSuffix);
  std::vector<std::string> paths;
  for (std::string line; paths.size() < 3 && std::getline(in, line);) paths.push_back(line);
  if (paths.empty()) return Status::Ok();
  return Status::Error(fmt::format(
      "{} wrote outside the directory crashlab gave it ({}): a simulated power loss crashes only "
      "that directory, so its verdicts would be fiction; keep every file of the engine under the "
      "directory of the `open` request",
      variant, protocol::Readable(fmt::format("{}", fmt::join(paths, ", ")), 400)));
}

std::vector<TracedRequest> RequestsOf(const Workload& workload) {
  std::vector<TracedRequest> requests(2);  // hello, open
  for (std::size_t t = 0; t < workload.txns.size(); ++t) {
    if (workload.txns[t].checkpoint_before) requests.push_back({});
    requests.push_back({true, t});
  }
  return requests;
}

Result<faults::Trace> ReadRunTrace(const std::string& path, const std::string& variant,
                                   const TracedRun& run) {
  if (Status s = CheckNoWritesOutside(path, variant); !s.ok()) return s;
  Result<faults::Trace> trace = faults::ReadTraceFile(path);
  if (!trace.ok()) return trace.status();
  if (trace->events.empty()) {
    return Status::Error("the traced run of " + variant + " recorded no file events (" + path +
                         "): is the engine a static binary, or does it bypass libc (io_uring, "
                         "raw syscalls)? traced cases need its I/O in the trace");
  }
  if (Status s = CheckRepliesMatch(*trace, run.lines, run.killed, variant); !s.ok()) return s;
  return trace;
}

Status CheckTraceExplainsDirectory(const faults::Trace& trace, uint64_t events,
                                   const std::string& data_dir,
                                   const std::vector<std::string>& untraced) {
  auto skipped = [&](const std::string& path) {
    for (const std::string& pattern : untraced) {
      if (fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0) return true;
    }
    return false;
  };
  Result<faults::DirTree> replayed = faults::ModelKill(trace, events, {});
  if (!replayed.ok()) return Status::Error("replaying the trace: " + replayed.status().message());
  Result<faults::DirTree> actual = faults::ReadDirTree(data_dir);
  if (!actual.ok()) return actual.status();
  std::vector<std::string> unexplained;
  for (const auto& [path, bytes] : actual->files) {
    if (skipped(path)) continue;
    auto it = replayed->files.find(path);
    if (it == replayed->files.end() || it->second != bytes) unexplained.push_back(path);
  }
  for (const auto& [path, bytes] : replayed->files) {
    if (actual->files.count(path) == 0 && !skipped(path)) unexplained.push_back(path + " (gone)");
  }
  if (unexplained.empty()) return Status::Ok();
  std::string list;
  for (std::size_t i = 0; i < unexplained.size() && i < 5; ++i) {
    list += (i ? ", " : "") + unexplained[i];
  }
  return Status::Error(fmt::format(
      "the trace does not explain {} file(s) the traced run left in {} ({}): the engine changed "
      "them past the recorder (past libcrashlab_preload.so: a static binary, raw syscalls or "
      "stdio, all of which `--recorder ptrace` sees; past either: io_uring, splice), so no "
      "crash state built from this trace can be trusted; see docs/recorders.md. A file the "
      "engine never reads back for recovery (an info log written with stdio) can be declared "
      "with untraced-files in its variants file (docs/variants-file.md)",
      unexplained.size(), data_dir, list));
}

SentAndAcked AckedBefore(const faults::Trace& trace, uint64_t upto,
                         const std::vector<TracedRequest>& requests, const Workload& workload) {
  std::vector<std::string> replies;
  for (uint64_t i = 0; i < upto && i < trace.events.size(); ++i) {
    if (trace.events[i].kind == faults::EventKind::kReply) replies.push_back(trace.events[i].name);
  }
  return AckedByReplies(replies, requests, workload);
}

SentAndAcked AckedByReplies(const std::vector<std::string>& replies,
                            const std::vector<TracedRequest>& requests, const Workload& workload) {
  SentAndAcked known;
  std::vector<bool> refused(workload.txns.size(), false);
  for (std::size_t reply = 0; reply < replies.size() && reply < requests.size(); ++reply) {
    const TracedRequest& req = requests[reply];
    if (!req.is_txn) continue;
    known.acked = req.txn + 1;
    if (replies[reply] != "ok") refused[req.txn] = true;
  }
  // The controller sends a transaction only after the previous reply, so at
  // most one more was in flight.
  const std::size_t sent = std::min(known.acked + 1, workload.txns.size());
  for (std::size_t t = 0; t < sent; ++t) {
    known.sent.push_back(workload.txns[t]);
    if (refused[t]) known.sent.back().ops.clear();
  }
  return known;
}

}  // namespace crashlab
