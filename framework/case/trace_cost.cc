#include "framework/case/trace_cost.h"

namespace crashlab {

using faults::EventKind;

std::vector<IoCost> CumulativeCost(const faults::Trace& trace) {
  std::vector<IoCost> cost(trace.events.size() + 1);
  for (std::size_t i = 0; i < trace.events.size(); ++i) {
    const faults::Event& e = trace.events[i];
    IoCost next = cost[i];
    switch (e.kind) {
      // sync_file_range counts although it is no durability barrier
      // (docs/persistence-model.md): the figure is what the engine pays, and
      // the recorded form (WRITE|WAIT_AFTER) blocks until the range's
      // write-back completes, a device round trip like fdatasync's; `crashlab
      // bench` counts it under strace too, so the two figures agree.
      case EventKind::kFsync:
      case EventKind::kFdatasync:
      case EventKind::kSyncRange:
      case EventKind::kMsync:
      case EventKind::kSyncAll:
        ++next.syncs;
        break;
      case EventKind::kWrite:
        next.bytes_written += static_cast<int64_t>(e.length);
        if ((e.flags & (faults::kOpenDsync | faults::kOpenSync)) != 0) ++next.syncs;
        break;
      case EventKind::kMapWrite:
        next.bytes_written += static_cast<int64_t>(e.length);
        break;
      default:
        break;
    }
    cost[i + 1] = next;
  }
  return cost;
}

}  // namespace crashlab
