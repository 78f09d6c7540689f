// Internal to faults/: the persistence model's last step, from a replayed
// state to a crash state, shared by the one-shot model (persistence_model.h)
// and the walk over every crash point (crash_walk.h).
#pragma once

#include "faults/persistence_model.h"
#include "faults/trace_replay.h"
#include "framework/status.h"

namespace crashlab::faults::internal {

// The tree a kill leaves: every change in `state` applied.
Result<DirTree> KillTree(const State& state);

// The tree a power loss under `plan` leaves; `state` was replayed with the
// event at plan.event in flight and settled.
Result<DirTree> PowerLossTree(State state, const PowerLossPlan& plan, CrashReport* report);

}  // namespace crashlab::faults::internal
