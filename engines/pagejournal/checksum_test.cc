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

// Eight bytes a step must give what one byte at a time gives, at every
// length and alignment.
TEST(Crc32c, EightBytesAtATimeEqualsOneByteAtATime) {
  std::string data;
  for (int i = 0; i < 100; ++i) data += static_cast<char>((i * 131 + 7) & 0xFF);
  for (std::size_t start = 0; start < 8; ++start) {
    for (std::size_t len = 0; start + len <= data.size(); ++len) {
      uint32_t bytewise = 0;
      for (std::size_t k = 0; k < len; ++k) bytewise = Crc32c(data.data() + start + k, 1, bytewise);
      ASSERT_EQ(Crc32c(data.data() + start, len), bytewise) << start << "+" << len;
    }
  }
}

TEST(Crc32c, OneFlippedBitChangesIt) {
  std::string data(4096, 'x');
  const uint32_t before = Crc32c(data.data(), data.size());
  data[1234] ^= 0x10;
  EXPECT_NE(Crc32c(data.data(), data.size()), before);
}

}  // namespace
}  // namespace crashlab::pagejournal
