#include "faults/block/block_crash.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "faults/temp_dir_for_tests.h"

namespace crashlab::faults {
namespace {

BlockRecord Write(uint64_t offset, std::string data) {
  BlockRecord r;
  r.kind = BlockRecordKind::kWrite;
  r.offset = offset;
  r.length = data.size();
  r.data = std::move(data);
  return r;
}

BlockRecord Of(BlockRecordKind kind, std::string data = "") {
  BlockRecord r;
  r.kind = kind;
  r.length = data.size();
  r.data = std::move(data);
  return r;
}

BlockLog SmallLog() {
  BlockLog log;
  log.image_size = 8 * 4096;
  log.sector = 4096;
  log.base.push_back(Write(0, std::string(4096, 'b')));
  log.records = {Write(4096, std::string(4096, '1')), Of(BlockRecordKind::kFlush),
                 Of(BlockRecordKind::kMark, "ok"), Write(8192, std::string(8192, '2')),
                 Write(4096, std::string(4096, '3'))};
  return log;
}

std::string Image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(BlockCrash, WritesBeforeTheLastFlushAreDurableAndTheRestArePending) {
  const BlockLog log = SmallLog();
  EXPECT_EQ(PendingAt(log, 0).records.size(), 0u);
  EXPECT_EQ(PendingAt(log, 1).records, std::vector<std::size_t>{0});
  EXPECT_EQ(PendingAt(log, 2).durable_end, 2u);
  EXPECT_TRUE(PendingAt(log, 2).records.empty());
  EXPECT_EQ(PendingAt(log, 5).records, (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(MarksBefore(log, 2), std::vector<std::string>{});
  EXPECT_EQ(MarksBefore(log, 3), std::vector<std::string>{"ok"});
}

TEST(BlockCrash, TheImageHoldsTheBaseTheDurableWritesAndTheChosenSectors) {
  TempDir dir;
  const BlockLog log = SmallLog();
  const std::string path = dir.path() + "/crash.img";
  // Point 5: the second write torn (its first sector only), the third lost.
  ASSERT_TRUE(WriteBlockCrashImage(log, 5, BlockCrashChoices{{"NO", "-"}}, path).ok());
  const std::string image = Image(path);
  ASSERT_EQ(image.size(), log.image_size);
  EXPECT_EQ(image.substr(0, 4096), std::string(4096, 'b'));
  EXPECT_EQ(image.substr(4096, 4096), std::string(4096, '1'));
  EXPECT_EQ(image.substr(8192, 4096), std::string(4096, '2'));
  EXPECT_EQ(image.substr(12288, 4096), std::string(4096, '\0'));
  // Both kept: the later write to sector 1 lands over the durable one.
  ASSERT_TRUE(WriteBlockCrashImage(log, 5, BlockCrashChoices{{"*", "*"}}, path).ok());
  EXPECT_EQ(Image(path).substr(4096, 4096), std::string(4096, '3'));
  // Before the flush, even the first write may be lost.
  ASSERT_TRUE(WriteBlockCrashImage(log, 1, BlockCrashChoices{{"-"}}, path).ok());
  EXPECT_EQ(Image(path).substr(4096, 4096), std::string(4096, '\0'));
  EXPECT_FALSE(WriteBlockCrashImage(log, 5, BlockCrashChoices{{"*"}}, path).ok());
  EXPECT_FALSE(WriteBlockCrashImage(log, 5, BlockCrashChoices{{"NNN", "-"}}, path).ok());
}

TEST(BlockCrash, ASeedDrawsTheSameFatesEveryTimeAndEachKindOfFateOccurs) {
  BlockLog log = SmallLog();
  for (int i = 0; i < 6; ++i) log.records.push_back(Write(0, std::string(4 * 4096, 'x')));
  const uint64_t end = log.records.size();
  bool lost = false, whole = false, torn = false;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    const BlockCrashChoices c = DrawBlockChoices(log, end, seed);
    EXPECT_EQ(c, DrawBlockChoices(log, end, seed));
    ASSERT_EQ(c.fates.size(), 8u);
    for (const std::string& f : c.fates) {
      lost |= f == "-";
      whole |= f == "*";
      if (f.size() > 1) {
        torn = true;
        EXPECT_NE(f.find('N'), std::string::npos) << f;
        EXPECT_NE(f.find('O'), std::string::npos) << f;
      }
    }
    Result<BlockCrashChoices> back = BlockCrashChoices::Parse(c.ToString());
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(*back, c) << c.ToString();
  }
  EXPECT_TRUE(lost && whole && torn);
  EXPECT_FALSE(BlockCrashChoices::Parse("*,NX").ok());
}

}  // namespace
}  // namespace crashlab::faults
