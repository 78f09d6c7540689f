// One traced case: the case's workload runs under libcrashlab_preload.so,
// which traces every file event, and the crash is judged from that trace.
//
//  - power loss (offline): a crash point c is drawn in the trace of a complete
//    run, and faults/crash_state.h builds the directory a power loss at c
//    would leave;
//  - live mode (--live): a first run's trace gives c, then a second run is
//    SIGKILLed for real by the library right after event c. The directory it
//    leaves must be what the model says a kill there leaves (a check of the
//    model against the kernel, covering thread timing); a live `kill` case
//    verifies that directory itself, a live `power-loss` case the power-loss
//    state derived from the killed run's trace.
//
// Then a fresh engine process recovers the state, dumps it and checks it.
#pragma once

#include <cstdint>
#include <string>

#include "faults/persistence_model.h"
#include "framework/base/vocabulary.h"
#include "framework/case/oracle.h"
#include "framework/engine/engine_process.h"
#include "framework/engine/recorder.h"
#include "framework/engine/variants_file.h"
#include "framework/plan/crash_plan.h"
#include "framework/plan/workload.h"

namespace crashlab {

struct TracedCaseSpec {
  const VariantSpec* variant = nullptr;
  uint64_t seed = 0;
  uint64_t case_index = 0;
  std::size_t txns = 0;  // transactions in the workload; 0: drawn by the seed
  // The campaign's stored workload when it was given rather than drawn
  // (CampaignInfo::workload), else null.
  const Workload* workload = nullptr;
  CrashKind crash = CrashKind::kPowerLoss;  // kill needs `live`
  bool live = false;
  // Live only: crash at a hit of this named point ("any": of any point).
  std::string point;
  // New directory: data/, trace.bin, engine.stderr, crash/ (power loss),
  // live/ (live mode: the killed run's data/ and trace.bin).
  std::string case_dir;
  Recorder recorder;  // how the run is traced (engine/recorder.h)
  faults::Profile profile = faults::Profile::kPosix;
  uint32_t atomic_unit = 512;
  Millis deadline{10000};
};

// A traced case's plan (plan/crash_plan.h) and what the case saw.
struct TracedCaseResult : TracedPlan {
  Workload workload;
  std::size_t sent = 0;     // transactions the engine had received by the crash point
  std::size_t acked = 0;    // of those, acknowledged before it (a prefix)
  std::string crash_state;  // faults::DigestDirTree of the state recovered
  int64_t syncs = -1, bytes_written = -1;  // the run's I/O up to the crash point (trace_cost.h)
  Judgement judgement;
  Contract contract = Contract::kDurable;
  bool violation = false;
  std::string notes;
  double workload_ms = 0, recovery_ms = 0, total_ms = 0;
  std::string stderr_tail;
  std::string trace;  // the judged trace file's bytes, kept only for a violation
};

// Runs one case. An error means the case could not be run at all (the
// directory, the program, the preload library, an unreadable trace, a trace
// that does not explain the directory its run left).
[[nodiscard]] Result<TracedCaseResult> RunTracedCase(const TracedCaseSpec& spec);

// Replays a recorded case from its stored trace and plan text (the results
// store keeps both for a violation): no traced run, so the crash state is
// rebuilt byte for byte whatever the engine's threads do, then recovered and
// judged as the campaign did. spec.crash must be the case's own kind;
// spec.live, profile and atomic unit are taken from the plan, and so are
// the workload, keep bits and tear of a state `crashlab explore` recorded.
[[nodiscard]] Result<TracedCaseResult> ReplayTracedCase(const TracedCaseSpec& spec,
                                                        const std::string& trace_bytes,
                                                        const std::string& plan_text);

}  // namespace crashlab
