#include "framework/case/trace_cost.h"

#include <gtest/gtest.h>

#include "faults/trace_builder_for_tests.h"

namespace crashlab {
namespace {

using faults::EventKind;

TEST(TraceCost, CountsSyncsAndBytesUpToEachCrashPoint) {
  faults::TraceBuilder b;
  b.Create("journal", 1, faults::kOpenDsync);
  b.Write(1, 0, "abcd", faults::kOpenDsync);  // an O_DSYNC write is a sync too
  b.Create("data", 2);
  b.MapWrite(2, 0, std::string(4096, 'x'));
  b.Sync(EventKind::kMsync, 2, 0, 4096);
  b.Write(2, 4096, "tail");
  const std::vector<IoCost> cost = CumulativeCost(b.trace());
  ASSERT_EQ(cost.size(), 7u);
  EXPECT_EQ(cost[0].syncs, 0);
  EXPECT_EQ(cost[2].syncs, 1);
  EXPECT_EQ(cost[2].bytes_written, 4);
  EXPECT_EQ(cost[4].bytes_written, 4 + 4096);
  EXPECT_EQ(cost[5].syncs, 2);
  EXPECT_EQ(cost[6].bytes_written, 4 + 4096 + 4);
}

}  // namespace
}  // namespace crashlab
