#include "faults/event_text.h"

#include <gtest/gtest.h>

#include <string>

#include "faults/trace.h"

namespace crashlab {
namespace {

faults::Event SyncRange(uint64_t offset, uint64_t length) {
  faults::Event e;
  e.seq = 7;
  e.kind = faults::EventKind::kSyncRange;
  e.file = 2;
  e.path = "log";
  e.offset = offset;
  e.length = length;
  return e;
}

// sync_file_range(2): "if nbytes is zero, then all bytes from offset through
// to the end of file are synchronized".
TEST(EventTextTest, SyncFileRangeOfLengthZeroReadsToTheEndOfTheFile) {
  const std::string line = DescribeEvent(SyncRange(4096, 0));
  EXPECT_NE(line.find("@4096 to end of file"), std::string::npos) << line;
  EXPECT_EQ(line.find("+0"), std::string::npos) << line;
}

TEST(EventTextTest, SyncFileRangeWithALengthShowsItsRange) {
  const std::string line = DescribeEvent(SyncRange(4096, 512));
  EXPECT_NE(line.find("@4096 +512"), std::string::npos) << line;
}

}  // namespace
}  // namespace crashlab
