// Where and how a case crashes, as a process kill. Two kinds of plan:
//  - timed: SIGKILL the engine's process group `delay_us` microseconds after
//    the lines of transaction `txn` were written to it (transactions before
//    it are acknowledged first);
//  - at a named point: the engine kills itself at the `hit`-th time its point
//    `point` fires (faults/points/point.h); every transaction is sent in turn until
//    then. A point whose name starts with "recovery." is armed in the restart
//    instead, so the crash lands inside recovery and a third start recovers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/base/status.h"

namespace crashlab {

struct KillPlan {
  std::size_t txn = 0;
  int64_t delay_us = 0;
  std::string point;  // empty for a timed kill
  int64_t hit = 0;

  bool at_point() const { return !point.empty(); }
  bool in_recovery() const { return point.rfind("recovery.", 0) == 0; }
  // "kill txn=5 delay_us=120" or "kill point=journal.write:after hit=3": the
  // form stored in the results database.
  std::string ToString() const;
  static Result<KillPlan> Parse(const std::string& text);
  bool operator==(const KillPlan&) const = default;
};

// The timed kill plan of case `case_index` for a workload of `txn_count`
// (> 0) transactions. Delays spread over four decades, from "at once" to tens
// of milliseconds, so kills land before, inside and after a commit's syncs.
KillPlan PlanKill(uint64_t campaign_seed, uint64_t case_index, std::size_t txn_count);

// The named-point kill plan of case `case_index`: at `requested`, or, when
// `requested` is "any", at one of `points` chosen by the seed. Hits are drawn
// from 1..txn_count, small numbers more often, so rare points are reached too.
KillPlan PlanPointKill(uint64_t campaign_seed, uint64_t case_index, std::size_t txn_count,
                       const std::string& requested, const std::vector<std::string>& points);

}  // namespace crashlab
