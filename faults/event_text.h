// One trace event as a line a person reads: order, thread, kind, file and
// path, offset and length, open flags, the first bytes written, point names
// and replies. `crashlab trace dump` and `crashlab explain` print these.
#pragma once

#include <string>

#include "faults/trace.h"

namespace crashlab {

std::string DescribeEvent(const faults::Event& e);

}  // namespace crashlab
