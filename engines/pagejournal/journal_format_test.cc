#include "engines/pagejournal/journal_format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "engines/pagejournal/test_support.h"

namespace crashlab::pagejournal {
namespace {

using testing_support::kPage;

std::vector<uint8_t> Page(uint8_t fill) { return std::vector<uint8_t>(kPage, fill); }

// A 12 KiB record: header and two 4 KiB images, padded.
AlignedBuffer TwoPageRecord(uint64_t txn, const std::vector<uint8_t>& a,
                            const std::vector<uint8_t>& b) {
  return EncodeRecord(txn, 10, kPage, {{3, a.data()}, {7, b.data()}});
}

TEST(JournalRecord, EncodeThenDecodeGivesBackEveryField) {
  const std::vector<uint8_t> a = Page(0xA1), b = Page(0xB2);
  const AlignedBuffer buf = TwoPageRecord(42, a, b);
  EXPECT_EQ(buf.size(), 3 * kRecordAlign);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buf.data()) % kRecordAlign, 0u);
  Result<Record> r = DecodeRecord(buf.data(), buf.size(), buf.size(), kPage, Verify::kChecksum);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->header.txn, 42u);
  EXPECT_EQ(r->header.page_count, 10u);
  EXPECT_EQ(r->header.image_count, 2u);
  EXPECT_EQ(r->header.length, RecordLength(2, kPage));
  EXPECT_EQ(r->padded_length(), buf.size());
  EXPECT_EQ(r->page_no(0), 3u);
  EXPECT_EQ(r->page_no(1), 7u);
  EXPECT_EQ(std::memcmp(r->page(0), a.data(), kPage), 0);
  EXPECT_EQ(std::memcmp(r->page(1), b.data(), kPage), 0);
}

TEST(JournalRecord, ChecksumRejectsAFlippedByteAnywhere) {
  const std::vector<uint8_t> a = Page(1), b = Page(2);
  const AlignedBuffer good = TwoPageRecord(5, a, b);
  for (std::size_t at : {std::size_t{8}, std::size_t{70}, std::size_t{5000},
                         static_cast<std::size_t>(RecordLength(2, kPage) - 1)}) {
    std::vector<uint8_t> bad(good.data(), good.data() + good.size());
    bad[at] ^= 0x01;
    EXPECT_FALSE(DecodeRecord(bad.data(), bad.size(), bad.size(), kPage, Verify::kChecksum).ok())
        << "flipped byte " << at;
  }
}

TEST(JournalRecord, WithoutChecksumAFlippedPageByteIsTrusted) {
  // What the no-checksum bug replays.
  const std::vector<uint8_t> a = Page(1), b = Page(2);
  const AlignedBuffer good = TwoPageRecord(5, a, b);
  std::vector<uint8_t> bad(good.data(), good.data() + good.size());
  bad[5000] ^= 0x01;
  EXPECT_TRUE(DecodeRecord(bad.data(), bad.size(), bad.size(), kPage, Verify::kHeaderOnly).ok());
}

TEST(JournalRecord, TornRecordFollowedByZerosIsRejected) {
  const std::vector<uint8_t> a = Page(1), b = Page(2);
  const AlignedBuffer good = TwoPageRecord(5, a, b);
  std::vector<uint8_t> torn(good.size(), 0);
  std::memcpy(torn.data(), good.data(), 4096);  // only the first 4 KiB reached the disk
  Result<Record> r = DecodeRecord(torn.data(), torn.size(), torn.size(), kPage, Verify::kChecksum);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("checksum"), std::string::npos) << r.status().message();
}

TEST(JournalRecord, TornRecordFollowedByOldBytesIsRejected) {
  const std::vector<uint8_t> a = Page(1), b = Page(2), c = Page(3), d = Page(4);
  const AlignedBuffer old_record = TwoPageRecord(1, c, d);
  const AlignedBuffer good = TwoPageRecord(5, a, b);
  std::vector<uint8_t> torn(old_record.data(), old_record.data() + old_record.size());
  std::memcpy(torn.data(), good.data(), 4096);
  EXPECT_FALSE(DecodeRecord(torn.data(), torn.size(), torn.size(), kPage, Verify::kChecksum).ok());
}

TEST(JournalRecord, HeaderChecksCatchWhatTheChecksumNeverSees) {
  const std::vector<uint8_t> a = Page(1), b = Page(2);
  const AlignedBuffer good = TwoPageRecord(5, a, b);
  // Zeros: no magic.
  std::vector<uint8_t> zeros(good.size(), 0);
  EXPECT_FALSE(ParseRecordHeader(zeros.data(), zeros.size(), kPage).ok());
  // Another page size.
  EXPECT_FALSE(ParseRecordHeader(good.data(), good.size(), 8192).ok());
  // Not enough room left in the journal file for the whole record.
  EXPECT_FALSE(ParseRecordHeader(good.data(), good.size() - kRecordAlign, kPage).ok());
  EXPECT_TRUE(ParseRecordHeader(good.data(), good.size(), kPage).ok());
}

TEST(JournalRecord, ImageBeyondTheRecordsPageCountIsRejected) {
  const std::vector<uint8_t> a = Page(1);
  const AlignedBuffer buf = EncodeRecord(9, 4, kPage, {{4, a.data()}});
  EXPECT_FALSE(DecodeRecord(buf.data(), buf.size(), buf.size(), kPage, Verify::kChecksum).ok());
}

}  // namespace
}  // namespace crashlab::pagejournal
