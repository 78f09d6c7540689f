#include "framework/explore/explore_states.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "faults/trace_builder_for_tests.h"
#include "framework/case/traced_case.h"

namespace crashlab {
namespace {

using faults::EventKind;

// 20 appends of two units each, never synced, then one fsync.
faults::Trace ManyPendingWrites() {
  faults::TraceBuilder t;
  t.Create("log", 1);
  t.Sync(EventKind::kFsync, 1);
  for (int i = 0; i < 20; ++i) t.Write(1, static_cast<uint64_t>(i) * 1024, std::string(1024, 'x'));
  t.Sync(EventKind::kFsync, 1);
  return t.trace();
}

// The plans of the power-loss states offered at crash point `c`.
std::vector<std::string> PlansAt(const faults::Trace& trace, const ExploreOptions& o, uint64_t c) {
  std::vector<std::string> plans;
  StateEnumerator states(trace, o, [&](Candidate candidate, uint64_t, const auto&) {
    if (candidate.crash == CrashKind::kPowerLoss && candidate.event == c) {
      plans.push_back(PlanText(candidate, o, trace.events.size()));
    }
    return Status::Ok();
  });
  for (uint64_t p = 0; p <= trace.events.size(); ++p) EXPECT_TRUE(states.Visit(p, true, 0).ok());
  return plans;
}

// At a sync, each pending write is torn at its first unit and at its last
// (old, or garbage) with the rest kept, up to tear_writes of them, plus
// tear_samples seeded tears: bounded, and the same in every run.
TEST(StateEnumeratorTest, PendingWritesTearBoundedAndDeterministic) {
  const faults::Trace trace = ManyPendingWrites();
  ExploreOptions o;
  o.crashes = {CrashKind::kPowerLoss};
  o.atomic_unit = 512;
  o.seed = 4;
  const uint64_t sync = trace.events.size() - 1;
  const std::vector<std::string> plans = PlansAt(trace, o, sync);
  int pending_tears = 0;
  for (const std::string& plan : plans) {
    if (plan.find(" tear=") != std::string::npos && plan.find('@') != std::string::npos) {
      ++pending_tears;
      EXPECT_NE(plan.find("keep=0xffffffffffffffff"), std::string::npos) << plan;
    }
  }
  EXPECT_EQ(pending_tears, o.tear_writes * 3 + o.tear_samples);
  EXPECT_EQ(PlansAt(trace, o, sync), plans);
  // Each offered edge tear names a write of the trace and both its units.
  EXPECT_NE(std::find_if(
                plans.begin(), plans.end(),
                [](const std::string& p) { return WithoutModelToken(p).ends_with(" tear=ON@21"); }),
            plans.end());
  // With few pending writes, every one of them tears.
  o.tear_writes = 64;
  int all = 0;
  for (const std::string& plan : PlansAt(trace, o, sync))
    all += plan.find('@') != std::string::npos;
  EXPECT_EQ(all, 20 * 3 + o.tear_samples);
}

// The plan text names the torn pending write, and reads back as the same
// choices (repro and shrink rebuild the state from it).
TEST(StateEnumeratorTest, ATornPendingWritesPlanReadsBack) {
  ExploreOptions o;
  Candidate c;
  c.crash = CrashKind::kPowerLoss;
  c.event = 60;
  c.seed = 9;
  c.choices = faults::PowerLossChoices{~uint64_t{0}, "NNO", 55};
  const std::string text = PlanText(c, o, 100);
  EXPECT_NE(text.find(" tear=NNO@55"), std::string::npos) << text;
  Result<TracedPlan> r = ParseTracedPlan(text, CrashKind::kPowerLoss);
  ASSERT_TRUE(r.ok()) << text << ": " << r.status().message();
  ASSERT_TRUE(r->plan.choices.has_value());
  EXPECT_EQ(*r->plan.choices, c.choices);
  EXPECT_EQ(r->plan.event, 60u);
  // The write in flight's tear names no event.
  c.choices = faults::PowerLossChoices{~uint64_t{0}, "NO"};
  r = ParseTracedPlan(PlanText(c, o, 100), CrashKind::kPowerLoss);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r->plan.choices, c.choices);
}

}  // namespace
}  // namespace crashlab
