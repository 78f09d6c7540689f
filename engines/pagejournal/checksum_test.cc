#include "engines/pagejournal/checksum.h"

#include <gtest/gtest.h>

#include <string>

namespace crashlab::pagejournal {
namespace {

TEST(Crc32c, MatchesTheStandardCheckValue) {
  const std::string data = "123456789";
  EXPECT_EQ(Crc32c(data.data(), data.size()), 0xE3069283u);
}

TEST(Crc32c, EmptyInputIsZero) { EXPECT_EQ(Crc32c("", 0), 0u); }

TEST(Crc32c, ContinuingEqualsComputingAtOnce) {
  const std::string a = "page journal ";
  const std::string b = "records";
  const std::string ab = a + b;
  EXPECT_EQ(Crc32c(b.data(), b.size(), Crc32c(a.data(), a.size())), Crc32c(ab.data(), ab.size()));
}

TEST(Crc32c, OneFlippedBitChangesIt) {
  std::string data(4096, 'x');
  const uint32_t before = Crc32c(data.data(), data.size());
  data[1234] ^= 0x10;
  EXPECT_NE(Crc32c(data.data(), data.size()), before);
}

}  // namespace
}  // namespace crashlab::pagejournal
