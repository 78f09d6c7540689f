#include "framework/case/trace_cost.h"

#include "faults/durability_rules.h"

namespace crashlab {

using faults::EventKind;

std::vector<IoCost> CumulativeCost(const faults::Trace& trace) {
  std::vector<IoCost> cost(trace.events.size() + 1);
  for (std::size_t i = 0; i < trace.events.size(); ++i) {
    const faults::Event& e = trace.events[i];
    IoCost next = cost[i];
    // sync_file_range counts although it is no durability barrier
    // (docs/persistence-model.md): the figure is what the engine pays, and
    // the recorded form (WRITE|WAIT_AFTER) blocks until the range's
    // write-back completes, a device round trip like fdatasync's; `crashlab
    // bench` counts it under strace too, so the two figures agree.
    if (faults::AsksForDurability(e)) ++next.syncs;
    if (e.kind == EventKind::kWrite || e.kind == EventKind::kMapWrite) {
      next.bytes_written += static_cast<int64_t>(e.length);
    }
    cost[i + 1] = next;
  }
  return cost;
}

}  // namespace crashlab
