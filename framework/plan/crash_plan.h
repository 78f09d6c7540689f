// Where and how a case crashes: the plan of every case crashlab runs, and
// its text, the form the results store keeps (docs and databases of earlier
// releases depend on it). Two families:
//
//  - KillPlan, a real process kill of an untraced run:
//     - timed: SIGKILL the engine's process group `delay_us` microseconds
//       after the lines of transaction `txn` were written to it
//       (transactions before it are acknowledged first);
//     - at a named point: the engine kills itself at the `hit`-th time its
//       point `point` fires (faults/points/point.h); every transaction is
//       sent in turn until then. A point whose name starts with "recovery."
//       is armed in the restart instead, so the crash lands inside recovery
//       and a third start recovers.
//  - TracedPlan, a crash judged from a trace (power loss, live mode, a state
//    of `crashlab explore`): the crash point in the trace, and for a power
//    loss the profile, atomic unit, seed and choices that decide the state.
//
// Each plan carries the persistence model version it was built under
// (plan/model_version.h). The draws of a plan from the seed are in
// plan/plan_draws.h; the text is read here without exceptions: a malformed
// text is an error naming it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "faults/block/block_crash.h"
#include "faults/block/file_system.h"
#include "faults/persistence_model.h"
#include "framework/base/status.h"
#include "framework/base/vocabulary.h"
#include "framework/plan/model_version.h"

namespace crashlab {

struct KillPlan {
  std::size_t txn = 0;
  int64_t delay_us = 0;
  std::string point;  // empty for a timed kill
  int64_t hit = 0;
  int model = kModelVersion;

  bool at_point() const { return !point.empty(); }
  bool in_recovery() const { return point.rfind("recovery.", 0) == 0; }
  // "kill txn=5 delay_us=120 model=2" or "kill point=journal.write:after
  // hit=3 model=2": the form stored in the results database.
  std::string ToString() const;
  // The inverse of ToString, also of the texts earlier releases stored (no
  // model token: version 1). An error names the text.
  static Result<KillPlan> Parse(std::string_view text);
  bool operator==(const KillPlan&) const = default;
};

struct TracedPlan {
  CrashKind crash = CrashKind::kPowerLoss;
  bool live = false;
  faults::PowerLossPlan plan;  // plan.event: the crash point in the judged trace
  // A state of `crashlab explore`, replayed: the workload it came from
  // (-1: the campaign's stored workload, `workload=stored`).
  bool explore = false;
  int64_t explore_workload = 0;
  std::size_t explore_txns = 0;
  uint64_t trace_events = 0;  // events in the judged trace (power loss)
  uint64_t kill_at = 0;       // live: the event the library was told to kill after
  bool killed = false;        // live: the kill happened (else the run ended first)
  // A power loss of the block-level recorder (framework/case/block_case.h):
  // the disk's file system. plan.event is then the crash point in a block
  // log of trace_events records, plan.atomic_unit the disk's sector, and
  // block_fates what happened to each pending write there (drawn from
  // plan.seed); plan.profile means nothing.
  std::optional<faults::FileSystemKind> block_fs;
  faults::BlockCrashChoices block_fates;
  int model = kModelVersion;

  // Stored per case: "power-loss event=57/212 profile=posix unit=512
  // seed=9 model=2", and for live cases "live kill-at=57 ..." before it
  // ("live kill-at=57 (run ended first) ..." when the run ended before the
  // kill). A state of `crashlab explore` reads "explore workload=0 txns=100
  // power-loss ... seed=9 keep=0x2f tear=NO@41 model=2" (explore_states.h);
  // its kill states "explore workload=stored txns=8 kill event=57 model=2".
  // A block-level power loss reads "power-loss block=ext4 point=57/212
  // sector=4096 seed=9 fates=*,-,NO model=2" (fates=none: none pending).
  std::string PlanText() const;
};

// Equal plans: every field, the power-loss choices included.
bool operator==(const TracedPlan& a, const TracedPlan& b);

// The inverse of TracedPlan::PlanText, for a case read back from the results
// store, also of the texts earlier releases stored (no model token: version
// 1). `crash` is the case's own crash kind: a kill text for a power-loss case
// (or the reverse) is an error, as is any malformed text (named in it).
[[nodiscard]] Result<TracedPlan> ParseTracedPlan(std::string_view text, CrashKind crash);

// The model version of any stored plan text, kill or traced: its " model=N"
// token, kUnversionedModel without one. An error for a malformed token.
[[nodiscard]] Result<int> ModelVersionOf(std::string_view text);

// `text` without its " model=N" token: two plans that differ only in the
// model they were built under name the same crash.
std::string_view WithoutModelToken(std::string_view text);

}  // namespace crashlab
