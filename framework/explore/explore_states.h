// The crash states systematic exploration offers at each crash point of a
// trace, and how they are named: which kill and power-loss states, when a
// crash point adds nothing new, and the plan text a case is recorded with.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "faults/crash_walk.h"
#include "faults/persistence_model.h"
#include "faults/trace.h"
#include "framework/base/status.h"
#include "framework/explore/explore.h"
#include "framework/plan/crash_plan.h"

namespace crashlab {

// One way to reach a crash state: the crash, its point, its choices.
struct Candidate {
  CrashKind crash = CrashKind::kKill;
  uint64_t event = 0;  // crash point c
  int context = 0;     // what the controller knew at c (the explorer's index)
  // Power loss: what survives, and the seed of garbage units' bytes.
  faults::PowerLossChoices choices;
  uint64_t seed = 0;
  // The seed alone decides (a profile without explicit choices): `choices`
  // is unused.
  bool seeded = false;
  // A block-level power loss (block_states.h): event is the crash point in
  // the block log, and these the fates of the writes pending there.
  std::optional<faults::BlockCrashChoices> block_fates;
};

// The plan a candidate is recorded with: its text (TracedPlan::PlanText) reads
// "explore workload=3 txns=100 kill event=57 model=2", or for a power loss
// "explore workload=3 txns=100 power-loss event=57/1963 profile=posix
// unit=512 seed=9 keep=0x2f tear=NO model=2", or at the block level
// "explore workload=3 txns=100 power-loss block=ext4 point=57/212
// sector=4096 seed=0 fates=*,- model=2". `trace_events` counts the trace's
// events (the block log's records).
TracedPlan ExplorePlan(const Candidate& candidate, const ExploreOptions& o, uint64_t trace_events);
// Its text, as the results store keeps it.
std::string PlanText(const Candidate& candidate, const ExploreOptions& o, uint64_t trace_events);

// Walks a trace's crash points in order and offers, for each, the states
// exploration verifies:
//  - kill: the state at c, offered again only when it changed (event c-1
//    changed a file or name) or the controller learnt of an acknowledgement;
//  - power loss: where the set of pending changes is largest before it
//    shrinks — at a sync (in flight: it promised nothing yet), at an O_DSYNC
//    write and at the end — every subset of the pending changes when they are
//    few; beyond that all kept, none kept, each one dropped alone and
//    seeded subsets. Each subset is judged against what the controller knew
//    at that point, the most it could have been told while the state was
//    possible. There too, everything kept but one pending write torn: each
//    of up to ExploreOptions::tear_writes of them at its first unit and at
//    its last (old, or garbage), and tear_samples seeded tears. At each
//    write, the write in flight torn a few ways. Under a profile the model
//    can only draw from a seed (ext4-ordered), `samples` seeded states at
//    those points instead, their tears the seed's.
class StateEnumerator {
 public:
  // Receives each candidate with its state's faults::FastDigest, and a
  // function that builds the state (call it at once, or never: only a state
  // not seen before needs its files).
  using Builder = std::function<Result<faults::DirTree>()>;
  using Sink = std::function<Status(Candidate, uint64_t, const Builder&)>;
  StateEnumerator(const faults::Trace& trace, const ExploreOptions& o, Sink sink);

  // Offers the states of crash point c (the next one) when `mine`, judged
  // with context `context`, then moves on to c + 1.
  [[nodiscard]] Status Visit(uint64_t c, bool mine, int context);

 private:
  Status OfferKill(uint64_t c, int context);
  Status OfferPowerLoss(uint64_t c, int context);
  Status OfferSubsets(uint64_t c, int context, int changes);
  Status OfferPendingTears(uint64_t c, int context,
                           std::vector<faults::PendingChanges::Write> writes);
  Status OfferTears(uint64_t c, int context, uint64_t units);
  Status OfferChoices(uint64_t c, int context, faults::PowerLossChoices choices);
  Status OfferSeeded(uint64_t c, int context);

  const faults::Trace& trace_;
  const ExploreOptions& o_;
  Sink sink_;
  faults::CrashWalk walk_;
  std::optional<uint64_t> last_kill_;
  int last_kill_context_ = -1;
};

}  // namespace crashlab
