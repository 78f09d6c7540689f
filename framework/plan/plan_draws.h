// The draws of crash plans from the seed: every choice of where and how a
// case crashes that the campaign seed decides, in one place, each from its
// own PRNG stream (base/prng.h), so that a seed gives the same plan on any
// machine. The plans themselves and their text are in plan/crash_plan.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faults/trace.h"
#include "framework/base/prng.h"
#include "framework/base/status.h"
#include "framework/plan/crash_plan.h"

namespace crashlab {

// The timed kill plan of case `case_index` for a workload of `txn_count`
// (> 0) transactions. Delays spread over four decades, from "at once" to tens
// of milliseconds, so kills land before, inside and after a commit's syncs.
KillPlan PlanKill(uint64_t campaign_seed, uint64_t case_index, std::size_t txn_count);

// The named-point kill plan of case `case_index`: at `requested`, or, when
// `requested` is "any", at one of `points` chosen by the seed. Hits are drawn
// from 1..txn_count, small numbers more often, so rare points are reached too.
KillPlan PlanPointKill(uint64_t campaign_seed, uint64_t case_index, std::size_t txn_count,
                       const std::string& requested, const std::vector<std::string>& points);

// The kill plan of a real kill case: timed when `point` is empty, else at
// that named point (or "any" of `points`).
KillPlan DrawKillPlan(uint64_t campaign_seed, uint64_t case_index, std::size_t txn_count,
                      const std::string& point, const std::vector<std::string>& points);

// Where a traced case crashes in the trace of its complete run, and the seed
// of its power loss.
struct TracedCrashDraw {
  uint64_t event = 0;  // the crash point c
  uint64_t seed = 0;   // below 2^63: results stores keep seeds as SQLite integers
};

// The crash point of traced case `case_index`. Without `point`: half the
// time anywhere in the trace, half the time on a write, which is then in
// flight and may tear (where torn-record bugs live, and a uniform draw rarely
// lands); a trace with stores through shared mappings splits in thirds:
// anywhere, write() calls, mapped-page stores. With `point` (a name, or
// "any"): one of the trace's hits of that named point, so that a live kill
// there is a kill at the Nth hit; an error when the run never reached it.
[[nodiscard]] Result<TracedCrashDraw> DrawTracedCrash(const faults::Trace& trace,
                                                      uint64_t campaign_seed, uint64_t case_index,
                                                      const std::string& point);

// Exploration's draws at crash point c (framework/explore/explore_states.h):
// the seed of every power-loss state offered there (it draws only the bytes
// of garbage units), the seeded subsets of pending changes, and the seeded
// choice and tears of pending writes. The last is a stream apart from the
// subsets: the index space of the crash points' own draws is below 2^63.
uint64_t ExploreStateSeed(uint64_t explore_seed, uint64_t c);
Prng ExploreSubsetDraws(uint64_t explore_seed, uint64_t c);
Prng ExploreTearDraws(uint64_t explore_seed, uint64_t c);

}  // namespace crashlab
