#include "framework/explore/shrink.h"

#include <algorithm>
#include <bit>
#include <filesystem>
#include <memory>
#include <optional>
#include <tuple>

#include <fmt/format.h>

#include "framework/campaign/campaign.h"
#include "framework/campaign/campaign_info.h"
#include "framework/case/case_steps.h"
#include "framework/case/traced_case.h"
#include "framework/engine/interrupt.h"
#include "framework/explore/explore.h"

namespace crashlab {
namespace {

namespace fs = std::filesystem;

Workload Without(const Workload& w, std::size_t from, std::size_t count) {
  Workload out;
  for (std::size_t t = 0; t < w.txns.size(); ++t) {
    if (t < from || t >= from + count) out.txns.push_back(w.txns[t]);
  }
  return out;
}

Workload Prefix(const Workload& w, std::size_t count) {
  Workload out;
  out.txns.assign(w.txns.begin(), w.txns.begin() + static_cast<std::ptrdiff_t>(count));
  return out;
}

// The shortest form of a put's value that still says which transaction and
// operation wrote it: the generator's "t3.o1:" marker, else one byte.
std::string ShortValue(const std::string& value) {
  const std::size_t colon = value.find(':');
  if (value.rfind('t', 0) == 0 && colon != std::string::npos && colon < 16) {
    return value.substr(0, colon + 1);
  }
  return value.empty() ? value : value.substr(0, 1);
}

// The wider bounds of exploration that shrink falls back to when the
// defaults (explore.h) do not find the failure in its own workload.
constexpr int kWideSubsets = 10;
constexpr int kWideSamples = 256;
constexpr int kWideTearWrites = 64;
constexpr int kWideTearSamples = 64;

// Orders violating states: the earliest crash point, then the fewest
// surviving pending changes, then the fewest torn units.
std::tuple<uint64_t, int, std::size_t, int64_t> StateOrder(const CaseRecord& c) {
  Result<TracedPlan> plan = ParseTracedPlan(c.crash_plan, c.crash_kind);
  if (!plan.ok()) return {UINT64_MAX, 0, 0, c.case_index};
  int kept = 0;
  std::size_t torn = 0;
  if (const std::optional<faults::PowerLossChoices>& choices = plan->plan.choices) {
    kept = std::popcount(choices->keep);
    torn = static_cast<std::size_t>(std::count_if(choices->tear.begin(), choices->tear.end(),
                                                  [](char unit) { return unit != 'N'; }));
  }
  return {plan->plan.event, kept, torn, c.case_index};
}

class Shrinker {
 public:
  Shrinker(const ShrinkOptions& o, std::FILE* out, std::string trial_db)
      : o_(o), out_(out), trial_db_(std::move(trial_db)), start_(CaseClock::now()) {}
  ~Shrinker() {
    if (devnull_ != nullptr) std::fclose(devnull_);
  }

  Result<ShrinkResult> Run();

 private:
  double Elapsed() const { return MsSince(start_) / 1000; }
  bool Spent() const { return Elapsed() >= o_.budget_seconds; }
  ExploreOptions Trial(const Workload& w, bool first) const;
  // Why exploring the failure's own workload did not find its verdict,
  // with the default bounds (`narrow`) and the wider ones (last_).
  std::string NotFound(const ExploreSummary& narrow) const;
  // Explores `w`: does a violation of the failure's class show?
  Result<bool> Fails(const Workload& w);
  // Tries `candidate`; on a failure it becomes the current workload.
  Result<bool> Try(Workload candidate, const char* what);
  Status ShortestPrefix();
  Status RemoveTransactions(bool& changed);
  Status RemoveOperations(bool& changed);
  Status RemoveCheckpoints(bool& changed);
  Status ShortenValues();
  Result<CaseRecord> ChooseState();
  Result<ShrinkResult> Record(CaseRecord chosen);

  const ShrinkOptions& o_;
  std::FILE* out_;
  std::string trial_db_;
  CaseClock::time_point start_;
  std::FILE* devnull_ = nullptr;
  Workload w_;
  int trials_ = 0;
  std::string last_error_;  // why the last exploration could not run, if it could not
  ExploreSummary last_;     // the last exploration that ran
  // Exploration with wider bounds than its defaults: set when only they
  // find the failure's verdict in its own workload.
  bool wide_ = false;
};

ExploreOptions Shrinker::Trial(const Workload& w, bool first) const {
  ExploreOptions e;
  e.engine = o_.engine;
  e.engine_arg = o_.engine.name;
  e.variant = o_.variant;
  e.seed = o_.seed;
  e.given_workload = w;
  e.crashes = {o_.crash};
  e.atomic_unit = o_.atomic_unit;
  e.jobs = o_.jobs;
  e.db_path = trial_db_;
  e.recorder = o_.recorder;
  e.command_line = fmt::format("crashlab shrink {} (trial)", o_.failure_id);
  e.deadline = o_.deadline;
  e.stop_at_first_violation = first;
  e.stop_signature = o_.signature;
  if (wide_) {
    e.subset_limit = kWideSubsets;
    e.samples = kWideSamples;
    e.tear_writes = kWideTearWrites;
    e.tear_samples = kWideTearSamples;
  }
  return e;
}

std::string Shrinker::NotFound(const ExploreSummary& narrow) const {
  std::string text = fmt::format(
      "exploring the failure's own workload ({} transactions, {} events traced) finds no {} "
      "under {}: it judged {} distinct crash states with exploration's bounds and {} with wider "
      "ones (every subset of up to {} pending changes at each sync and at the end, {} seeded "
      "subsets beyond, each of up to {} pending writes torn at its first and last unit, {} "
      "seeded tears, the write in flight torn three ways). ",
      w_.txns.size(), last_.trace_events, Name(o_.verdict), Name(o_.crash), narrow.distinct,
      last_.distinct, kWideSubsets, kWideSamples, kWideTearWrites, kWideTearSamples);
  const Result<TracedPlan> plan = ParseTracedPlan(o_.crash_plan, o_.crash);
  const bool parsed = plan.ok();
  if (parsed && plan->explore) {
    text +=
        "The failure was found by exploration, so the new traces differ from its own: the "
        "engine's threads or timers move its events between runs.";
  } else if (o_.crash == CrashKind::kKill) {
    text += fmt::format(
        "Exploration builds the kill state of every crash point of its trace, so the engine "
        "behaves differently between runs (threads, timers) or the failure ({}) needs a kill "
        "between two traced events.",
        o_.crash_plan);
  } else if (parsed && plan->plan.profile == faults::Profile::kExt4Ordered) {
    text += fmt::format(
        "The failure's state was drawn by seed under ext4-ordered ({}): every such state is a "
        "posix state, but this one lies beyond exploration's bounds (more pending changes lost "
        "in one pattern than it enumerates, or several writes torn at once).",
        o_.crash_plan);
  } else {
    text += fmt::format(
        "The failure's state was drawn by seed under posix ({}): it lies beyond exploration's "
        "bounds (more pending changes lost in one pattern than it enumerates, several writes "
        "torn at once, or a tear inside a write's middle that no sample drew), or the engine "
        "behaves differently between runs.",
        o_.crash_plan);
  }
  return text +
         fmt::format(" `crashlab repro {} --rerun` shows whether it still happens.", o_.failure_id);
}

Result<bool> Shrinker::Fails(const Workload& w) {
  ++trials_;
  Result<ExploreSummary> s = RunExplore(Trial(w, true), devnull_);
  if (InterruptSignal() != 0) return Status::Error("interrupted; nothing was recorded");
  // A workload the engine cannot even run (it fails before any crash) is
  // another failure, not a smaller form of this one.
  if (!s.ok()) {
    last_error_ = s.status().message();
    return false;
  }
  last_ = *s;
  return s->stopping_violations > 0;
}

Result<bool> Shrinker::Try(Workload candidate, const char* what) {
  if (candidate.txns.empty() || Spent()) return false;
  Result<bool> fails = Fails(candidate);
  if (!fails.ok() || !*fails) return fails;
  w_ = std::move(candidate);
  fmt::print(out_, "  {:>3} transactions, {:>4} operations  ({}; trial {}, {:.1f} s)\n",
             w_.txns.size(), OpCount(w_), what, trials_, Elapsed());
  std::fflush(out_);
  return true;
}

Status Shrinker::ShortestPrefix() {
  // Short prefixes explore fastest, and the transactions before a crash
  // point are usually what a failure needs: try the shortest first.
  for (std::size_t k = 1; k < w_.txns.size(); k = k < 4 ? k + 1 : k * 3 / 2) {
    Result<bool> ok = Try(Prefix(w_, k), "a prefix");
    if (!ok.ok()) return ok.status();
    if (*ok) return Status::Ok();
  }
  return Status::Ok();
}

Status Shrinker::RemoveTransactions(bool& changed) {
  for (std::size_t chunk = std::max<std::size_t>(w_.txns.size() / 2, 1);; chunk /= 2) {
    for (std::size_t from = 0; from < w_.txns.size() && w_.txns.size() > 1;) {
      Result<bool> ok = Try(Without(w_, from, chunk),
                            chunk == 1 ? "one transaction less" : "a run of transactions less");
      if (!ok.ok()) return ok.status();
      if (*ok) {
        changed = true;
      } else {
        from += chunk;
      }
    }
    if (chunk == 1) return Status::Ok();
  }
}

Status Shrinker::RemoveOperations(bool& changed) {
  for (std::size_t t = 0; t < w_.txns.size(); ++t) {
    for (std::size_t op = w_.txns[t].ops.size(); op-- > 0 && w_.txns[t].ops.size() > 1;) {
      Workload candidate = w_;
      candidate.txns[t].ops.erase(candidate.txns[t].ops.begin() + static_cast<std::ptrdiff_t>(op));
      Result<bool> ok = Try(std::move(candidate), "one operation less");
      if (!ok.ok()) return ok.status();
      changed |= *ok;
    }
  }
  return Status::Ok();
}

Status Shrinker::RemoveCheckpoints(bool& changed) {
  for (std::size_t t = 0; t < w_.txns.size(); ++t) {
    if (!w_.txns[t].checkpoint_before) continue;
    Workload candidate = w_;
    candidate.txns[t].checkpoint_before = false;
    Result<bool> ok = Try(std::move(candidate), "one checkpoint less");
    if (!ok.ok()) return ok.status();
    changed |= *ok;
  }
  return Status::Ok();
}

Status Shrinker::ShortenValues() {
  // Every value at once, else transaction by transaction.
  auto shortened = [&](std::optional<std::size_t> only) {
    Workload candidate = w_;
    bool any = false;
    for (std::size_t t = 0; t < candidate.txns.size(); ++t) {
      if (only && *only != t) continue;
      for (protocol::Op& op : candidate.txns[t].ops) {
        if (!op.is_put || ShortValue(op.value) == op.value) continue;
        op.value = ShortValue(op.value);
        any = true;
      }
    }
    return any ? candidate : Workload{};
  };
  Result<bool> all = Try(shortened(std::nullopt), "shorter values");
  if (!all.ok() || *all) return all.status();
  for (std::size_t t = 0; t < w_.txns.size(); ++t) {
    Result<bool> one = Try(shortened(t), "shorter values");
    if (!one.ok()) return one.status();
  }
  return Status::Ok();
}

Result<CaseRecord> Shrinker::ChooseState() {
  // Every crash state of the minimal workload: the simplest violating one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    ++trials_;
    Result<ExploreSummary> s = RunExplore(Trial(w_, false), devnull_);
    if (InterruptSignal() != 0) return Status::Error("interrupted; nothing was recorded");
    if (!s.ok()) return s.status();
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(trial_db_);
    if (!store.ok()) return store.status();
    Result<std::vector<CaseRecord>> cases = (*store)->CasesOfCampaign(s->campaign_id);
    if (!cases.ok()) return cases.status();
    std::optional<CaseRecord> best;
    for (CaseRecord& c : *cases) {
      if (!c.violation || SignatureOf(c) != o_.signature || c.crash_kind != o_.crash) {
        continue;
      }
      if (!best || StateOrder(c) < StateOrder(*best)) best = std::move(c);
    }
    if (best) {
      if (Status loaded = (*store)->LoadArtifacts(*best->failure); !loaded.ok()) return loaded;
      return std::move(*best);
    }
  }
  return Status::Error(fmt::format(
      "the minimal workload failed as {} in its trials but not when explored in full, twice: "
      "the engine's threads move its events between runs; run `crashlab shrink` again",
      Name(o_.verdict)));
}

Result<ShrinkResult> Shrinker::Record(CaseRecord chosen) {
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(o_.db_path);
  if (!store.ok()) return store.status();
  Result<int64_t> campaign = (*store)->BeginCampaign(CampaignInfoFor({
      .command_line = o_.command_line,
      .engine = o_.engine.name,
      .variants = {o_.variant},
      .crashes = {o_.crash},
      .seed = o_.seed,
      .cases_per_variant = 1,
      .workload = &w_,
      .recorder_asked = o_.recorder.kind,
      .recorders = RecordersFor(o_.recorder.kind, o_.engine, {o_.variant}),
  }));
  if (!campaign.ok()) return campaign.status();
  chosen.campaign_id = *campaign;
  chosen.case_index = 0;
  chosen.failure->trace_id = 0;  // the trial database's; the trace itself goes along
  chosen.failure->shrunk_from = o_.failure_id;
  if (Status s = (*store)->RecordCase(chosen); !s.ok()) return s;
  if (Status s = (*store)->FinishCampaign(*campaign, "finished"); !s.ok()) return s;
  Result<std::vector<int64_t>> shrunk = (*store)->ShrunkFrom(o_.failure_id);
  if (!shrunk.ok()) return shrunk.status();
  ShrinkResult r;
  r.failure_id = shrunk->back();
  r.campaign_id = *campaign;
  r.workload = w_;
  r.c = std::move(chosen);
  r.trials = trials_;
  return r;
}

Result<ShrinkResult> Shrinker::Run() {
  devnull_ = std::fopen("/dev/null", "w");
  if (devnull_ == nullptr) return Status::Error("cannot open /dev/null");
  w_ = o_.workload;
  Result<bool> fails = Fails(w_);
  if (!fails.ok()) return fails.status();
  if (!*fails && !last_error_.empty()) {
    return Status::Error("exploring the failure's own workload could not run: " + last_error_);
  }
  if (!*fails) {
    // Seeded campaigns draw states beyond exploration's default bounds:
    // wider ones cost more per trial but may still find the failure.
    const ExploreSummary narrow = last_;
    wide_ = true;
    fails = Fails(w_);
    if (!fails.ok()) return fails.status();
    if (!*fails && !last_error_.empty()) {
      return Status::Error("exploring the failure's own workload could not run: " + last_error_);
    }
    if (!*fails) return Status::Error(NotFound(narrow));
  }
  fmt::print(out_, "  {:>3} transactions, {:>4} operations  (the failure's workload; {:.1f} s{})\n",
             w_.txns.size(), OpCount(w_), Elapsed(),
             wide_ ? "; found only with exploration's wider bounds, which every trial uses" : "");
  if (Status s = ShortestPrefix(); !s.ok()) return s;
  for (bool changed = true; changed && !Spent();) {
    changed = false;
    for (auto pass : {&Shrinker::RemoveTransactions, &Shrinker::RemoveOperations,
                      &Shrinker::RemoveCheckpoints}) {
      if (Status s = (this->*pass)(changed); !s.ok()) return s;
    }
  }
  if (Status s = ShortenValues(); !s.ok()) return s;
  const bool spent = Spent();
  Result<CaseRecord> chosen = ChooseState();
  if (!chosen.ok()) return chosen.status();
  Result<ShrinkResult> r = Record(std::move(*chosen));
  if (!r.ok()) return r.status();
  r->original_txns = o_.workload.txns.size();
  r->original_ops = OpCount(o_.workload);
  r->seconds = Elapsed();
  r->budget_spent = spent;
  return r;
}

}  // namespace

std::size_t OpCount(const Workload& workload) {
  std::size_t n = 0;
  for (const Txn& t : workload.txns) n += t.ops.size();
  return n;
}

Result<ShrinkResult> RunShrink(const ShrinkOptions& o, std::FILE* out) {
  // The trials' results go to a database of their own, in memory, removed
  // on every way out: only the shrunk case reaches the user's database.
  Result<std::string> dir = MemoryWorkdir("shrink");
  if (!dir.ok()) return dir.status();
  struct RemoveOnExit {
    std::string dir;
    ~RemoveOnExit() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{*dir};
  Shrinker shrinker(o, out, *dir + "/trials.db");
  return shrinker.Run();
}

}  // namespace crashlab
