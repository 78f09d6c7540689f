// A disk that records: crashlab-blockdev serving a copy of a file system
// image, a loop device over its file, and the file system mounted from it.
// What the file system writes and flushes, and the marks written here, go
// to the block log (block_log.h) in the order the disk completed them.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "faults/block/file_system.h"
#include "framework/base/status.h"

namespace crashlab::faults {

struct RecordingDiskSpec {
  std::string blockdev_path;  // crashlab-blockdev
  FileSystemKind fs = FileSystemKind::kExt4;
  std::string base_image;  // MakeFileSystemImage's
  // New paths: the daemon's mount point (a directory it makes), its disk
  // file, the log, the file system's mount point (made here) and the
  // daemon's stderr.
  std::string daemon_dir, disk_file, log_file, mountpoint, daemon_log;
};

class RecordingDisk {
 public:
  // Starts the daemon, waits for its mount, and mounts the file system.
  [[nodiscard]] static Result<std::unique_ptr<RecordingDisk>> Start(const RecordingDiskSpec& spec);
  // Writes `line` to the log as a mark, ordered after every record the disk
  // completed before this call.
  [[nodiscard]] Status Mark(const std::string& line);
  // Unmounts the file system (its last writes go to the log), then the
  // daemon's mount, which ends it; the log is whole once this returns ok.
  [[nodiscard]] Status Stop();
  ~RecordingDisk();
  const std::string& mountpoint() const { return spec_.mountpoint; }

 private:
  RecordingDisk() = default;
  Status AwaitDaemon(bool killed);
  RecordingDiskSpec spec_;
  pid_t daemon_ = -1;
  int mark_fd_ = -1;
  std::unique_ptr<MountedImage> mounted_;
};

}  // namespace crashlab::faults
