#include "framework/trace_cost.h"

namespace crashlab {

using faults::EventKind;

std::vector<IoCost> CumulativeCost(const faults::Trace& trace) {
  std::vector<IoCost> cost(trace.events.size() + 1);
  for (std::size_t i = 0; i < trace.events.size(); ++i) {
    const faults::Event& e = trace.events[i];
    IoCost next = cost[i];
    switch (e.kind) {
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
