// The plan of a traced case (power loss, live, explore), as the results
// store keeps it: which crash, at which event of the trace, with which
// persistence profile and choices. TracedCaseResult (case/traced_case.h) is
// this plan plus what the case saw.
#pragma once

#include <cstdint>
#include <string>

#include "faults/persistence_model.h"
#include "framework/base/status.h"
#include "framework/base/vocabulary.h"

namespace crashlab {

struct TracedPlan {
  CrashKind crash = CrashKind::kPowerLoss;
  bool live = false;
  faults::PowerLossPlan plan;  // plan.event: the crash point in the judged trace
  // A state of `crashlab explore`, replayed: the workload it came from
  // (-1: the campaign's stored workload, `workload=stored`).
  bool explore = false;
  int64_t explore_workload = 0;
  std::size_t explore_txns = 0;
  uint64_t trace_events = 0;  // events in the judged trace
  uint64_t kill_at = 0;       // live: the event the library was told to kill after
  bool killed = false;        // live: the kill happened (else the run ended first)

  // Stored per case: "power-loss event=57/212 profile=posix unit=512
  // seed=9", and for live cases "live kill-at=57 ..." before it. A state of
  // `crashlab explore` reads "explore workload=0 txns=100 power-loss ...
  // seed=9 keep=0x2f tear=NO" (explore_states.h).
  std::string PlanText() const;
};

// The inverse of TracedPlan::PlanText, for a case read back from the results
// store: sets r.live, kill_at, killed, the explore fields and r.plan.
// r.crash must be the case's own crash kind.
[[nodiscard]] Status ParseStoredPlan(const std::string& text, TracedPlan& r);

}  // namespace crashlab
