#include "framework/plan/plan_draws.h"

#include <gtest/gtest.h>

#include <set>

#include "faults/trace_builder_for_tests.h"

namespace crashlab {
namespace {

TEST(PlanDraws, TimedPlansStayInsideTheWorkload) {
  for (uint64_t i = 0; i < 500; ++i) {
    const KillPlan plan = PlanKill(3, i, 7);
    EXPECT_LT(plan.txn, 7u);
    EXPECT_GE(plan.delay_us, 0);
    EXPECT_LE(plan.delay_us, 20000);
  }
}

TEST(PlanDraws, AnyPointSpreadsOverEveryPoint) {
  const std::vector<std::string> points{"a:before", "b:after", "recovery.replay:record"};
  std::set<std::string> chosen;
  for (uint64_t i = 0; i < 200; ++i) {
    const KillPlan plan = PlanPointKill(3, i, 10, "any", points);
    chosen.insert(plan.point);
    EXPECT_GE(plan.hit, 1);
    EXPECT_LE(plan.hit, 10);
  }
  EXPECT_EQ(chosen.size(), points.size());
  EXPECT_TRUE(PlanPointKill(3, 0, 10, "recovery.replay:record", points).in_recovery());
}

TEST(PlanDraws, GoldenPlans) {
  EXPECT_EQ(PlanKill(1, 3, 9).ToString(), "kill txn=7 delay_us=4590 model=2");
}

TEST(PlanDraws, AKillCaseDrawsATimedKillWithoutAPointAndAPointKillWithOne) {
  const std::vector<std::string> points{"a:before", "b:after"};
  EXPECT_EQ(DrawKillPlan(3, 5, 9, "", points), PlanKill(3, 5, 9));
  EXPECT_EQ(DrawKillPlan(3, 5, 9, "any", points), PlanPointKill(3, 5, 9, "any", points));
}

// A trace with two hits of point "x:after" among writes.
faults::Trace TraceWithPoints() {
  faults::TraceBuilder t;
  t.Create("log", 1);
  for (int i = 0; i < 2; ++i) {
    t.Write(1, static_cast<uint64_t>(i) * 512, std::string(512, 'x'));
    faults::Event point;
    point.kind = faults::EventKind::kPoint;
    point.name = "x:after";
    t.Add(point);
  }
  return t.trace();
}

TEST(PlanDraws, ATracedCrashAtAPointLandsOnAHitOfThatPoint) {
  const faults::Trace trace = TraceWithPoints();
  std::set<uint64_t> hits;
  for (const faults::Event& e : trace.events) {
    if (e.kind == faults::EventKind::kPoint) hits.insert(e.seq);
  }
  std::set<uint64_t> drawn;
  for (uint64_t i = 0; i < 50; ++i) {
    Result<TracedCrashDraw> draw = DrawTracedCrash(trace, 7, i, "x:after");
    ASSERT_TRUE(draw.ok()) << draw.status().message();
    EXPECT_EQ(hits.count(draw->event), 1u) << draw->event;
    drawn.insert(draw->event);
  }
  EXPECT_EQ(drawn, hits);
  Result<TracedCrashDraw> never = DrawTracedCrash(trace, 7, 0, "y:before");
  ASSERT_FALSE(never.ok());
  EXPECT_NE(never.status().message().find("never reached point y:before"), std::string::npos);
}

TEST(PlanDraws, ATracedCrashStaysInsideTheTraceAndItsSeedFitsAStoredInteger) {
  const faults::Trace trace = TraceWithPoints();
  for (uint64_t i = 0; i < 200; ++i) {
    Result<TracedCrashDraw> draw = DrawTracedCrash(trace, 7, i, "");
    ASSERT_TRUE(draw.ok()) << draw.status().message();
    EXPECT_LE(draw->event, trace.events.size());
    EXPECT_LT(draw->seed, uint64_t{1} << 63);
    // The same seed and case draw the same crash.
    EXPECT_EQ(DrawTracedCrash(trace, 7, i, "")->event, draw->event);
  }
}

TEST(PlanDraws, ExplorationsTearDrawsAreAStreamApartFromItsSubsetDraws) {
  for (uint64_t c = 0; c < 50; ++c) {
    EXPECT_NE(ExploreSubsetDraws(4, c).Next(), ExploreTearDraws(4, c).Next()) << c;
    EXPECT_EQ(ExploreStateSeed(4, c), ExploreSubsetDraws(4, c).Next() >> 1) << c;
  }
}

}  // namespace
}  // namespace crashlab
