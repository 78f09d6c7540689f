// The block-level recorder's pieces against the real kernel: a file system
// on crashlab-blockdev's disk, its log, and crash images mounted again.
#include "faults/block/recording_disk.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "faults/block/block_crash.h"
#include "faults/block/block_devices_for_tests.h"
#include "faults/temp_dir_for_tests.h"

namespace crashlab::faults {
namespace {

std::string Blockdev() { return std::string(CRASHLAB_BUILD_DIR) + "/faults/crashlab-blockdev"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<absent>";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes `name` under `dir` with `bytes`, then fsyncs it and `dir`.
void WriteDurably(const std::string& dir, const std::string& name, const std::string& bytes) {
  const int fd = open((dir + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ASSERT_EQ(fsync(fd), 0);  // DURABILITY: the test's own file, made durable on purpose
  close(fd);
  const int d = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(d, 0);
  ASSERT_EQ(fsync(d), 0);  // DURABILITY: its name too
  close(d);
}

// What `file` holds on the disk a power loss at `point` with `choices`
// leaves, once the kernel has mounted it (and replayed its journal).
std::string FileAfterCrash(FileSystemKind fs, const BlockLog& log, uint64_t point,
                           const BlockCrashChoices& choices, const std::string& dir,
                           const std::string& file) {
  const std::string image = dir + "/crash.img", mnt = dir + "/crash-mnt";
  mkdir(mnt.c_str(), 0755);
  if (Status s = WriteBlockCrashImage(log, point, choices, image); !s.ok()) return s.message();
  Result<std::unique_ptr<MountedImage>> m =
      MountedImage::Mount(fs, image, mnt, MountFor::kCrashImage);
  if (!m.ok()) return m.status().message();
  const std::string bytes = ReadFile(mnt + "/" + file);
  if (Status s = (*m)->Unmount(); !s.ok()) return s.message();
  unlink(image.c_str());
  return bytes;
}

BlockCrashChoices AllLost(const BlockLog& log, uint64_t point) {
  BlockCrashChoices c;
  c.fates.assign(PendingAt(log, point).records.size(), "-");
  return c;
}

class RecordingDiskTest : public ::testing::TestWithParam<FileSystemKind> {};

TEST_P(RecordingDiskTest,
       ASyncedFileSurvivesEveryCrashAfterItsMarkNoneBeforeAndTheUnmountFlushesAll) {
  const FileSystemKind fs = GetParam();
  CRASHLAB_REQUIRE_BLOCK_RECORDER(fs, Blockdev());
  TempDir dir;
  const std::string base = dir.path() + "/base.img";
  mkdir((dir.path() + "/scratch").c_str(), 0755);
  ASSERT_TRUE(MakeFileSystemImage(fs, base, dir.path() + "/scratch").ok());
  RecordingDiskSpec spec{.blockdev_path = Blockdev(),
                         .fs = fs,
                         .base_image = base,
                         .daemon_dir = dir.path() + "/dev",
                         .disk_file = dir.path() + "/disk.img",
                         .log_file = dir.path() + "/block.log",
                         .mountpoint = dir.path() + "/mnt",
                         .daemon_log = dir.path() + "/blockdev.stderr"};
  Result<std::unique_ptr<RecordingDisk>> disk = RecordingDisk::Start(spec);
  ASSERT_TRUE(disk.ok()) << disk.status().message();
  ASSERT_TRUE((*disk)->Mark("before").ok());
  const std::string bytes(20000, 'v');
  WriteDurably(spec.mountpoint, "f", bytes);
  ASSERT_TRUE((*disk)->Mark("synced").ok());
  // Never synced by the test: the unmount writes it back and flushes.
  {
    std::ofstream unsynced(spec.mountpoint + "/g", std::ios::binary);
    unsynced << "written, then the unmount";
  }
  Status stopped = (*disk)->Stop();
  ASSERT_TRUE(stopped.ok()) << stopped.message();

  Result<BlockLog> log = ReadBlockLog(spec.log_file);
  ASSERT_TRUE(log.ok()) << log.status().message();
  ASSERT_FALSE(log->base.empty());
  uint64_t before = 0, synced = 0, flushes = 0;
  for (uint64_t i = 0; i < log->records.size(); ++i) {
    const BlockRecord& r = log->records[i];
    if (r.kind == BlockRecordKind::kMark) (r.data == "before" ? before : synced) = i + 1;
    if (r.kind == BlockRecordKind::kFlush && synced == 0) ++flushes;
  }
  ASSERT_GT(synced, before);
  EXPECT_GE(flushes, 1u) << "the fsync reached the disk as no flush";
  // Every pending write lost, at the mark after the fsyncs: the file holds.
  EXPECT_EQ(FileAfterCrash(fs, *log, synced, AllLost(*log, synced), dir.path(), "f"), bytes);
  // At the mark before the file was made: no file.
  EXPECT_EQ(FileAfterCrash(fs, *log, before, AllLost(*log, before), dir.path(), "f"), "<absent>");
  // At the end of the log, after the unmount's last flush, nothing is
  // pending: the disk holds what the file system held.
  const uint64_t end = log->records.size();
  EXPECT_TRUE(PendingAt(*log, end).records.empty());
  EXPECT_EQ(FileAfterCrash(fs, *log, end, AllLost(*log, end), dir.path(), "g"),
            "written, then the unmount");
}

TEST(RecordingDisk, ADiskThatFailsARequestEndsTheRecordingWithAnErrorNotALog) {
  CRASHLAB_REQUIRE_BLOCK_RECORDER(FileSystemKind::kExt4, Blockdev());
  TempDir dir;
  const std::string base = dir.path() + "/base.img", small = dir.path() + "/small";
  mkdir((dir.path() + "/scratch").c_str(), 0755);
  ASSERT_TRUE(MakeFileSystemImage(FileSystemKind::kExt4, base, dir.path() + "/scratch").ok());
  // The disk's own file on a file system with no room for what follows.
  mkdir(small.c_str(), 0755);
  ASSERT_EQ(mount("tmpfs", small.c_str(), "tmpfs", 0, "size=4m"), 0) << std::strerror(errno);
  RecordingDiskSpec spec{.blockdev_path = Blockdev(),
                         .fs = FileSystemKind::kExt4,
                         .base_image = base,
                         .daemon_dir = dir.path() + "/dev",
                         .disk_file = small + "/disk.img",
                         .log_file = dir.path() + "/block.log",
                         .mountpoint = dir.path() + "/mnt",
                         .daemon_log = dir.path() + "/blockdev.stderr"};
  Result<std::unique_ptr<RecordingDisk>> disk = RecordingDisk::Start(spec);
  ASSERT_TRUE(disk.ok()) << disk.status().message();
  const int fd = open((spec.mountpoint + "/big").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  const std::string block(1 << 20, 'x');
  for (int i = 0; i < 16; ++i) {
    if (write(fd, block.data(), block.size()) < 0) break;
  }
  (void)fsync(fd);  // DURABILITY: forces the writes to the full disk file; its error is the point
  close(fd);
  const Status stopped = (*disk)->Stop();
  umount2(small.c_str(), MNT_DETACH);
  ASSERT_FALSE(stopped.ok());
  EXPECT_NE(stopped.message().find("request(s) of the disk failed"), std::string::npos)
      << stopped.message();
}

INSTANTIATE_TEST_SUITE_P(FileSystems, RecordingDiskTest,
                         ::testing::Values(FileSystemKind::kExt4, FileSystemKind::kXfs,
                                           FileSystemKind::kBtrfs),
                         [](const auto& p) { return std::string(FileSystemName(p.param)); });

}  // namespace
}  // namespace crashlab::faults
