#include "framework/campaign/repro.h"

#include <filesystem>

#include <fmt/format.h>

#include "faults/crash_state.h"
#include "faults/trace_file.h"
#include "framework/case/block_case.h"
#include "framework/case/case_steps.h"
#include "framework/case/crash_files.h"
#include "framework/case/kill_case.h"
#include "framework/case/traced_case.h"
#include "framework/plan/crash_plan.h"

namespace crashlab {

namespace fs = std::filesystem;

Result<std::optional<Workload>> StoredWorkload(const std::string& text, const std::string& db) {
  if (text.empty()) return std::optional<Workload>();
  Result<Workload> w = ParseWorkloadText(text, "the workload stored in " + db);
  if (!w.ok()) return w.status();
  return std::optional<Workload>(std::move(*w));
}

Result<RecordedCase> FindRecordedCase(const ReproLookup& lookup) {
  RecordedCase found;
  if (lookup.failure != nullptr) {
    found.c = lookup.failure->c;
    return found;
  }
  std::error_code ec;
  if (!fs::exists(lookup.db, ec)) return found;
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(lookup.db, ExistingStore());
  if (!store.ok()) {
    found.unreadable = store.status().message();
    return found;
  }
  if (lookup.campaign != 0) {
    Result<std::vector<CaseRecord>> cases = (*store)->CasesOfCampaign(lookup.campaign);
    if (!cases.ok()) {
      found.unreadable = cases.status().message();
      return found;
    }
    for (CaseRecord& c : *cases) {
      if (c.case_index == lookup.case_index && c.crash_kind == lookup.crash) found.c = std::move(c);
    }
  } else {
    auto recorded = (*store)->FindCase(lookup.engine, lookup.variant, lookup.seed,
                                       lookup.case_index, lookup.crash);
    if (!recorded.ok()) {
      found.unreadable = recorded.status().message();
      return found;
    }
    found.c = std::move(*recorded);
  }
  if (!found.c || !found.c->failure) return found;
  // The failure with its trace or files, and its campaign's stored workload.
  Result<std::optional<StoredFailure>> f = (*store)->FindFailure(found.c->failure->id);
  if (!f.ok() || !f->has_value()) {
    found.unreadable = f.ok() ? "the failure vanished" : f.status().message();
    return found;
  }
  Result<std::optional<Workload>> workload = StoredWorkload((*f)->campaign_workload, lookup.db);
  if (!workload.ok()) return workload.status();
  found.workload = std::move(*workload);
  found.c = std::move((*f)->c);
  return found;
}

Result<ReproChoice> ChooseReproSource(const std::optional<CaseRecord>& recorded, bool rerun,
                                      const std::string& db, int64_t case_index) {
  const FailureRecord* failure = recorded && recorded->failure ? &*recorded->failure : nullptr;
  if (!rerun && failure != nullptr && !failure->damaged.empty()) {
    return Status::Error(failure->damaged + "; repro --rerun runs the workload again");
  }
  ReproChoice choice;
  if (!rerun && failure != nullptr && !failure->trace.empty()) {
    choice.source = ReproSource::kStoredTrace;
  } else if (!rerun && failure != nullptr && recorded->crash_kind == CrashKind::kKill &&
             !failure->crash_files.empty()) {
    // A real kill's failure keeps the files the kill left (when they were
    // small enough): recovering those is exact where a rerun is not.
    Result<faults::DirTree> tree = UnpackDirTree(
        failure->crash_files, fmt::format("the crash files of failure {} in {}", failure->id, db));
    if (!tree.ok()) return tree.status();
    choice.source = ReproSource::kStoredFiles;
    choice.stored_state = std::move(*tree);
  }
  if (recorded && recorded->crash_plan.rfind("explore ", 0) == 0 &&
      choice.source != ReproSource::kStoredTrace) {
    return Status::Error(fmt::format(
        "case {} of campaign {} is a state `crashlab explore` built from its trace, and {} keeps "
        "no trace for it (only the first failures keep one): rerun the explore command",
        case_index, recorded->campaign_id, db));
  }
  return choice;
}

Result<CaseOutcome> RunRepro(const ReproCase& c, const ReproChoice& choice) {
  const CampaignOptions& o = *c.options;
  const std::string& engine = o.engine.name;
  const std::string& variant = c.variant->name;
  switch (choice.source) {
    case ReproSource::kRerun:
      return RunOneCase(o, *c.variant, c.points, c.case_index, c.case_dir);
    case ReproSource::kStoredFiles: {
      KillCaseSpec spec;
      spec.variant = c.variant;
      spec.seed = o.seed;
      spec.case_index = static_cast<uint64_t>(c.case_index);
      spec.txns = o.txns;
      spec.case_dir = c.case_dir;
      spec.deadline = o.deadline;
      spec.point = o.point;
      spec.engine_points = c.points;
      Result<KillCaseResult> r = ReplayKillCase(spec, *choice.stored_state,
                                                static_cast<std::size_t>(c.recorded->txns_sent),
                                                static_cast<std::size_t>(c.recorded->txns_acked));
      if (!r.ok()) return r.status();
      return CaseOutcome{ToCaseRecord(*r, engine, variant, o.seed, c.case_index),
                         r->judgement.verdict};
    }
    case ReproSource::kStoredTrace: {
      TracedCaseSpec spec = TracedSpecFor(o, *c.variant, c.case_index, c.case_dir);
      spec.workload = c.workload;
      Result<TracedCaseResult> r =
          ReplayTracedCase(spec, c.recorded->failure->trace, c.recorded->crash_plan);
      if (!r.ok()) return r.status();
      return CaseOutcome{ToCaseRecord(*r, engine, variant, o.seed, c.case_index),
                         r->judgement.verdict};
    }
  }
  return Status::Error("repro: unknown source");
}

Result<faults::DirTree> TracedCrashState(const std::string& trace_bytes,
                                         const std::string& plan_text, CrashKind crash,
                                         const std::string& scratch_dir) {
  Result<TracedPlan> plan = ParseTracedPlan(plan_text, crash);
  if (!plan.ok()) return plan.status();
  if (plan->block_fs) return BlockCrashState(trace_bytes, *plan, scratch_dir);
  Result<faults::Trace> trace = faults::ParseTrace(trace_bytes, "the case's trace");
  if (!trace.ok()) return trace.status();
  return crash == CrashKind::kKill ? faults::ModelKill(*trace, plan->plan.event, {})
                                   : faults::ModelPowerLoss(*trace, plan->plan, {}, nullptr);
}

Result<std::optional<faults::DirTree>> StateToKeep(std::optional<faults::DirTree> stored,
                                                   std::string trace, const std::string& case_dir,
                                                   const CaseRecord& r, CrashKind crash) {
  if (stored) return stored;
  if (trace.empty()) {
    std::error_code ec;
    const std::string live = case_dir + "/live/trace.bin", block = case_dir + "/block.log";
    Result<std::string> bytes = ReadWholeFile(fs::exists(live, ec)    ? live
                                              : fs::exists(block, ec) ? block
                                                                      : case_dir + "/trace.bin");
    if (bytes.ok()) trace = std::move(*bytes);
  }
  if (trace.empty() && !(r.failure && !r.failure->crash_files.empty())) {
    return std::optional<faults::DirTree>();
  }
  Result<faults::DirTree> tree =
      !trace.empty() ? TracedCrashState(trace, r.crash_plan, crash, case_dir)
                     : UnpackDirTree(r.failure->crash_files, "the crash files of this rerun");
  if (!tree.ok()) return tree.status();
  return std::optional<faults::DirTree>(std::move(*tree));
}

std::string ModelVersionNote(const std::string& crash_plan) {
  if (crash_plan.rfind("kill txn=", 0) == 0 || crash_plan.rfind("kill point=", 0) == 0) return "";
  Result<int> version = ModelVersionOf(crash_plan);
  // A malformed plan is reported where it is parsed.
  if (!version.ok() || *version == kModelVersion) return "";
  return fmt::format(
      "recorded under persistence model version {}, and this crashlab builds crash states under "
      "version {}: a state rebuilt from its trace follows today's rules, so it may differ from "
      "the one recorded; `crashlab repro --rerun` reruns the workload",
      *version, kModelVersion);
}

}  // namespace crashlab
