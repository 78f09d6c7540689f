// The run `crashlab explore` walks: recorded once, with a file-level
// recorder (a trace) or the block-level one (a block log), and seen by the
// explorer as crash points and the states each offers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/case/trace_cost.h"
#include "framework/case/traced_run.h"
#include "framework/explore/explore.h"
#include "framework/explore/explore_states.h"

namespace crashlab {

// The crash points an Explorer walks: a file-level trace's or a block log's.
class CrashPoints {
 public:
  virtual ~CrashPoints() = default;
  virtual uint64_t last() const = 0;  // the points are 0..last()
  virtual uint64_t size() const = 0;  // trace events or block log records, for plans
  // Whether the controller read a reply just before point c (c > 0).
  virtual bool AfterReply(uint64_t c) const = 0;
  virtual SentAndAcked Known(uint64_t c) const = 0;  // what it knew at c
  virtual std::vector<IoCost> Cost() const = 0;      // the I/O before each point
  // Offers the states of point c (when `mine`) to the sink given by Start.
  virtual Status Visit(uint64_t c, bool mine, int context) = 0;
  virtual void Start(StateEnumerator::Sink sink) = 0;
};

// The run exploration walks: its crash points, and the bytes a failure
// stores (the trace, or the block log).
struct RecordedRun {
  std::string bytes;
  std::unique_ptr<CrashPoints> points;
};

// Runs the workload once under o.recorder (in `workdir`) and returns its
// crash points. Errors: the run could not be recorded, or the engine failed
// before any crash point.
[[nodiscard]] Result<RecordedRun> RecordForExplore(const ExploreOptions& o,
                                                   const VariantSpec& variant,
                                                   const Workload& workload,
                                                   const std::string& workdir);

}  // namespace crashlab
