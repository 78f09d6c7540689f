#include "framework/case/value_difference.h"

#include <gtest/gtest.h>

#include <string>

#include "framework/case/oracle.h"

namespace crashlab {
namespace {

TEST(ValueDifference, EqualValues_HaveNone) { EXPECT_EQ(ValueDifference("abc", "abc"), ""); }

TEST(ValueDifference, NamesTheFirstDifferingByteAndAWindowAroundIt) {
  std::string expected(100, 'v');
  std::string recovered = expected;
  recovered[80] = '\0';
  EXPECT_EQ(ValueDifference(expected, recovered, 16),
            "first difference at byte 80 (of 100 expected, 100 recovered bytes): expected "
            "'...vvvvvvvvvvvvvvvv...', recovered '...vvvv%00vvvvvvvvvvv...'");
}

TEST(ValueDifference, APrefixDiffersWhereTheShorterValueEnds) {
  EXPECT_EQ(ValueDifference("abcdef", "abc", 8),
            "first difference at byte 3 (of 6 expected, 3 recovered bytes): expected '...bcdef', "
            "recovered '...bc'");
  EXPECT_EQ(ValueDifference("abc", "", 8),
            "first difference at byte 0 (of 3 expected, 0 recovered bytes): expected 'abc', "
            "recovered '' (it ends there)");
}

// The oracle's expected-versus-recovered of a corrupt value: two values
// equal in their first 48 bytes differ where the difference says.
TEST(ValueDifference, ACorruptValueLongerThanItsPreview_ShowsWhereItDiffers) {
  const std::string good(64, 'a');
  std::string bad = good;
  bad[60] = 'Z';
  OracleInput in;
  in.sent.push_back(Txn{{protocol::Op{true, "k", good}}, false});
  in.acked = 1;
  in.recovered["k"] = bad;
  const Judgement j = Judge(in);
  EXPECT_EQ(j.verdict, Verdict::kCorrupt);
  EXPECT_NE(j.difference.find("first difference at byte 60 (of 64 expected, 64 recovered "
                              "bytes): expected '...aaaaaaaa"),
            std::string::npos)
      << j.difference;
  EXPECT_NE(j.difference.find("recovered '...aaaaaaaaZaaa'"), std::string::npos) << j.difference;
}

}  // namespace
}  // namespace crashlab
