// Named fault points. An engine marks the places where a crash matters:
//
//   CRASHLAB_POINT(points::kJournalWriteAfter);
//
// where `points::kJournalWriteAfter` is an entry of the engine's registry (a
// `constexpr crashlab::faults::Point`, declared once with its name and what is
// durable when it fires). A point costs one relaxed atomic load unless it is
// armed, in one of two ways:
// - CRASHLAB_KILL_AT=<name>:<n> (`crashlab run --point` sets it for kill
//   cases): the n-th time the point named <name> fires, the process SIGKILLs
//   its own process group, exactly there;
// - a traced run (CRASHLAB_TRACE set, libcrashlab_preload.so loaded): every
//   hit is recorded in the I/O trace, so that a power-loss case can put its
//   crash point at a hit of the point it names.
#pragma once

#include <atomic>
#include <string_view>

namespace crashlab::faults {

// One named point: `name` is `component.action:phase` (STYLE.md); `durable`
// says what is on disk when it fires, for people reading a failure.
struct Point {
  std::string_view name;
  std::string_view durable;
};

namespace internal {
extern std::atomic<bool> armed;
void Hit(const Point& point);
}  // namespace internal

// Reads CRASHLAB_KILL_AT once; called before the first point fires. Safe to
// call more than once. Returns false (and says why on stderr) when the
// variable is set but malformed.
bool ArmFromEnvironment();

}  // namespace crashlab::faults

#define CRASHLAB_POINT(point)                                                  \
  do {                                                                         \
    if (::crashlab::faults::internal::armed.load(std::memory_order_relaxed)) { \
      ::crashlab::faults::internal::Hit(point);                                \
    }                                                                          \
  } while (0)
