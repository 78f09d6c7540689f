#include "engines/pagejournal/journal.h"

#include <gtest/gtest.h>

#include <vector>

#include "engines/pagejournal/file_util.h"
#include "engines/pagejournal/recovery.h"
#include "engines/pagejournal/test_support.h"

namespace crashlab::pagejournal {
namespace {

using testing_support::kPage;
using testing_support::Overwrite;
using testing_support::TempDir;

// Records of `images` pages (4 KiB header block + images, padded) filled
// with the transaction id.
AlignedBuffer RecordOf(uint64_t txn, std::size_t images) {
  const std::vector<uint8_t> page(kPage, static_cast<uint8_t>(txn));
  std::vector<PageImage> list;
  for (std::size_t i = 0; i < images; ++i) list.push_back({i, page.data()});
  return EncodeRecord(txn, 64, kPage, list);
}

class JournalTest : public ::testing::Test {
 protected:
  std::unique_ptr<JournalWriter> Writer(uint64_t file_size) {
    JournalConfig config;
    config.dir = dir_.path();
    config.file_size = file_size;
    Result<std::vector<uint64_t>> present = ListJournals(dir_.path());
    EXPECT_TRUE(present.ok());
    Result<std::unique_ptr<JournalWriter>> w = JournalWriter::Open(config, {1, 0}, *present);
    EXPECT_TRUE(w.ok()) << w.status().message();
    return std::move(*w);
  }
  void Append(JournalWriter& w, const AlignedBuffer& record) {
    bool maybe = false;
    ASSERT_TRUE(w.Append(record, &maybe).ok());
  }
  // The transaction ids a correct replay from (1, 0) accepts, and its end.
  std::vector<uint64_t> Walk(JournalPos* end = nullptr, ReplayRules rules = {}) {
    JournalReader reader(dir_.path(), kPage, Verify::kChecksum);
    std::vector<uint64_t> txns;
    Result<WalkEnd> walk = WalkJournal(reader, {1, 0}, 0, 0, rules, [&](const Record& r) {
      txns.push_back(r.header.txn);
      return Status::Ok();
    });
    EXPECT_TRUE(walk.ok()) << walk.status().message();
    if (end != nullptr && walk.ok()) *end = walk->end;
    return txns;
  }
  std::string Path(uint64_t n) const { return dir_.Sub(JournalFileName(n)); }

  TempDir dir_;
};

TEST(JournalFileName, RoundTripsAndRejectsOtherNames) {
  EXPECT_EQ(JournalFileName(42), "journal.000042");
  EXPECT_EQ(ParseJournalFileName("journal.000042"), 42u);
  EXPECT_EQ(ParseJournalFileName("journal.42"), std::nullopt);
  EXPECT_EQ(ParseJournalFileName("journal.000042.tmp"), std::nullopt);
  EXPECT_EQ(ParseJournalFileName("header.a"), std::nullopt);
}

TEST_F(JournalTest, RecordsReadBackInOrderAndTheWalkEndsAfterTheLast) {
  auto w = Writer(64 * 1024);
  for (uint64_t t = 1; t <= 3; ++t) Append(*w, RecordOf(t, 2));
  JournalPos end;
  EXPECT_EQ(Walk(&end), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(end, w->position());
  EXPECT_EQ(end, (JournalPos{1, 3 * 12288}));
}

TEST_F(JournalTest, RecordThatDoesNotFitContinuesAtTheStartOfTheNextFile) {
  auto w = Writer(16 * 1024);
  Append(*w, RecordOf(1, 2));  // 12 KiB: fits
  Append(*w, RecordOf(2, 2));  // does not fit in the 4 KiB left
  EXPECT_EQ(w->position(), (JournalPos{2, 12288}));
  EXPECT_EQ(w->files(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Walk(), (std::vector<uint64_t>{1, 2}));
}

TEST_F(JournalTest, RecordLargerThanAJournalFileGetsAGrownFile) {
  auto w = Writer(16 * 1024);
  Append(*w, RecordOf(1, 1));
  Append(*w, RecordOf(2, 9));  // 40 KiB
  Append(*w, RecordOf(3, 1));
  EXPECT_EQ(Walk(), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(JournalTest, TornRecordFollowedByZerosStopsTheWalkThere) {
  auto w = Writer(64 * 1024);
  Append(*w, RecordOf(1, 2));
  Append(*w, RecordOf(2, 2));
  const JournalPos torn = w->position();
  Append(*w, RecordOf(3, 2));  // 12 KiB; only its first 4 KiB "reach the disk"
  Overwrite(Path(1), torn.offset + 4096, std::vector<uint8_t>(8192, 0));
  JournalPos end;
  EXPECT_EQ(Walk(&end), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(end, torn);
}

TEST_F(JournalTest, TornRecordFollowedByOldBytesStopsTheWalkThere) {
  auto w = Writer(64 * 1024);
  Append(*w, RecordOf(1, 2));
  const JournalPos torn = w->position();
  const AlignedBuffer third = RecordOf(2, 2);
  Append(*w, third);
  // The record's first 4 KiB, then what an older record left there.
  const AlignedBuffer old_record = RecordOf(9, 2);
  Overwrite(Path(1), torn.offset + 4096,
            std::vector<uint8_t>(old_record.data() + 4096, old_record.data() + 12288));
  EXPECT_EQ(Walk(), (std::vector<uint64_t>{1}));
}

TEST_F(JournalTest, RecycleRenamesOldJournalsPastTheNewestAndRemovesExtraOnes) {
  auto w = Writer(16 * 1024);
  for (uint64_t t = 1; t <= 4; ++t) Append(*w, RecordOf(t, 2));  // one per file
  EXPECT_EQ(w->files(), (std::vector<uint64_t>{1, 2, 3, 4}));
  ASSERT_TRUE(w->RecycleBefore(4).ok());
  // Two spares past journal 4 (kMaxSpares); the third old file is removed.
  EXPECT_EQ(w->files(), (std::vector<uint64_t>{4, 5, 6}));
  Result<std::vector<uint64_t>> listed = ListJournals(dir_.path());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, w->files());
  // The writer reuses the spares as it goes on.
  Append(*w, RecordOf(5, 2));
  EXPECT_EQ(w->position(), (JournalPos{5, 12288}));
}

TEST_F(JournalTest, StaleRecordsOfARecycledJournalAreNotReplayedAsNew) {
  auto w = Writer(32 * 1024);
  for (uint64_t t = 1; t <= 4; ++t) Append(*w, RecordOf(t, 1));  // 8 KiB each: file 1 full
  Append(*w, RecordOf(5, 1));                                    // file 2
  ASSERT_TRUE(w->RecycleBefore(2).ok());                         // file 1 becomes spare 3
  EXPECT_EQ(w->files(), (std::vector<uint64_t>{2, 3}));
  JournalReader reader(dir_.path(), kPage, Verify::kChecksum);
  Result<std::optional<Record>> stale = reader.ReadAt({3, 0});
  ASSERT_TRUE(stale.ok() && stale->has_value());
  EXPECT_EQ((*stale)->header.txn, 1u);  // a valid, checksummed, stale record

  // Replay from the checkpoint (journal 2, after transaction 4).
  auto walk = [&](ReplayRules rules) {
    JournalReader r(dir_.path(), kPage, Verify::kChecksum);
    std::vector<uint64_t> txns;
    Result<WalkEnd> end = WalkJournal(r, {2, 0}, 4, 64, rules, [&](const Record& rec) {
      txns.push_back(rec.header.txn);
      return Status::Ok();
    });
    EXPECT_TRUE(end.ok());
    return txns;
  };
  EXPECT_EQ(walk(ReplayRules{}), (std::vector<uint64_t>{5}));
  // Bug recycled-journal-stale: the continuity check is what stops it.
  EXPECT_EQ(walk(ReplayRules{true, false}), (std::vector<uint64_t>{5, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace crashlab::pagejournal
