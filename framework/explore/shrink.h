// Shrinking a failure (`crashlab shrink`): the smallest workload and crash
// state that still break the contract the same way.
//
// The oracle is exploration (explore.h): a candidate workload "still fails"
// when exploring it finds a violation with the failure's signature (its
// verdict and cause, signature.h) under the failure's crash kind: a
// candidate that fails another way is another bug, not a smaller form of
// this one. Shrinking keeps the shortest failing prefix, then
// removes transactions (halves, quarters ... single ones), operations,
// checkpoints and value bytes while the oracle still says yes. Last, the
// minimal workload is explored in full and the violating state with the
// earliest crash point, then the fewest surviving pending changes, then the
// fewest torn units, is the shrunk case. It is recorded in the results
// store as a failure linked to the original (failures.shrunk_from), in a
// campaign that stores the workload's text.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "framework/base/vocabulary.h"
#include "framework/engine/engine_process.h"
#include "framework/engine/recorder.h"
#include "framework/engine/variants_file.h"
#include "framework/plan/workload.h"
#include "framework/store/results_store.h"
#include "framework/store/signature.h"

namespace crashlab {

struct ShrinkOptions {
  EngineSpec engine;
  std::string variant;
  int64_t failure_id = 0;  // the original failure, in db_path
  Workload workload;       // the workload the failure ran
  CrashKind crash = CrashKind::kPowerLoss;
  Verdict verdict = Verdict::kLostAcked;  // the failure's verdict
  Signature signature;                    // the failure's bug, which every candidate must keep
  std::string crash_plan;                 // the failure's stored plan, for messages
  uint64_t seed = 0;                      // seeds the sampled power-loss subsets
  uint32_t atomic_unit = 512;
  int jobs = 1;
  std::string db_path;
  Recorder recorder;  // how traced runs record (engine/recorder.h)
  std::string command_line;
  Millis deadline{10000};
  double budget_seconds = 60;  // shrinking stops here and keeps the smallest failing case
};

struct ShrinkResult {
  int64_t failure_id = 0;  // the shrunk failure, recorded in db_path
  int64_t campaign_id = 0;
  Workload workload;  // the minimal workload
  CaseRecord c;       // the chosen crash state's case
  std::size_t original_txns = 0, original_ops = 0;
  int trials = 0;  // explorations run
  double seconds = 0;
  bool budget_spent = false;  // stopped by budget_seconds before a fixed point
};

// Errors: the failure's verdict is not found by exploring its own workload
// (nothing to shrink: the message says what to try), an interruption, the
// store, the engine.
[[nodiscard]] Result<ShrinkResult> RunShrink(const ShrinkOptions& options, std::FILE* out);

// Operations in a workload, for progress lines.
std::size_t OpCount(const Workload& workload);

}  // namespace crashlab
