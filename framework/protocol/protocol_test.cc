#include "framework/protocol/protocol.h"

#include <gtest/gtest.h>

namespace crashlab::protocol {
namespace {

TEST(Protocol, EveryByteRoundTrips) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  const std::string encoded = Encode(all);
  EXPECT_EQ(encoded.find(' '), std::string::npos);
  EXPECT_EQ(encoded.find('\n'), std::string::npos);
  Result<std::string> decoded = Decode(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, all);
}

TEST(Protocol, PrintableBytesStandForThemselves) {
  EXPECT_EQ(Encode("key-1/a:b"), "key-1/a:b");
  EXPECT_EQ(Encode("a b%\n"), "a%20b%25%0A");
  EXPECT_EQ(Encode(""), "");
}

TEST(Protocol, DecodeAcceptsLowerCaseHexAndRejectsBadEscapes) {
  EXPECT_EQ(Decode("%0a%ff").value(), std::string("\n\xff"));
  EXPECT_FALSE(Decode("%").ok());
  EXPECT_FALSE(Decode("%4").ok());
  EXPECT_FALSE(Decode("%zz").ok());
  EXPECT_FALSE(Decode("a b").ok());
  EXPECT_FALSE(Decode(std::string("\xc3\xa9")).ok());
}

TEST(Protocol, SplitFieldsKeepsEmptyTrailingValue) {
  const auto f = SplitFields("put k ");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[2], "");
  EXPECT_EQ(SplitFields("dump").size(), 1u);
}

TEST(Protocol, ReadableKeepsSpacesAndEscapesControlBytes) {
  EXPECT_EQ(Readable("disk full\x01"), "disk full\\x01");
  EXPECT_EQ(Readable("abcdef", 3), "abc...");
}

TEST(Protocol, PrintableCutsLongInput) {
  EXPECT_EQ(Printable("abcdef", 3), "abc...");
  EXPECT_EQ(Printable("ab", 3), "ab");
}

}  // namespace
}  // namespace crashlab::protocol
