// Internal to soak.cc: the loop that runs a soak's cases once it is set up
// (soak_setup.h). Not part of crashlab's interface.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "framework/base/status.h"
#include "framework/campaign/soak.h"
#include "framework/campaign/soak_progress.h"
#include "framework/campaign/soak_setup.h"

namespace crashlab::soak_internal {

// Runs cases, each to the slot the rotation names, until the soak's time
// budget is spent or a signal interrupts it. Each case is recorded as soon as
// it is judged, so a killed controller loses at most the case in flight.
class SoakCaseLoop {
 public:
  // Starts this run's clock; summary.elapsed is what earlier runs spent.
  SoakCaseLoop(SoakRun& run, SoakRotation& rotation, SoakProgress& progress);

  // Returns when the budget is spent or a signal arrived during a case
  // (summary.interrupted_by; that case is not recorded). Errors (the caller
  // then calls FailSoak): a case that cannot be run, the database.
  [[nodiscard]] Status Run();

  // The time this run of the controller has spent since the loop was made.
  std::chrono::milliseconds Here() const;

 private:
  // Runs and records the next case, leaving summary.interrupted_by set
  // instead when a signal cut it short.
  [[nodiscard]] Status RunNextCase();
  // Records case slots[s].next_index and counts it.
  [[nodiscard]] Status RecordCase(std::size_t s, CaseOutcome& outcome, const std::string& case_dir);
  VariantTally& TallyOf(const Slot& slot, CrashKind crash);
  void ReportViolation(const Campaign& campaign, const Slot& slot, int64_t i,
                       const CaseRecord& record, const std::string& case_dir);
  [[nodiscard]] Status SaveElapsedWhenDue();

  SoakRun& run_;
  SoakRotation& rotation_;
  SoakProgress& progress_;
  const std::chrono::milliseconds elapsed_before_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::milliseconds saved_;  // Here() when the time was last written
};

}  // namespace crashlab::soak_internal
