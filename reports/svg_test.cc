#include "reports/svg.h"

#include <gtest/gtest.h>

namespace crashlab::report {
namespace {

// The verdict bars draw each verdict in its table colour, and the legend
// under them says what the verdict means (as a tooltip), once per verdict.
TEST(StackedBars, TheVerdictLegendTellsEachVerdictsColourAndMeaning) {
  const std::string svg = StackedBars(
      "bars",
      {Bar{"a/x kill", {VerdictSegment(Verdict::kPass, 3), VerdictSegment(Verdict::kTornTxn, 1)}},
       Bar{"a/y kill", {VerdictSegment(Verdict::kTornTxn, 2)}}});
  const VerdictInfo& torn = InfoOf(Verdict::kTornTxn);
  EXPECT_NE(svg.find("fill=\"" + std::string(torn.colour) + "\""), std::string::npos) << svg;
  const std::string entry =
      "<span title=\"" + std::string(torn.description) +
      "\"><i class=\"swatch\" style=\"background:" + std::string(torn.colour) +
      "\"></i>torn-txn</span>";
  const std::size_t at = svg.find(entry);
  ASSERT_NE(at, std::string::npos) << svg;
  EXPECT_EQ(svg.find(entry, at + 1), std::string::npos) << "one legend entry per verdict";
  EXPECT_NE(svg.find("background:#2da44e\"></i>pass</span>"), std::string::npos) << svg;
}

}  // namespace
}  // namespace crashlab::report
