#include "engines/pagejournal/header_file.h"

#include <gtest/gtest.h>

#include <vector>

#include "engines/pagejournal/test_support.h"

namespace crashlab::pagejournal {
namespace {

using testing_support::Overwrite;
using testing_support::TempDir;

Checkpoint At(uint64_t txn) {
  Checkpoint cp;
  cp.page_size = 4096;
  cp.txn = txn;
  cp.journal = JournalPos{txn + 1, txn * 4096};
  cp.page_count = 17 + txn;
  return cp;
}

class HeaderFilesTest : public ::testing::Test {
 protected:
  HeaderFiles OpenOk(bool single = false) {
    Result<HeaderFiles> h = HeaderFiles::Open(dir_.path(), single);
    EXPECT_TRUE(h.ok()) << h.status().message();
    return std::move(*h);
  }
  // A torn write of header `name`: its second half is zeros.
  void Tear(const std::string& name) {
    Overwrite(dir_.Sub(name), kHeaderBytes / 2, std::vector<uint8_t>(kHeaderBytes / 2, 0));
  }
  TempDir dir_;
};

TEST(HeaderBlock, EncodeThenDecodeGivesBackTheCheckpoint) {
  Checkpoint cp = At(7);
  cp.seq = 12;
  std::vector<uint8_t> block(kHeaderBytes);
  EncodeHeader(cp, block.data());
  Result<Checkpoint> back = DecodeHeader(block.data(), block.size());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, cp);
  block[100] ^= 1;  // a byte no field uses is still covered by the checksum
  EXPECT_FALSE(DecodeHeader(block.data(), block.size()).ok());
}

TEST_F(HeaderFilesTest, NewStoreHasHeaderAWithTheFirstCheckpoint) {
  EXPECT_FALSE(HeaderFiles::StoreExists(dir_.path()));
  ASSERT_TRUE(HeaderFiles::Create(dir_.path(), At(0), false).ok());
  EXPECT_TRUE(HeaderFiles::StoreExists(dir_.path()));
  HeaderFiles h = OpenOk();
  EXPECT_EQ(h.newest().seq, 1u);
  EXPECT_EQ(h.newest().page_count, 17u);
}

TEST_F(HeaderFilesTest, WritesAlternateAndTheNewestValidOneWins) {
  ASSERT_TRUE(HeaderFiles::Create(dir_.path(), At(0), false).ok());
  HeaderFiles h = OpenOk();
  ASSERT_TRUE(h.Write(At(1)).ok());  // into header.b (seq 2)
  ASSERT_TRUE(h.Write(At(2)).ok());  // into header.a (seq 3)
  EXPECT_EQ(OpenOk().newest().txn, 2u);
  EXPECT_EQ(OpenOk().newest().seq, 3u);
  ASSERT_TRUE(h.Write(At(3)).ok());  // into header.b (seq 4)
  EXPECT_EQ(OpenOk().newest().txn, 3u);
}

TEST_F(HeaderFilesTest, TornNewestHeaderFallsBackToTheOther) {
  ASSERT_TRUE(HeaderFiles::Create(dir_.path(), At(0), false).ok());
  HeaderFiles h = OpenOk();
  ASSERT_TRUE(h.Write(At(1)).ok());  // header.b, seq 2
  ASSERT_TRUE(h.Write(At(2)).ok());  // header.a, seq 3
  Tear("header.a");
  EXPECT_EQ(OpenOk().newest().txn, 1u);
  EXPECT_EQ(OpenOk().newest().seq, 2u);
}

TEST_F(HeaderFilesTest, BothHeadersInvalidIsAnErrorNamingThem) {
  ASSERT_TRUE(HeaderFiles::Create(dir_.path(), At(0), false).ok());
  HeaderFiles h = OpenOk();
  ASSERT_TRUE(h.Write(At(1)).ok());
  Tear("header.a");
  Tear("header.b");
  Result<HeaderFiles> bad = HeaderFiles::Open(dir_.path(), false);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("header.a"), std::string::npos);
  EXPECT_NE(bad.status().message().find("header.b"), std::string::npos);
}

TEST_F(HeaderFilesTest, SingleHeaderLosesTheStoreToOneTornWrite) {
  ASSERT_TRUE(HeaderFiles::Create(dir_.path(), At(0), true).ok());
  HeaderFiles h = OpenOk(true);
  ASSERT_TRUE(h.Write(At(1)).ok());
  EXPECT_EQ(OpenOk(true).newest().txn, 1u);
  Tear("header.a");
  EXPECT_FALSE(HeaderFiles::Open(dir_.path(), true).ok());
}

}  // namespace
}  // namespace crashlab::pagejournal
