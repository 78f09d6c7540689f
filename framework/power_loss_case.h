// One power-loss case: record a traced run of the case's workload under
// libcrashlab_preload.so, pick a crash point in the trace from the seed,
// build the directory a power loss there would leave (faults/crash_state.h),
// and let a fresh engine process recover it, dump it and check it.
#pragma once

#include <cstdint>
#include <string>

#include "faults/persistence_model.h"
#include "framework/engine_process.h"
#include "framework/oracle.h"
#include "framework/variants_file.h"
#include "framework/workload.h"

namespace crashlab {

struct PowerLossCaseSpec {
  const VariantSpec* variant = nullptr;
  uint64_t seed = 0;
  uint64_t case_index = 0;
  std::string case_dir;      // new directory: data/, trace.bin, crash/, engine.stderr
  std::string preload_path;  // libcrashlab_preload.so
  faults::Profile profile = faults::Profile::kPosix;
  uint32_t atomic_unit = 512;
  Millis deadline{10000};
};

struct PowerLossCaseResult {
  Workload workload;
  faults::PowerLossPlan plan;
  uint64_t trace_events = 0;
  std::size_t sent = 0;   // transactions the engine had received by the crash point
  std::size_t acked = 0;  // of those, acknowledged before it (a prefix)
  Judgement judgement;
  Contract contract = Contract::kDurable;
  bool violation = false;
  std::string notes;
  double workload_ms = 0, recovery_ms = 0, total_ms = 0;
  std::string stderr_tail;

  // "power-loss event=57/212 profile=posix unit=512 seed=9": stored per case.
  std::string PlanText() const;
};

// Runs one case. An error means the case could not be run at all (the
// directory, the program, the preload library, an unreadable trace).
[[nodiscard]] Result<PowerLossCaseResult> RunPowerLossCase(const PowerLossCaseSpec& spec);

}  // namespace crashlab
