#include "framework/engine/engine_bench.h"

#include <gtest/gtest.h>

namespace crashlab {
namespace {

TEST(EngineBench, CountsSyncCallsAndWritesToDsyncFiles) {
  const std::string log =
      "100 openat(AT_FDCWD, \"/d/journal.000001\", O_RDWR|O_CREAT|O_DSYNC|O_DIRECT, 0644) = 5\n"
      "100 openat(AT_FDCWD, \"/d/data\", O_RDWR|O_CREAT, 0644) = 6\n"
      "100 pwrite64(5, \"\\0\\0\"..., 4096, 0) = 4096\n"  // O_DSYNC write: a sync
      "100 pwrite64(6, \"\\0\\0\"..., 4096, 0) = 4096\n"  // buffered: not a sync
      "101 fdatasync(6) = 0\n"                            // background thread
      "101 msync(0x7f0000000000, 4096, MS_SYNC) = 0\n"
      "101 msync(0x7f0000000000, 4096, MS_ASYNC) = 0\n"  // not a sync
      "100 fsync(7) = -1 EBADF (Bad file descriptor)\n"  // failed: not a sync
      "100 close(5) = 0\n"
      "100 openat(AT_FDCWD, \"/d/other\", O_RDWR) = 5\n"
      "100 write(5, \"x\", 1) = 1\n";  // fd 5 reused, buffered
  EXPECT_EQ(CountSyncs(log), 3);
}

TEST(EngineBench, SummarizesRoundsByTheirMedian) {
  Timings odd{{0.9, 0.2, 0.3}};
  Summarize(odd);
  EXPECT_DOUBLE_EQ(odd.median, 0.3);
  EXPECT_DOUBLE_EQ(odd.fastest, 0.2);
  EXPECT_DOUBLE_EQ(odd.slowest, 0.9);
  Timings even{{0.4, 0.1, 0.2, 5.0}};
  Summarize(even);
  EXPECT_DOUBLE_EQ(even.median, 0.3);
  Timings none;
  Summarize(none);
  EXPECT_DOUBLE_EQ(none.median, 0);
}

}  // namespace
}  // namespace crashlab
