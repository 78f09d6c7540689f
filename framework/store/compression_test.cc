#include "framework/store/compression.h"

#include <gtest/gtest.h>

#include <string>

namespace crashlab {
namespace {

TEST(Compression, RoundTripsAndShrinksRepetitiveBytes) {
  std::string page(4096, '\0');
  for (std::size_t i = 0; i < page.size(); i += 64) page[i] = static_cast<char>(i / 64);
  std::string trace;
  for (int i = 0; i < 200; ++i) trace += page;
  trace += std::string("\x00\xff tail", 7);
  const std::string blob = Compress(trace);
  EXPECT_EQ(blob.rfind(kCompressedMagic, 0), 0u);
  EXPECT_LT(blob.size(), trace.size() / 20);
  Result<std::string> back = Decompress(blob);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, trace);
}

TEST(Compression, EmptyStaysEmptyAndUncompressedBlobsReadAsThemselves) {
  EXPECT_EQ(Compress(""), "");
  // A trace stored before compression existed starts with the trace's own magic.
  const std::string old = std::string("CLTRACE\0\x01\xff", 10);
  Result<std::string> read = Decompress(old);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, old);
}

TEST(Compression, ADamagedBlobIsAnErrorSayingWhatIsWrong) {
  std::string blob = Compress(std::string(10000, 'x'));
  blob.resize(blob.size() / 2);
  Result<std::string> read = Decompress(blob);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("does not decompress"), std::string::npos);
  EXPECT_FALSE(Decompress("CLZ1\x01").ok());
}

// The size in the header, damaged, asked for that many bytes first:
// std::bad_alloc took repro, explain and report down.
TEST(Compression, ADamagedHugeSizeIsAnErrorNotAnAllocation) {
  const std::string good = Compress(std::string(10000, 'x'));
  for (const uint64_t size : {uint64_t{1} << 60, kDecompressedLimit + 1, uint64_t{50000000}}) {
    SCOPED_TRACE(size);
    std::string blob = good;
    for (int i = 0; i < 8; ++i)
      blob[kCompressedMagic.size() + i] = static_cast<char>(size >> (8 * i));
    Result<std::string> read = Decompress(blob);
    ASSERT_FALSE(read.ok());
    EXPECT_NE(read.status().message().find("claims " + std::to_string(size) + " bytes"),
              std::string::npos)
        << read.status().message();
  }
}

}  // namespace
}  // namespace crashlab
