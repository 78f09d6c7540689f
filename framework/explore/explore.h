// Systematic exploration (`crashlab explore`): one traced run of a workload,
// then every crash point of its trace, each with the state a kill leaves and
// the states a power loss may leave — every subset of the pending changes
// when there are few, seeded subsets beyond, and tears of the write in
// flight and of the writes pending. Identical states are verified once; the rest are recovered by
// parallel verifier processes and judged against every crash point that can
// leave them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faults/persistence_model.h"
#include "framework/base/vocabulary.h"
#include "framework/engine/engine_process.h"
#include "framework/engine/recorder.h"
#include "framework/engine/variants_file.h"
#include "framework/plan/workload.h"
#include "framework/store/signature.h"

namespace crashlab {

struct ExploreOptions {
  EngineSpec engine;
  std::string engine_arg;  // --engine as typed, for repro lines
  std::string variant;
  uint64_t seed = 0;
  int64_t workload = 0;    // the workload's case index (`--case`), as in `run`
  std::size_t txns = 100;  // transactions in the workload; 0: drawn by the seed
  // A workload given as such (--workload-file, crashlab shrink) rather than
  // drawn from the seed; the campaign stores its text.
  std::optional<Workload> given_workload;
  std::vector<CrashKind> crashes = {CrashKind::kKill, CrashKind::kPowerLoss};
  // A power loss with at most this many pending changes is explored through
  // every subset of them; with more, through `samples` seeded subsets.
  int subset_limit = 6;
  int samples = 32;
  // There too, with everything kept, each pending write (at most this many
  // of them, a seeded choice beyond) torn at its first unit and at its last,
  // and this many seeded tears of one pending write.
  int tear_writes = 16;
  int tear_samples = 8;
  uint32_t atomic_unit = 512;
  // posix: the subsets and tears above. ext4-ordered, whose states the model
  // draws from a seed and cannot be chosen: `samples` seeded states at each
  // point where the most changes are pending.
  faults::Profile profile = faults::Profile::kPosix;
  int jobs = 1;  // verifier processes
  std::string db_path = "crashlab.db";
  std::string workdir;  // default: a new directory under /dev/shm (else TMPDIR)
  Recorder recorder;    // how traced runs record (engine/recorder.h)
  std::string command_line;
  Millis deadline{10000};
  int64_t shard_index = 0, shard_count = 1;  // crash points c with c % count == index
  bool stop_at_first_violation = false;
  // With stop_at_first_violation: only a violation with this signature
  // stops (crashlab shrink looks for its failure's bug, signature.h).
  std::optional<Signature> stop_signature;
};

struct ExploreSummary {
  int64_t campaign_id = 0;
  uint64_t trace_events = 0;
  uint64_t crash_points = 0;  // explored by this shard
  int64_t candidates = 0;     // crash states built, duplicates included
  int64_t distinct = 0;       // distinct crash states (by content)
  int64_t verified = 0;       // of those, recovered and judged
  int64_t judged = 0;         // (state, crash kind, acknowledged prefix) combinations judged
  int64_t violations = 0;
  int64_t stopping_violations = 0;  // of those, with ExploreOptions::stop_signature (if set)
  int64_t engines_started = 0;
  std::map<CrashKind, std::map<Verdict, int64_t>> verdicts;  // per judged combination
  double trace_seconds = 0;                                  // the traced run
  double explore_seconds = 0;                                // enumerating, verifying and judging
  double first_violation_seconds = -1;  // from the start of the command; -1: none
};

struct CaseRecord;

// The `crashlab repro` line of a recorded state: it replays the state from
// the trace stored with the failure.
std::string ExploreReproCommand(const ExploreOptions& o, const CaseRecord& c);

[[nodiscard]] Result<ExploreSummary> RunExplore(const ExploreOptions& options, std::FILE* out);

}  // namespace crashlab
