#include "framework/explore/explore.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "faults/crash_state.h"
#include "framework/base/shell_words.h"
#include "framework/campaign/campaign.h"
#include "framework/campaign/campaign_info.h"
#include "framework/campaign/case_record.h"
#include "framework/case/case_steps.h"
#include "framework/case/trace_cost.h"
#include "framework/case/traced_run.h"
#include "framework/engine/interrupt.h"
#include "framework/explore/explore_states.h"
#include "framework/explore/explored_run.h"
#include "framework/explore/state_verifier.h"
#include "framework/store/results_store.h"

namespace crashlab {
namespace {

namespace fs = std::filesystem;

// Judged states recorded per transaction: a commit (with its sync) per state
// cost more than verifying the state. A controller killed mid-exploration
// loses at most this many verdicts, never half of one.
constexpr std::size_t kRecordBatch = 256;

// One crash state and the crash points that can leave it.
struct StateEntry {
  int64_t id = 0;
  std::string digest;  // faults::DigestDirTree, stored with each case
  bool verified = false;
  // The recovery's outcome. A state equal to a prefix state of the
  // transactions sent keeps only that prefix's length and the context whose
  // transactions they were (a refused one applies nothing), so memory does
  // not grow with the dumps.
  int64_t prefix = -1;
  int prefix_context = 0;
  std::optional<KvState> recovered;
  std::optional<std::string> check_error;
  std::optional<std::string> dump_error;
  std::optional<EngineFault> fault;
  std::string engine_stderr;  // written while recovering it, usually nothing
  double recovery_ms = 0;
  std::vector<Candidate> waiting;                 // judged once verified
  std::vector<std::pair<CrashKind, int>> judged;  // (kind, ack context) already judged
};

Result<std::string> ExploreWorkdir(const std::string& requested) {
  return requested.empty() ? MemoryWorkdir("explore") : PrepareWorkdir(requested);
}

// The recorded run an Explorer walks the crash states of.
struct ExploredRun {
  const VariantSpec& variant;
  const Workload& workload;
  CrashPoints& points;
  std::string trace_bytes;      // the trace file (block log), stored once a failure needs it
  CaseClock::time_point start;  // when the command began
};

// Walks the crash states of `run`, verifies each distinct one, judges it at
// every crash point that can leave it, records the verdicts in `store`,
// prints violations to `out` and counts everything in `summary`.
class Explorer {
 public:
  Explorer(const ExploreOptions& o, ExploredRun run, ResultsStore& store, std::FILE* out,
           ExploreSummary& summary)
      : o_(o),
        out_(out),
        store_(store),
        variant_(run.variant),
        workload_(run.workload),
        points_(run.points),
        trace_bytes_(std::move(run.trace_bytes)),
        start_(run.start),
        summary_(summary) {}

  Status Run(const std::string& workdir);

 private:
  Status Offer(Candidate candidate, uint64_t digest, const StateEnumerator::Builder& build);
  Status Drain(bool wait);
  Status Judge(StateEntry& entry, const Candidate& candidate);
  // Records the judged states waiting in pending_, in one transaction.
  Status Flush();
  bool Stopping() const {
    return InterruptSignal() != 0 ||
           (o_.stop_at_first_violation && summary_.stopping_violations > 0);
  }

  const ExploreOptions& o_;
  std::FILE* out_;
  ResultsStore& store_;
  const VariantSpec& variant_;
  const Workload& workload_;
  CrashPoints& points_;
  std::string trace_bytes_;
  CaseClock::time_point start_;
  ExploreSummary& summary_;
  std::unique_ptr<VerifierPool> pool_;
  // What the controller knew at each crash point where that changed
  // (AckedBefore); candidates refer to them by index.
  std::vector<SentAndAcked> contexts_;
  std::unordered_map<uint64_t, StateEntry> states_;  // by FastDigest
  std::unordered_map<int64_t, uint64_t> by_id_;
  int64_t recorded_ = 0;
  std::vector<CaseRecord> pending_;
  int64_t trace_id_ = 0;      // the trace's id in the store, once a failure needs it
  std::vector<IoCost> cost_;  // the run's I/O before each crash point
};

Status Explorer::Run(const std::string& workdir) {
  VerifierOptions vo;
  vo.variant = &variant_;
  vo.jobs = o_.jobs;
  vo.workdir = workdir;
  vo.deadline = o_.deadline;
  pool_ = std::make_unique<VerifierPool>(vo);
  cost_ = points_.Cost();
  points_.Start([this](Candidate c, uint64_t digest, const StateEnumerator::Builder& build) {
    return Offer(std::move(c), digest, build);
  });
  contexts_.push_back(points_.Known(0));
  for (uint64_t c = 0; c <= points_.last() && !Stopping(); ++c) {
    // The acknowledged prefix changes only with a reply.
    if (c > 0 && points_.AfterReply(c)) contexts_.push_back(points_.Known(c));
    const bool mine =
        static_cast<int64_t>(c % static_cast<uint64_t>(o_.shard_count)) == o_.shard_index;
    if (mine) ++summary_.crash_points;
    if (Status s = points_.Visit(c, mine, static_cast<int>(contexts_.size()) - 1); !s.ok()) {
      return s;
    }
    if (Status s = Drain(false); !s.ok()) return s;
  }
  while (pool_->Busy() && InterruptSignal() == 0) {
    if (Status s = Drain(true); !s.ok()) return s;
  }
  if (Status s = Drain(false); !s.ok()) return s;
  if (Status s = Flush(); !s.ok()) return s;
  summary_.engines_started = pool_->engines_started();
  pool_.reset();
  return Status::Ok();
}

Status Explorer::Offer(Candidate candidate, uint64_t digest,
                       const StateEnumerator::Builder& build) {
  ++summary_.candidates;
  auto [it, fresh] = states_.try_emplace(digest);
  StateEntry& entry = it->second;
  if (fresh) {
    Result<faults::DirTree> tree = build();
    if (!tree.ok()) return tree.status();
    entry.id = summary_.distinct++;
    entry.digest = faults::DigestText(digest);
    entry.waiting.push_back(std::move(candidate));
    by_id_[entry.id] = digest;
    return pool_->Submit(VerifyJob{entry.id, std::move(*tree)});
  }
  if (!entry.verified) {
    entry.waiting.push_back(std::move(candidate));
    return Status::Ok();
  }
  return Judge(entry, candidate);
}

Status Explorer::Drain(bool wait) {
  if (std::optional<Status> error = pool_->error()) return *error;
  for (VerifyOutcome& outcome : pool_->Collect(wait)) {
    // Once crashlab is interrupted its signal handler kills the engines: an
    // outcome collected from then on may be that kill's, never a verdict.
    if (InterruptSignal() != 0) return Status::Ok();
    StateEntry& entry = states_[by_id_[outcome.id]];
    entry.verified = true;
    ++summary_.verified;
    entry.recovered = std::move(outcome.recovered);
    entry.check_error = std::move(outcome.check_error);
    entry.dump_error = std::move(outcome.dump_error);
    entry.fault = std::move(outcome.fault);
    entry.recovery_ms = outcome.recovery_ms;
    entry.engine_stderr = std::move(outcome.engine_stderr);
    std::vector<Candidate> waiting;
    waiting.swap(entry.waiting);
    for (const Candidate& candidate : waiting) {
      if (Status s = Judge(entry, candidate); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

Status Explorer::Judge(StateEntry& entry, const Candidate& candidate) {
  const std::pair<CrashKind, int> key{candidate.crash, candidate.context};
  for (const auto& done : entry.judged) {
    if (done == key) return Status::Ok();
  }
  const bool first = entry.judged.empty();
  entry.judged.push_back(key);
  ++summary_.judged;
  const SentAndAcked& context = contexts_[static_cast<std::size_t>(candidate.context)];
  OracleInput input;
  input.sent = context.sent;
  input.acked = context.acked;
  input.recovered = entry.recovered
                        ? *entry.recovered
                        : StateAfter(contexts_[static_cast<std::size_t>(entry.prefix_context)].sent,
                                     static_cast<std::size_t>(entry.prefix));
  input.check_error = entry.check_error;
  input.dump_error = entry.dump_error;
  input.fault = entry.fault;
  const Judgement j = crashlab::Judge(input);
  const Contract contract = variant_.ContractFor(candidate.crash);
  const bool violation = Violates(j.verdict, contract);
  ++summary_.verdicts[candidate.crash][j.verdict];
  if (first && !input.fault && !input.check_error && !input.dump_error && j.matched_prefix >= 0) {
    entry.prefix = j.matched_prefix;
    entry.prefix_context = candidate.context;
    entry.recovered.reset();
  }
  // Every state is recorded once, and every violation.
  if (!first && !violation) return Status::Ok();
  JudgedCase judged;
  judged.engine = o_.engine.name;
  judged.variant = variant_.name;
  judged.seed = o_.seed;
  judged.case_index = recorded_++;
  judged.crash = candidate.crash;
  judged.crash_plan = PlanText(candidate, o_, points_.size());
  judged.contract = contract;
  judged.judgement = j;
  judged.sent = context.sent.size();
  judged.acked = context.acked;
  judged.recovery_ms = entry.recovery_ms;
  judged.crash_state = entry.digest;
  judged.syncs = cost_[candidate.event].syncs;
  judged.bytes_written = cost_[candidate.event].bytes_written;
  if (violation) {
    // Every failure links the run's trace, stored once.
    if (trace_id_ == 0) {
      Result<int64_t> id = store_.StoreTrace(summary_.campaign_id, trace_bytes_);
      if (!id.ok()) return id.status();
      trace_id_ = *id;
    }
    judged.trace_id = trace_id_;
    judged.engine_stderr = entry.engine_stderr;
  }
  CaseRecord record = BuildCaseRecord(std::move(judged));
  record.campaign_id = summary_.campaign_id;
  if (violation) {
    ++summary_.violations;
    if (!o_.stop_signature || *o_.stop_signature == SignatureOf(record)) {
      ++summary_.stopping_violations;
    }
    if (summary_.first_violation_seconds < 0)
      summary_.first_violation_seconds = MsSince(start_) / 1000;
    fmt::print(out_, "VIOLATION {}/{} state {}: {} ({} contract, {}) - {}\n  repro: {}\n",
               o_.engine.name, variant_.name, record.case_index, Name(record.verdict),
               Name(record.contract), record.crash_plan, record.details,
               ExploreReproCommand(o_, record));
    std::fflush(out_);
  }
  pending_.push_back(std::move(record));
  return pending_.size() >= kRecordBatch ? Flush() : Status::Ok();
}

Status Explorer::Flush() {
  if (pending_.empty()) return Status::Ok();
  Status s = store_.RecordCases(pending_);
  pending_.clear();
  return s;
}

}  // namespace

std::string ExploreReproCommand(const ExploreOptions& o, const CaseRecord& c) {
  return fmt::format(
      "crashlab repro --engine {} --variant {} --seed {} --db {} --campaign {} --case {} "
      "--crash {}",
      ShellWord(o.engine_arg), ShellWord(c.variant), c.seed, ShellWord(o.db_path), c.campaign_id,
      c.case_index, Name(c.crash_kind));
}

Result<ExploreSummary> RunExplore(const ExploreOptions& o, std::FILE* out) {
  const auto start = CaseClock::now();
  const VariantSpec* variant = o.engine.Find(o.variant);
  if (variant == nullptr) return Status::Error("unknown variant " + o.variant);
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(o.db_path);
  if (!store.ok()) return store.status();
  Result<std::string> workdir = ExploreWorkdir(o.workdir);
  if (!workdir.ok()) return workdir.status();
  // The directory (under /dev/shm: memory) goes on every way out: a failure's
  // state is rebuilt from the trace the results store keeps with it.
  struct RemoveOnExit {
    std::string dir;
    ~RemoveOnExit() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{*workdir};

  ExploreSummary summary;
  const Workload workload =
      o.given_workload ? *o.given_workload
                       : GenerateWorkload(o.seed, static_cast<uint64_t>(o.workload), o.txns);
  Result<RecordedRun> recorded = RecordForExplore(o, *variant, workload, *workdir);
  if (!recorded.ok()) return recorded.status();
  summary.trace_events = recorded->points->size();
  summary.trace_seconds = MsSince(start) / 1000;

  const CampaignFacts facts{
      .command_line = o.command_line,
      .engine = o.engine.name,
      .variants = {o.variant},
      .crashes = o.crashes,
      .seed = o.seed,
      .cases_per_variant = 1,
      .shard_index = o.shard_index,
      .shard_count = o.shard_count,
      .workload = o.given_workload ? &*o.given_workload : nullptr,
      .recorder_asked = o.recorder.kind,
      .recorders = RecordersFor(o.recorder.kind, o.engine, {o.variant}),
  };
  Result<int64_t> campaign = (*store)->BeginCampaign(CampaignInfoFor(facts));
  if (!campaign.ok()) return campaign.status();
  summary.campaign_id = *campaign;
  const std::string states =
      o.profile == faults::Profile::kPosix
          ? fmt::format(
                "every subset of up to {} pending changes, {} samples beyond, tears of "
                "up to {} pending writes and {} samples",
                o.subset_limit, o.samples, o.tear_writes, o.tear_samples)
          : fmt::format("{} seeded {} states at each point", std::max(o.samples, 1),
                        faults::ProfileName(o.profile));
  fmt::print(out,
             "explore {}: {}/{} seed {} workload {} ({} transactions): {} {} in {:.1f} s; crash "
             "{}, {}, {} verifier(s)\n",
             summary.campaign_id, o.engine.name, o.variant, o.seed,
             o.given_workload ? "given" : std::to_string(o.workload), workload.txns.size(),
             summary.trace_events,
             o.recorder.kind == RecorderKind::kBlock ? "block log records" : "events traced",
             summary.trace_seconds, CrashKindsName(o.crashes), states, o.jobs);
  fmt::print(out, "{}", RecorderLines(facts));
  std::fflush(out);

  const auto explore_start = CaseClock::now();
  Explorer explorer(o,
                    {.variant = *variant,
                     .workload = workload,
                     .points = *recorded->points,
                     .trace_bytes = std::move(recorded->bytes),
                     .start = start},
                    **store, out, summary);
  Status status = explorer.Run(*workdir);
  summary.explore_seconds = MsSince(explore_start) / 1000;
  // Whatever failed after an interruption failed because of it.
  if (InterruptSignal() != 0) {
    status =
        Status::Error(fmt::format("interrupted by signal {}; the {} states judged so far are in {}",
                                  InterruptSignal(), summary.verified, o.db_path));
  }
  if (!status.ok()) {
    (void)(*store)->FinishCampaign(summary.campaign_id, "interrupted");
    return status;
  }
  if (Status s = (*store)->FinishCampaign(summary.campaign_id, "finished"); !s.ok()) return s;
  return summary;
}

}  // namespace crashlab
