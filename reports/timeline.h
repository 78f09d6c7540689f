// The I/O timeline of a failure: the trace's events around the crash point
// as an SVG, one lane per file (journal, scratch, data, headers ...) plus a
// lane for named points and one for the engine's replies. Writes are boxes,
// syncs are bars, namespace changes are ticks; the crash point is a red
// line, the events after it are faded (they never happened), and for a
// power loss each pending write is drawn as it ended: kept, dropped
// (hollow, dashed) or torn (its units coloured new, old, zeroed, garbage).
#pragma once

#include <cstdint>
#include <string>

#include "faults/persistence_model.h"
#include "faults/trace.h"

namespace crashlab::report {

struct TimelineOptions {
  uint64_t crash_point = 0;                         // events [0, crash_point) completed
  int before = 24;                                  // events shown before the crash point
  int after = 6;                                    // and from it on
  const faults::CrashReport* power_loss = nullptr;  // null for a kill
};

// The timeline as an <svg> element with id `id`, followed by its legend.
// Every text from the trace (paths, point names, replies) is escaped.
std::string Timeline(const std::string& id, const faults::Trace& trace,
                     const TimelineOptions& options);

}  // namespace crashlab::report
