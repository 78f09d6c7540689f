#include "framework/compression.h"

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

TEST(Compression, ADamagedBlobIsAnErrorNamingTheDatabase) {
  std::string blob = Compress(std::string(10000, 'x'));
  blob.resize(blob.size() / 2);
  Result<std::string> read = Decompress(blob);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("results database is damaged"), std::string::npos);
  EXPECT_FALSE(Decompress("CLZ1\x01").ok());
}

}  // namespace
}  // namespace crashlab
