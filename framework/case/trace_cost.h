// What a traced run cost its storage up to a crash point: syncs (the events
// that ask for durability, faults::AsksForDurability: fsync, fdatasync,
// sync_file_range, msync, sync, and writes to O_DSYNC or O_SYNC files, each
// a sync of its own) and bytes written (write and mapped-page stores).
// Reports divide them by the transactions sent to compare variants.
#pragma once

#include <cstdint>
#include <vector>

#include "faults/trace.h"

namespace crashlab {

struct IoCost {
  int64_t syncs = 0;
  int64_t bytes_written = 0;
};

// cost[c] is the cost of events [0, c): trace.events.size() + 1 entries.
std::vector<IoCost> CumulativeCost(const faults::Trace& trace);

}  // namespace crashlab
