#include "framework/base/prng.h"

#include <gtest/gtest.h>

#include <set>

namespace crashlab {
namespace {

// Golden values: if any of these change, every stored seed means a different
// case than it did when it was recorded. Never update them to make a test pass.
TEST(Prng, GoldenSequenceForSeedZero) {
  Prng prng(0);
  EXPECT_EQ(prng.Next(), 11091344671253066420ULL);
  EXPECT_EQ(prng.Next(), 13793997310169335082ULL);
  EXPECT_EQ(prng.Next(), 1900383378846508768ULL);
}

TEST(Prng, GoldenBoundedDraws) {
  Prng prng(12345);
  const uint64_t expected[] = {743, 130, 963, 48, 555};
  for (uint64_t e : expected) EXPECT_EQ(prng.Below(1000), e);
}

TEST(Prng, GoldenCaseStream) {
  EXPECT_EQ(Prng::ForCase(1, kWorkloadStream, 0).Next(), 10802105106192501124ULL);
}

TEST(Prng, GoldenRangeIncludingFullSpan) {
  Prng prng(7);
  EXPECT_EQ(prng.Range(-5, 5), 2);
  EXPECT_EQ(prng.Range(INT64_MIN, INT64_MAX), 5142052590334782674LL);
}

TEST(Prng, SameSeedSameSequence) {
  Prng a(99), b(99);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.Next(), b.Next());
}

TEST(Prng, StreamsAndCasesAreIndependent) {
  std::set<uint64_t> firsts;
  for (uint64_t stream = 0; stream < 4; ++stream) {
    for (uint64_t index = 0; index < 64; ++index) {
      firsts.insert(Prng::ForCase(5, stream, index).Next());
    }
  }
  EXPECT_EQ(firsts.size(), 4u * 64u);
}

TEST(Prng, BelowStaysInBoundAndCoversIt) {
  Prng prng(3);
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = prng.Below(7);
    ASSERT_LT(v, 7u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(Prng, BytesUseOnlyTheAlphabet) {
  Prng prng(4);
  const std::string s = prng.Bytes(500, "ab");
  EXPECT_EQ(s.size(), 500u);
  EXPECT_EQ(s.find_first_not_of("ab"), std::string::npos);
  EXPECT_NE(s.find('a'), std::string::npos);
  EXPECT_NE(s.find('b'), std::string::npos);
}

}  // namespace
}  // namespace crashlab
