#include "framework/base/vocabulary.h"

#include <gtest/gtest.h>

#include <set>

namespace crashlab {
namespace {

TEST(CrashKindsTest, ParsesOneKindOrBothInEitherOrder) {
  using K = std::vector<CrashKind>;
  EXPECT_EQ(ParseCrashKinds("kill"), K{CrashKind::kKill});
  EXPECT_EQ(ParseCrashKinds("power-loss"), K{CrashKind::kPowerLoss});
  EXPECT_EQ(ParseCrashKinds("kill,power-loss"), (K{CrashKind::kKill, CrashKind::kPowerLoss}));
  EXPECT_EQ(ParseCrashKinds("power-loss,kill"), (K{CrashKind::kKill, CrashKind::kPowerLoss}));
  EXPECT_EQ(CrashKindsName(ParseCrashKinds("power-loss,kill").value()), "kill,power-loss");
}

TEST(CrashKindsTest, RefusesRepeatsBlanksAndUnknownWords) {
  for (const char* bad : {"", ",", "kill,", ",kill", "kill,kill", "kill power-loss", "Kill"}) {
    EXPECT_FALSE(ParseCrashKinds(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(VerdictTableTest, EveryVerdictHasOneRowWithItsWordColourAndDescription) {
  std::set<std::string_view> names, colours;
  for (const VerdictInfo& v : VerdictTable()) {
    EXPECT_EQ(&InfoOf(v.verdict), &v) << v.name;
    EXPECT_EQ(Name(v.verdict), v.name);
    EXPECT_EQ(ParseVerdict(v.name), v.verdict);
    EXPECT_TRUE(names.insert(v.name).second) << v.name;
    EXPECT_TRUE(colours.insert(v.colour).second) << v.name << " shares its colour";
    EXPECT_EQ(v.colour.size(), 7u) << v.name;
    EXPECT_FALSE(v.description.empty()) << v.name;
  }
  EXPECT_EQ(names.size(), 8u);
  EXPECT_EQ(InfoOf(Verdict::kLostAcked).colour, "#cf222e");
  EXPECT_FALSE(ParseVerdict("Pass").has_value());
  EXPECT_EQ(Name(static_cast<Verdict>(99)), "?");
}

// The table's loss flag is what the contracts read: a loss may be allowed,
// an engine fault never, a pass always.
TEST(VerdictTableTest, EngineFaultsAreTheVerdictsNoContractAllows) {
  for (const VerdictInfo& v : VerdictTable()) {
    const bool allowed_somewhere = !Violates(v.verdict, Contract::kNone);
    EXPECT_EQ(IsEngineFault(v.verdict), !allowed_somewhere) << v.name;
    EXPECT_EQ(v.loss, v.verdict != Verdict::kPass && allowed_somewhere) << v.name;
    EXPECT_EQ(Violates(v.verdict, Contract::kDurable), v.verdict != Verdict::kPass) << v.name;
  }
  EXPECT_TRUE(IsEngineFault(Verdict::kHang));
  EXPECT_TRUE(IsEngineFault(Verdict::kProtocolError));
  EXPECT_FALSE(IsEngineFault(Verdict::kRecoveryFailed));
  EXPECT_FALSE(Violates(Verdict::kLostAcked, Contract::kPrefix));
  EXPECT_TRUE(Violates(Verdict::kHole, Contract::kPrefix));
}

TEST(VocabularyTest, CrashKindsAndContractsReadBackTheirWords) {
  for (CrashKind k : kCrashKinds) EXPECT_EQ(ParseCrashKind(Name(k)), k);
  for (Contract c : kContracts) EXPECT_EQ(ParseContract(Name(c)), c);
  EXPECT_EQ(Name(CrashKind::kPowerLoss), "power-loss");
  EXPECT_EQ(Name(Contract::kPrefix), "prefix");
  EXPECT_FALSE(ParseContract("strict").has_value());
}

}  // namespace
}  // namespace crashlab
