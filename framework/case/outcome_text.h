// What a power loss did to the changes not yet durable, as `crashlab explain`
// prints it: the changes that decided the outcome first, the rest folded.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "faults/persistence_model.h"

namespace crashlab {

// The lines under "what the power loss did to the changes not yet durable":
// a header with the count of each outcome, then every change that decided
// the crash state (a write that vanished or tore, a name that reverted), in
// trace order, at most `max_deciding` of them (the rest counted); then the
// changes that came through as the trace has them (writes survived, names
// kept), folded into a count with the `max_others` nearest the crash point
// listed. `paths` names files by id ("?" for an id it lacks).
std::string DescribeOutcomes(const faults::CrashReport& report,
                             const std::map<uint64_t, std::string>& paths,
                             std::size_t max_deciding = 32, std::size_t max_others = 4);

}  // namespace crashlab
