// The real file systems the block-level recorder runs engines on, and the
// loop devices and mounts it needs: mkfs from Debian's e2fsprogs, xfsprogs
// and btrfs-progs, a loop device attached through /dev/loop-control, and
// mount(2). All of it needs root.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/base/status.h"

namespace crashlab::faults {

enum class FileSystemKind : uint8_t { kExt4, kXfs, kBtrfs };

// "ext4", "xfs", "btrfs": the words of --fs.
std::string_view FileSystemName(FileSystemKind fs);
std::optional<FileSystemKind> FileSystemFromName(std::string_view name);

// The sector of the loop devices: the unit the disk writes all or nothing.
inline constexpr uint32_t kBlockSector = 4096;

// Whether the block-level recorder can run here on `fs`: root, /dev/fuse,
// /dev/loop-control, the kernel's support of `fs` and its mkfs program, and
// the daemon at `blockdev_path`. The error names what is missing and how to
// get it.
[[nodiscard]] Status CheckBlockRecorderRuns(FileSystemKind fs, const std::string& blockdev_path);

// Makes a new image file at `path` holding an empty `fs`, mounted once and
// unmounted cleanly (so the first mount's own work is not in any run's log),
// with `scratch_dir` as its mount point.
[[nodiscard]] Status MakeFileSystemImage(FileSystemKind fs, const std::string& path,
                                         const std::string& scratch_dir);

// A file system mounted from an image file through a loop device; unmounted
// (and the loop device detached) by Unmount or, failing that, the destructor.
// What an image is mounted for.
enum class MountFor : uint8_t {
  kRecording,   // crashlab-blockdev's file: through direct I/O, unbuffered
  kCrashImage,  // a crash state: ext4 remounts read-only on finding damage
  kSetup,       // mkfs's image, mounted once
};

class MountedImage {
 public:
  // Attaches `image` to a free loop device and mounts it on `mountpoint`,
  // which must exist. The kernel replays the file system's journal or log
  // here. btrfs forgets the devices it scanned first: every image of a
  // process shares its base image's fsid.
  [[nodiscard]] static Result<std::unique_ptr<MountedImage>> Mount(FileSystemKind fs,
                                                                   const std::string& image,
                                                                   const std::string& mountpoint,
                                                                   MountFor purpose);
  [[nodiscard]] Status Unmount();
  // Whether the kernel has made the file system read-only since the mount
  // (ext4 with errors=remount-ro, on finding it damaged; XFS shuts down).
  bool TurnedReadOnly() const;
  ~MountedImage();
  const std::string& mountpoint() const { return mountpoint_; }

 private:
  MountedImage() = default;
  std::string mountpoint_;
  std::string device_;
  bool mounted_ = false;
};

// Unmounts whatever is mounted on `mountpoint` (a FUSE daemon's mount point,
// which ends the daemon); an error names the mount point and what holds it.
[[nodiscard]] Status UnmountPath(const std::string& mountpoint);

// Lazily unmounts every file system mounted under `dir` (deepest first): what
// a killed controller's block-level case left mounted, its FUSE daemon's
// mount included, which ends the daemon. Called before such a directory is
// removed, so that removing it never reaches into a mounted file system.
// Returns how many it unmounted.
int UnmountEverythingUnder(const std::string& dir);

// Runs `argv` (a program found on PATH, /sbin and /usr/sbin included) to the
// end; an error quotes its exit and its output's last lines.
[[nodiscard]] Status RunProgram(const std::vector<std::string>& argv);

}  // namespace crashlab::faults
