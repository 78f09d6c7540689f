// Reproducing one recorded case (`crashlab repro`): finding it in the
// results store, choosing how to rebuild it, and running it.
//
// A traced failure whose trace is in the store is replayed from that trace,
// and a real kill's failure whose crash files are there is recovered from
// those files, so its crash state is rebuilt byte for byte whatever the
// engine's threads do; any other case, or any case with `rerun`, runs its
// workload again from the seed. A state rebuilt from a stored trace follows
// this build's persistence model: ModelVersionNote says when the failure was
// recorded under another.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faults/persistence_model.h"
#include "framework/base/status.h"
#include "framework/campaign/campaign.h"
#include "framework/engine/variants_file.h"
#include "framework/plan/workload.h"
#include "framework/store/results_store.h"

namespace crashlab {

// A campaign's stored workload (CampaignInfo::workload) as read from `db`:
// nothing when the campaign drew its workloads from the seed, an error when
// the stored text is damaged.
[[nodiscard]] Result<std::optional<Workload>> StoredWorkload(const std::string& text,
                                                             const std::string& db);

// Where to look for the recorded case: the failure given by id (already
// loaded), else the case with these coordinates in `db` (in `campaign`, or
// the most recent one when it is 0).
struct ReproLookup {
  std::string db;
  const StoredFailure* failure = nullptr;
  std::string engine, variant;
  CrashKind crash = CrashKind::kKill;
  uint64_t seed = 0;
  int64_t case_index = 0;
  int64_t campaign = 0;
};

struct RecordedCase {
  std::optional<CaseRecord> c;  // with its failure's trace or files, loaded
  // Found by coordinates: its campaign's stored workload, if it has one.
  std::optional<Workload> workload;
  // Why `db` could not be read, when it could not: repro goes on without the
  // recorded case (or, when only its failure could not be read, without its
  // artifacts). "" when it could.
  std::string unreadable;
};

// The recorded case. An absent `db` finds nothing. An error only for a
// campaign's stored workload that is damaged (a replay needs it).
[[nodiscard]] Result<RecordedCase> FindRecordedCase(const ReproLookup& lookup);

enum class ReproSource {
  kRerun,        // run the workload again from the seed
  kStoredTrace,  // rebuild the state from the failure's stored trace and plan
  kStoredFiles,  // recover the files a real kill's failure stored
};

struct ReproChoice {
  ReproSource source = ReproSource::kRerun;
  std::optional<faults::DirTree> stored_state;  // kStoredFiles: the files, unpacked
};

// How to reproduce `recorded` (nullopt: none was found) from `db`. Errors,
// each saying what to do: a damaged failure (unless `rerun`), crash files
// that do not unpack, a state of `crashlab explore` whose trace was not kept.
[[nodiscard]] Result<ReproChoice> ChooseReproSource(const std::optional<CaseRecord>& recorded,
                                                    bool rerun, const std::string& db,
                                                    int64_t case_index);

// The case to reproduce, as its campaign ran it.
struct ReproCase {
  const CampaignOptions* options = nullptr;  // engine, seed, txns, crash, live, point, ...
  const VariantSpec* variant = nullptr;
  std::vector<std::string> points;  // the engine's named points (ProbeEngine)
  int64_t case_index = 0;
  std::string case_dir;  // new
  // A replay's recorded case and its campaign's stored workload (or null).
  const CaseRecord* recorded = nullptr;
  const Workload* workload = nullptr;
};

// Runs the case from `choice`'s source and returns its record. Errors are
// setup failures (the directory, the program) or a stored trace, plan or
// state that cannot be replayed, never verdicts.
[[nodiscard]] Result<CaseOutcome> RunRepro(const ReproCase& c, const ReproChoice& choice);

// The crash state a traced case's trace (or block log) and plan rebuild; a
// block-level state is mounted in `scratch_dir`, an existing directory.
[[nodiscard]] Result<faults::DirTree> TracedCrashState(const std::string& trace_bytes,
                                                       const std::string& plan_text,
                                                       CrashKind crash,
                                                       const std::string& scratch_dir);

// The crash state as the crash left it (before any recovery touched it), for
// `repro --keep`: the `stored` files a replay recovered, the state a trace
// rebuilds (`trace`, else the one a traced rerun recorded in `case_dir`), or
// the files a real kill rerun kept for its violation `r`. nullopt when there
// is none: a real kill that held its contract or left more than
// kCrashFilesLimit bytes.
[[nodiscard]] Result<std::optional<faults::DirTree>> StateToKeep(
    std::optional<faults::DirTree> stored, std::string trace, const std::string& case_dir,
    const CaseRecord& r, CrashKind crash);

// One line, when the traced plan `crash_plan` was recorded under another
// persistence model version than this build's (plan/model_version.h): both
// versions, and that a state rebuilt from it follows today's rules. "" when
// the versions agree, and for a real kill's plan (its state is the files
// the kernel left, which no model rebuilds).
std::string ModelVersionNote(const std::string& crash_plan);

}  // namespace crashlab
