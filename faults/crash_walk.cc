#include "faults/crash_walk.h"

#include <algorithm>
#include <set>
#include <utility>

#include "faults/model_internal.h"

namespace crashlab::faults {

CrashWalk::CrashWalk(const Trace& trace, const DirTree& base, Profile profile, uint32_t atomic_unit)
    : trace_(trace),
      profile_(profile),
      atomic_unit_(atomic_unit),
      done_(internal::StartState(base)) {}

Status CrashWalk::Next() {
  if (point_ < trace_.events.size()) {
    if (Status s = internal::Step(trace_, point_, /*done=*/true, profile_, done_); !s.ok()) {
      return s;
    }
  }
  ++point_;
  in_flight_.reset();
  return Status::Ok();
}

Result<DirTree> CrashWalk::Kill() { return internal::KillTree(done_, &kill_images_, nullptr); }

Result<uint64_t> CrashWalk::KillDigest() {
  uint64_t digest = 0;
  if (Result<DirTree> none = internal::KillTree(done_, &kill_images_, &digest); !none.ok()) {
    return none.status();
  }
  return digest;
}

Result<const internal::State*> CrashWalk::InFlight() {
  if (!in_flight_) {
    internal::State state = done_;
    if (point_ < trace_.events.size()) {
      if (Status s = internal::Step(trace_, point_, /*done=*/false, profile_, state); !s.ok()) {
        return s;
      }
    }
    internal::Settle(state);
    in_flight_ = std::move(state);
  }
  return &*in_flight_;
}

Result<PendingChanges> CrashWalk::Pending() {
  Result<const internal::State*> state = InFlight();
  if (!state.ok()) return state.status();
  PendingChanges pending;
  for (const internal::NameOp& op : (*state)->name_ops) pending.changes += op.durable ? 0 : 1;
  std::set<uint64_t> seen;  // a write split by a ranged sync tears in its first pending piece
  for (const internal::Node& node : (*state)->nodes) {
    for (const internal::ContentOp& op : node.ops) {
      if (op.durable) continue;
      ++pending.changes;
      const bool is_write = op.kind == EventKind::kWrite || op.kind == EventKind::kMapWrite;
      if (!is_write || op.data.empty() || !seen.insert(op.seq).second) continue;
      const uint64_t units =
          (op.offset + op.data.size() - 1) / atomic_unit_ - op.offset / atomic_unit_ + 1;
      if (op.seq == point_) pending.in_flight_units = units;
      pending.writes.push_back({op.seq, units});
    }
  }
  std::sort(pending.writes.begin(), pending.writes.end(),
            [](const PendingChanges::Write& a, const PendingChanges::Write& b) {
              return a.event < b.event;
            });
  return pending;
}

Result<DirTree> CrashWalk::PowerLoss(PowerLossPlan plan, CrashReport* report) {
  Result<const internal::State*> state = InFlight();
  if (!state.ok()) return state.status();
  plan.event = point_;
  plan.atomic_unit = atomic_unit_;
  plan.profile = profile_;
  return internal::PowerLossTree(**state, plan, report, &durable_images_, nullptr);
}

Result<uint64_t> CrashWalk::PowerLossDigest(PowerLossPlan plan) {
  Result<const internal::State*> state = InFlight();
  if (!state.ok()) return state.status();
  plan.event = point_;
  plan.atomic_unit = atomic_unit_;
  plan.profile = profile_;
  uint64_t digest = 0;
  Result<DirTree> none = internal::PowerLossTree(**state, plan, nullptr, &durable_images_, &digest);
  if (!none.ok()) return none.status();
  return digest;
}

}  // namespace crashlab::faults
