// Where and how a case crashes. For a process kill: SIGKILL the engine's
// process group `delay_us` microseconds after the lines of transaction `txn`
// were written to it (transactions before it are acknowledged first).
#pragma once

#include <cstdint>
#include <string>

#include "framework/status.h"

namespace crashlab {

struct KillPlan {
  std::size_t txn = 0;
  int64_t delay_us = 0;

  // "kill txn=5 delay_us=120": the form stored in the results database.
  std::string ToString() const;
  static Result<KillPlan> Parse(const std::string& text);
  bool operator==(const KillPlan&) const = default;
};

// The kill plan of case `case_index` for a workload of `txn_count` (> 0)
// transactions. Delays spread over four decades, from "at once" to tens of
// milliseconds, so kills land before, inside and after a commit's syncs.
KillPlan PlanKill(uint64_t campaign_seed, uint64_t case_index, std::size_t txn_count);

}  // namespace crashlab
