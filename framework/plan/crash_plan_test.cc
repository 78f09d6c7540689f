#include "framework/plan/crash_plan.h"

#include <gtest/gtest.h>

#include <set>

namespace crashlab {
namespace {

TEST(CrashPlan, TextFormRoundTrips) {
  for (const KillPlan& plan : {KillPlan{5, 120, "", 0}, KillPlan{0, 0, "journal.write:after", 3}}) {
    Result<KillPlan> parsed = KillPlan::Parse(plan.ToString());
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(*parsed, plan);
  }
  EXPECT_EQ((KillPlan{5, 120, "", 0}.ToString()), "kill txn=5 delay_us=120");
  EXPECT_EQ((KillPlan{0, 0, "flush.copy:done", 2}.ToString()), "kill point=flush.copy:done hit=2");
}

TEST(CrashPlan, MalformedTextIsRejected) {
  for (const char* bad : {"", "kill", "kill txn=1", "kill txn=1 delay_us=-4", "kill point= hit=2",
                          "kill point=a hit=0", "kill point=a hit=2x"}) {
    EXPECT_FALSE(KillPlan::Parse(bad).ok()) << bad;
  }
}

TEST(CrashPlan, TimedPlansStayInsideTheWorkload) {
  for (uint64_t i = 0; i < 500; ++i) {
    const KillPlan plan = PlanKill(3, i, 7);
    EXPECT_LT(plan.txn, 7u);
    EXPECT_GE(plan.delay_us, 0);
    EXPECT_LE(plan.delay_us, 20000);
  }
}

TEST(CrashPlan, AnyPointSpreadsOverEveryPoint) {
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

TEST(CrashPlan, GoldenPlans) {
  EXPECT_EQ(PlanKill(1, 3, 9).ToString(), "kill txn=7 delay_us=4590");
}

}  // namespace
}  // namespace crashlab
