#include "framework/explore/explored_run.h"

#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "faults/block/block_log.h"
#include "framework/case/block_case.h"
#include "framework/case/case_steps.h"
#include "framework/explore/block_states.h"

namespace crashlab {
namespace {

namespace fs = std::filesystem;

class TracePoints : public CrashPoints {
 public:
  TracePoints(faults::Trace trace, std::vector<TracedRequest> requests, const Workload& workload,
              const ExploreOptions& o)
      : trace_(std::move(trace)), requests_(std::move(requests)), workload_(workload), o_(o) {}
  uint64_t last() const override { return trace_.events.size(); }
  uint64_t size() const override { return trace_.events.size(); }
  bool AfterReply(uint64_t c) const override {
    return trace_.events[c - 1].kind == faults::EventKind::kReply;
  }
  SentAndAcked Known(uint64_t c) const override {
    return AckedBefore(trace_, c, requests_, workload_);
  }
  std::vector<IoCost> Cost() const override { return CumulativeCost(trace_); }
  Status Visit(uint64_t c, bool mine, int context) override {
    return enumerator_->Visit(c, mine, context);
  }
  void Start(StateEnumerator::Sink sink) override {
    enumerator_.emplace(trace_, o_, std::move(sink));
  }

 private:
  const faults::Trace trace_;
  const std::vector<TracedRequest> requests_;
  const Workload& workload_;
  const ExploreOptions& o_;
  std::optional<StateEnumerator> enumerator_;
};

class BlockPoints : public CrashPoints {
 public:
  BlockPoints(faults::BlockLog log, std::vector<TracedRequest> requests, const Workload& workload,
              const ExploreOptions& o, std::string scratch_dir)
      : log_(std::move(log)),
        requests_(std::move(requests)),
        workload_(workload),
        o_(o),
        scratch_(std::move(scratch_dir)) {}
  uint64_t last() const override { return log_.records.size(); }
  uint64_t size() const override { return log_.records.size(); }
  bool AfterReply(uint64_t c) const override {
    return log_.records[c - 1].kind == faults::BlockRecordKind::kMark;
  }
  SentAndAcked Known(uint64_t c) const override {
    return AckedByReplies(faults::MarksBefore(log_, c), requests_, workload_);
  }
  std::vector<IoCost> Cost() const override {
    std::vector<IoCost> cost(log_.records.size() + 1);
    for (std::size_t i = 0; i < log_.records.size(); ++i) {
      cost[i + 1] = cost[i];
      if (log_.records[i].kind == faults::BlockRecordKind::kFlush) ++cost[i + 1].syncs;
      if (log_.records[i].kind == faults::BlockRecordKind::kWrite) {
        cost[i + 1].bytes_written += static_cast<int64_t>(log_.records[i].length);
      }
    }
    return cost;
  }
  Status Visit(uint64_t c, bool mine, int context) override {
    return enumerator_->Visit(c, mine, context);
  }
  void Start(StateEnumerator::Sink sink) override {
    enumerator_.emplace(log_, o_.recorder.fs, o_, scratch_, std::move(sink));
  }

 private:
  const faults::BlockLog log_;
  const std::vector<TracedRequest> requests_;
  const Workload& workload_;
  const ExploreOptions& o_;
  std::string scratch_;
  std::optional<BlockStateEnumerator> enumerator_;
};

Status FailedBeforeAnyCrash(const ExploreOptions& o, const EngineFault& fault) {
  return Status::Error(fmt::format(
      "the traced run of {}/{} failed before any crash ({}: {}); run `crashlab run` on this "
      "seed to see it as a verdict, or fix the engine",
      o.engine.name, o.variant, Name(fault.verdict), fault.what));
}

Result<RecordedRun> RecordTraced(const ExploreOptions& o, const VariantSpec& variant,
                                 const Workload& workload, const std::string& workdir) {
  TracedRunSpec run;
  run.variant = &variant;
  run.recorder = o.recorder;
  run.data_dir = workdir + "/run";
  run.trace_path = workdir + "/trace.bin";
  run.log = workdir + "/engine.stderr";
  run.deadline = o.deadline;
  Result<TracedRun> traced = RunTraced(run, workload);
  if (!traced.ok()) return traced.status();
  if (traced->fault) return FailedBeforeAnyCrash(o, *traced->fault);
  Result<faults::Trace> trace = ReadRunTrace(run.trace_path, o.variant, *traced);
  if (!trace.ok()) return trace.status();
  if (Status s = CheckTraceExplainsDirectory(*trace, trace->events.size(), run.data_dir,
                                             variant.untraced_files);
      !s.ok()) {
    return s;
  }
  RecordedRun r;
  Result<std::string> bytes = ReadWholeFile(run.trace_path);
  if (!bytes.ok()) return bytes.status();
  r.bytes = std::move(*bytes);
  r.points =
      std::make_unique<TracePoints>(std::move(*trace), std::move(traced->requests), workload, o);
  return r;
}

Result<RecordedRun> RecordOnBlocks(const ExploreOptions& o, const VariantSpec& variant,
                                   const Workload& workload, const std::string& workdir) {
  if (Status s = CheckRecorderRuns(o.recorder, RecorderKind::kBlock); !s.ok()) return s;
  TracedCaseSpec spec;
  spec.variant = &variant;
  spec.recorder = o.recorder;
  spec.case_dir = workdir + "/run";
  spec.deadline = o.deadline;
  const std::string states = workdir + "/states";
  for (const std::string& dir : {spec.case_dir, states}) {
    std::error_code ec;
    if (!fs::create_directory(dir, ec)) {
      return Status::Error("cannot create " + dir + ": " + ec.message());
    }
  }
  Result<BlockRun> run = RecordBlockRun(spec, workload, workdir + "/engine.stderr");
  if (!run.ok()) return run.status();
  if (run->fault) return FailedBeforeAnyCrash(o, *run->fault);
  RecordedRun r;
  Result<std::string> bytes = ReadWholeFile(run->log_path);
  if (!bytes.ok()) return bytes.status();
  Result<faults::BlockLog> log = faults::ParseBlockLog(*bytes, run->log_path);
  if (!log.ok()) return log.status();
  r.bytes = std::move(*bytes);
  r.points =
      std::make_unique<BlockPoints>(std::move(*log), std::move(run->requests), workload, o, states);
  return r;
}

}  // namespace

Result<RecordedRun> RecordForExplore(const ExploreOptions& o, const VariantSpec& variant,
                                     const Workload& workload, const std::string& workdir) {
  return o.recorder.kind == RecorderKind::kBlock ? RecordOnBlocks(o, variant, workload, workdir)
                                                 : RecordTraced(o, variant, workload, workdir);
}

}  // namespace crashlab
