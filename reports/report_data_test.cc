#include "reports/report_data.h"

#include <gtest/gtest.h>

namespace crashlab::report {
namespace {

TEST(ReportData, FaultKindNamesThePlansKind) {
  EXPECT_EQ(FaultKind(CrashKind::kKill, "kill txn=4 delay_us=120"), "timed kill");
  EXPECT_EQ(FaultKind(CrashKind::kKill, "kill point=journal.write:after hit=3"),
            "kill at journal.write:after");
  EXPECT_EQ(FaultKind(CrashKind::kKill, "live kill-at=57 kill event=57"), "live kill");
  EXPECT_EQ(FaultKind(CrashKind::kPowerLoss, "power-loss event=5/9 profile=posix unit=512 seed=1"),
            "power loss");
  EXPECT_EQ(FaultKind(CrashKind::kKill, "explore workload=0 txns=10 kill event=4"),
            "explored kill");
  EXPECT_EQ(FaultKind(CrashKind::kPowerLoss, "explore workload=stored txns=1 power-loss event=4/9"),
            "explored power loss");
}

TEST(ReportData, PercentileIsTheNearestRank) {
  EXPECT_EQ(Percentile({}, 0.5), -1);
  EXPECT_EQ(Percentile({7}, 0.99), 7);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  EXPECT_EQ(Percentile(hundred, 0.5), 50);
  EXPECT_EQ(Percentile(hundred, 0.99), 99);
  EXPECT_EQ(Percentile(hundred, 1.0), 100);
}

}  // namespace
}  // namespace crashlab::report
