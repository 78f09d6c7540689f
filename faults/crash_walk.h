// Every crash point of one trace in turn, for systematic exploration: the
// replay advances one event at a time instead of starting over at each point,
// and each point yields its kill state and any number of power-loss states.
//
// Crash point c: events [0, c) have completed; event c, if any, was in flight.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "faults/model_internal.h"
#include "faults/persistence_model.h"
#include "faults/trace.h"
#include "faults/trace_replay.h"
#include "framework/base/status.h"

namespace crashlab::faults {

// What a power loss at one crash point has to decide.
struct PendingChanges {
  // Namespace and content changes not yet durable: at most this many keep
  // decisions (PowerLossChoices::keep bits) shape a power-loss state here.
  int changes = 0;
  // Atomic units the write in flight covers; 0 when event c is not a write.
  uint64_t in_flight_units = 0;
  // The pending writes (and mapped-page stores) that may tear, in trace
  // order, the write in flight last if there is one: each one's event (what
  // PowerLossChoices::torn_event names) and the atomic units it covers.
  struct Write {
    uint64_t event = 0;
    uint64_t units = 0;
    bool operator==(const Write&) const = default;
  };
  std::vector<Write> writes;
};

class CrashWalk {
 public:
  // `trace` must outlive the walk. Starts at crash point 0.
  CrashWalk(const Trace& trace, const DirTree& base, Profile profile, uint32_t atomic_unit);

  uint64_t point() const { return point_; }
  // Past the last crash point (c = number of events) there is none.
  bool done() const { return point_ > trace_.events.size(); }
  // Moves to crash point c + 1.
  [[nodiscard]] Status Next();

  // Equal to ModelKill(trace, c, base).
  Result<DirTree> Kill();
  // FastDigest(*Kill()), without building the tree.
  Result<uint64_t> KillDigest();
  Result<PendingChanges> Pending();
  // Equal to ModelPowerLoss(trace, plan, base, report); plan.event is c.
  Result<DirTree> PowerLoss(PowerLossPlan plan, CrashReport* report);
  // FastDigest(*PowerLoss(plan, nullptr)), without building the tree: only
  // files the crash changed from the cached images are copied. Needs
  // plan.choices.
  Result<uint64_t> PowerLossDigest(PowerLossPlan plan);

 private:
  // The state with event c in flight, replayed on first use at each point.
  Result<const internal::State*> InFlight();

  const Trace& trace_;
  Profile profile_;
  uint32_t atomic_unit_;
  uint64_t point_ = 0;
  internal::State done_;  // events [0, c) completed
  std::optional<internal::State> in_flight_;
  internal::ImageCache kill_images_, durable_images_;
};

}  // namespace crashlab::faults
