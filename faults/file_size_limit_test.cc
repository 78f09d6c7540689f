// The model holds each file whole in memory: a size past
// kModelFileSizeLimit, from the trace or from the base directory, is an
// error naming the file and its size, never an allocation of that size.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "faults/crash_state.h"
#include "faults/persistence_model.h"
#include "faults/temp_dir_for_tests.h"
#include "faults/trace_builder_for_tests.h"

namespace crashlab::faults {
namespace {

constexpr uint64_t kTiB = uint64_t{1} << 40;

// A trace that creates "big" and then changes it by `change`.
Trace TraceWith(Event change) {
  TraceBuilder t;
  t.Create("big", 1);
  change.file = 1;
  t.Add(change);
  return t.trace();
}

PowerLossPlan PowerLoss(const Trace& trace) {
  PowerLossPlan plan;
  plan.event = trace.events.size();
  plan.seed = 1;
  return plan;
}

void ExpectSizeError(const Trace& trace, const std::string& size) {
  for (const bool kill : {true, false}) {
    SCOPED_TRACE(kill ? "kill" : "power loss");
    Result<DirTree> tree = kill ? ModelKill(trace, trace.events.size(), {})
                                : ModelPowerLoss(trace, PowerLoss(trace), {}, nullptr);
    ASSERT_FALSE(tree.ok());
    EXPECT_NE(tree.status().message().find("makes big " + size + " bytes long"), std::string::npos)
        << tree.status().message();
    EXPECT_NE(tree.status().message().find("1073741824 bytes"), std::string::npos);
  }
}

TEST(FileSizeLimit, TruncateToOneTiB_IsAnErrorNamingTheFileAndSize) {
  Event e = Ev(EventKind::kTruncate, 1);
  e.length = kTiB;
  ExpectSizeError(TraceWith(e), "1099511627776");
}

TEST(FileSizeLimit, FallocatePastTheLimit_IsAnErrorUnlessItKeepsTheSize) {
  Event e = Ev(EventKind::kFallocate, 1);
  e.offset = kTiB;
  e.length = 4096;
  ExpectSizeError(TraceWith(e), std::to_string(kTiB + 4096));
  e.flags = 0x01;  // FALLOC_FL_KEEP_SIZE: the size does not move
  Result<DirTree> kept = ModelKill(TraceWith(e), 2, {});
  EXPECT_TRUE(kept.ok()) << kept.status().message();
}

TEST(FileSizeLimit, WriteAtAHugeOffset_IsAnError) {
  Event e = Ev(EventKind::kWrite, 1);
  e.offset = kTiB;
  e.data = "x";
  e.length = 1;
  ExpectSizeError(TraceWith(e), std::to_string(kTiB + 1));
}

TEST(FileSizeLimit, WriteUpToTheLimit_IsModelled) {
  Event e = Ev(EventKind::kTruncate, 1);
  e.length = 1 << 20;
  Result<DirTree> tree = ModelKill(TraceWith(e), 2, {});
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  EXPECT_EQ(tree->files.at("big").size(), 1u << 20);
}

TEST(FileSizeLimit, SparseBaseFileOfOneTiB_IsAnErrorNamingIt) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.path() + "/sparse";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  if (ftruncate(fd, static_cast<off_t>(kTiB)) != 0) {
    close(fd);
    GTEST_SKIP() << "this file system does not take a 1 TiB sparse file";
  }
  close(fd);
  Result<DirTree> tree = ReadDirTree(dir.path());
  ASSERT_FALSE(tree.ok());
  EXPECT_NE(tree.status().message().find(path + " is 1099511627776 bytes"), std::string::npos)
      << tree.status().message();
}

}  // namespace
}  // namespace crashlab::faults
