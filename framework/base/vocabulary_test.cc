#include "framework/base/vocabulary.h"

#include <gtest/gtest.h>

namespace crashlab {
namespace {

TEST(CrashKindsTest, ParsesOneKindOrBothInEitherOrder) {
  using K = std::vector<CrashKind>;
  EXPECT_EQ(ParseCrashKinds("kill"), K{CrashKind::kKill});
  EXPECT_EQ(ParseCrashKinds("power-loss"), K{CrashKind::kPowerLoss});
  EXPECT_EQ(ParseCrashKinds("kill,power-loss"), (K{CrashKind::kKill, CrashKind::kPowerLoss}));
  EXPECT_EQ(ParseCrashKinds("power-loss,kill"), (K{CrashKind::kKill, CrashKind::kPowerLoss}));
  EXPECT_EQ(CrashKindsName(*ParseCrashKinds("power-loss,kill")), "kill,power-loss");
}

TEST(CrashKindsTest, RefusesRepeatsBlanksAndUnknownWords) {
  for (const char* bad : {"", ",", "kill,", ",kill", "kill,kill", "kill power-loss", "Kill"}) {
    EXPECT_FALSE(ParseCrashKinds(bad).has_value()) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace crashlab
