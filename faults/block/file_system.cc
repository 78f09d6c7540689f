#include "faults/block/file_system.h"

#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "framework/base/run_program.h"

namespace crashlab::faults {
namespace {

struct FileSystemFacts {
  FileSystemKind kind;
  const char* name;
  const char* package;  // Debian's package of its mkfs
  uint64_t image_bytes;
  std::vector<std::string> mkfs;  // the image's path follows
  const char* mount_options;
};

// The image sizes are the smallest each mkfs accepts with room for a
// workload's files: XFS wants 300 MB at least (xfsprogs 5.19 and later).
// Every sector is the loop device's 4096 bytes; no discards at mkfs (-K,
// nodiscard), and ext4 initializes its inode tables and journal at mkfs
// rather than in the background after the first mount, whose writes would
// otherwise be in every run's block log.
const FileSystemFacts& Facts(FileSystemKind fs) {
  static const FileSystemFacts kFacts[] = {
      {FileSystemKind::kExt4,
       "ext4",
       "e2fsprogs",
       128ull << 20,
       {"mkfs.ext4", "-q", "-F", "-b", "4096", "-E",
        "nodiscard,lazy_itable_init=0,lazy_journal_init=0"},
       ""},
      {FileSystemKind::kXfs,
       "xfs",
       "xfsprogs",
       320ull << 20,
       {"mkfs.xfs", "-q", "-f", "-K", "-b", "size=4096", "-s", "size=4096"},
       ""},
      {FileSystemKind::kBtrfs,
       "btrfs",
       "btrfs-progs",
       256ull << 20,
       {"mkfs.btrfs", "-q", "-f", "-K", "-s", "4096"},
       "nodiscard"},
  };
  return kFacts[static_cast<int>(fs)];
}

constexpr const char* kSbinPath = "/usr/local/sbin:/usr/sbin:/sbin";

bool KernelHas(const char* fs) {
  std::ifstream in("/proc/filesystems");
  for (std::string line; std::getline(in, line);) {
    const std::size_t tab = line.rfind('\t');
    if (line.substr(tab == std::string::npos ? 0 : tab + 1) == fs) return true;
  }
  return false;
}

std::string Errno() { return std::strerror(errno); }

// A free loop device attached to `file`, or an error.
Result<std::string> AttachLoop(int file, const std::string& image, bool direct_io, int& device_fd) {
  const int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (control < 0) return Status::Error("cannot open /dev/loop-control: " + Errno());
  for (int attempt = 0; attempt < 64; ++attempt) {
    const int n = ioctl(control, LOOP_CTL_GET_FREE);
    if (n < 0) {
      close(control);
      return Status::Error("no free loop device (LOOP_CTL_GET_FREE: " + Errno() + ")");
    }
    const std::string device = "/dev/loop" + std::to_string(n);
    int fd = open(device.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      // A container's /dev may lack the node the kernel just made.
      (void)mknod(device.c_str(), S_IFBLK | 0600, makedev(7, static_cast<unsigned>(n)));
      fd = open(device.c_str(), O_RDWR | O_CLOEXEC);
    }
    if (fd < 0) {
      close(control);
      return Status::Error("cannot open " + device + ": " + Errno());
    }
    loop_config config{};
    config.fd = static_cast<uint32_t>(file);
    config.block_size = kBlockSector;
    config.info.lo_flags = LO_FLAGS_AUTOCLEAR | (direct_io ? LO_FLAGS_DIRECT_IO : 0);
    std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), image.c_str(),
                 LO_NAME_SIZE - 1);
    if (ioctl(fd, LOOP_CONFIGURE, &config) == 0) {
      close(control);
      device_fd = fd;
      return device;
    }
    const int err = errno;
    close(fd);
    if (err != EBUSY) {
      close(control);
      return Status::Error("cannot attach " + image + " to " + device + ": " + std::strerror(err));
    }
  }
  close(control);
  return Status::Error("every free loop device was taken by another process first");
}

}  // namespace

std::string_view FileSystemName(FileSystemKind fs) { return Facts(fs).name; }

std::optional<FileSystemKind> FileSystemFromName(std::string_view name) {
  for (FileSystemKind fs : {FileSystemKind::kExt4, FileSystemKind::kXfs, FileSystemKind::kBtrfs}) {
    if (name == Facts(fs).name) return fs;
  }
  return std::nullopt;
}

Status CheckBlockRecorderRuns(FileSystemKind fs, const std::string& blockdev_path) {
  const FileSystemFacts& f = Facts(fs);
  const std::string other = "; or record at the file level (--recorder preload or ptrace)";
  if (geteuid() != 0) {
    return Status::Error(
        "the block-level recorder mounts file systems from loop devices, which needs root: run "
        "crashlab as root" +
        other);
  }
  // A device the recorder opens: what it is for, and how to get it.
  const struct {
    const char* path;
    const char* needs;
    const char* fix;
  } devices[] = {
      {"/dev/fuse", "serves its disk through FUSE",
       "load the module (modprobe fuse), or in a container pass the device (--device /dev/fuse)"},
      {"/dev/loop-control", "needs loop devices",
       "load the module (modprobe loop), or in a container pass the device and the loop devices"},
  };
  for (const auto& d : devices) {
    if (access(d.path, R_OK | W_OK) == 0) continue;
    return Status::Error(std::string("the block-level recorder ") + d.needs + ", and " + d.path +
                         " is not usable (" + Errno() + "): " + d.fix + other);
  }
  if (!KernelHas(f.name)) {
    return Status::Error(std::string("this kernel does not list ") + f.name +
                         " in /proc/filesystems: load its module (modprobe " + f.name +
                         ") or choose another --fs");
  }
  if (FindProgramOnPath(f.mkfs[0], kSbinPath).empty()) {
    return Status::Error(f.mkfs[0] + " is not installed: install Debian's " + f.package +
                         " (scripts/setup does)");
  }
  if (access(blockdev_path.c_str(), X_OK) != 0) {
    return Status::Error(
        "the block-level recorder's daemon " + blockdev_path +
        " is not there: build it (cmake --build build --target crashlab_blockdev)");
  }
  return Status::Ok();
}

Status RunProgram(const std::vector<std::string>& argv) {
  Result<ProgramOutput> ran = RunCapturing(argv, kSbinPath);
  if (!ran.ok()) return ran.status();
  if (ran->exit_code == 0) return Status::Ok();
  std::string command;
  for (const std::string& a : argv) command += (command.empty() ? "" : " ") + a;
  std::string output = ran->output;
  if (output.size() > 600) output = "..." + output.substr(output.size() - 600);
  return Status::Error(command + " failed (exit " + std::to_string(ran->exit_code) +
                       "): " + (output.empty() ? "no output" : output));
}

Status MakeFileSystemImage(FileSystemKind fs, const std::string& path,
                           const std::string& scratch_dir) {
  const FileSystemFacts& f = Facts(fs);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ftruncate(fd, static_cast<off_t>(f.image_bytes)) != 0) {
    const std::string why = Errno();
    if (fd >= 0) close(fd);
    return Status::Error("cannot create the image " + path + ": " + why);
  }
  close(fd);
  std::vector<std::string> mkfs = f.mkfs;
  mkfs.push_back(path);
  if (Status s = RunProgram(mkfs); !s.ok()) return s;
  Result<std::unique_ptr<MountedImage>> mounted =
      MountedImage::Mount(fs, path, scratch_dir, MountFor::kSetup);
  if (!mounted.ok()) return mounted.status();
  return (*mounted)->Unmount();
}

// btrfs keeps the single-device file systems it scanned registered by
// fsid; an image with a registered fsid at another loop device and an older
// generation is refused on kernels before 6.7. Forgetting every unmounted
// one first (BTRFS_IOC_FORGET_DEV with no name) makes each mount stand alone.
void ForgetBtrfsDevices() {
  const int control = open("/dev/btrfs-control", O_RDWR | O_CLOEXEC);
  if (control < 0) return;
  btrfs_ioctl_vol_args args{};
  (void)ioctl(control, BTRFS_IOC_FORGET_DEV, &args);
  close(control);
}

bool MountedImage::TurnedReadOnly() const {
  struct statvfs st {};
  return statvfs(mountpoint_.c_str(), &st) == 0 && (st.f_flag & ST_RDONLY) != 0;
}

Result<std::unique_ptr<MountedImage>> MountedImage::Mount(FileSystemKind fs,
                                                          const std::string& image,
                                                          const std::string& mountpoint,
                                                          MountFor purpose) {
  const bool direct_io = purpose == MountFor::kRecording;
  if (fs == FileSystemKind::kBtrfs) ForgetBtrfsDevices();
  const int file = open(image.c_str(), O_RDWR | O_CLOEXEC);
  if (file < 0) return Status::Error("cannot open the image " + image + ": " + Errno());
  int device_fd = -1;
  Result<std::string> device = AttachLoop(file, image, direct_io, device_fd);
  close(file);  // the loop device holds it
  if (!device.ok()) return device.status();
  std::unique_ptr<MountedImage> m(new MountedImage());
  m->mountpoint_ = mountpoint;
  m->device_ = *device;
  const FileSystemFacts& f = Facts(fs);
  std::string options = f.mount_options;
  if (fs == FileSystemKind::kExt4 && purpose == MountFor::kCrashImage)
    options = "errors=remount-ro";
  const int rc = mount(device->c_str(), mountpoint.c_str(), f.name, 0,
                       options.empty() ? nullptr : options.c_str());
  const int err = errno;
  // With the file system holding the device, closing this descriptor leaves
  // it attached until the unmount (LO_FLAGS_AUTOCLEAR); without, it detaches.
  close(device_fd);
  if (rc != 0) {
    return Status::Error("mounting " + std::string(f.name) + " from " + image + " (" + *device +
                         ") on " + mountpoint + ": " + std::strerror(err) +
                         "; the kernel's log (dmesg) says why");
  }
  m->mounted_ = true;
  return m;
}

Status UnmountPath(const std::string& mountpoint) {
  // A process that just ended may still hold the mount for a moment.
  for (int attempt = 0;; ++attempt) {
    if (umount2(mountpoint.c_str(), 0) == 0) return Status::Ok();
    if (errno != EBUSY || attempt == 100) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Error("cannot unmount " + mountpoint + ": " + Errno() +
                       (errno == EBUSY ? " (a process still uses it: fuser -vm " + mountpoint + ")"
                                       : std::string()));
}

int UnmountEverythingUnder(const std::string& dir) {
  std::error_code ec;
  const std::string root = std::filesystem::weakly_canonical(dir, ec).string() + "/";
  if (ec) return 0;
  // /proc/self/mountinfo's fifth field is the mount point, with spaces and
  // the like written as octal escapes; crashlab's own case paths have none.
  std::vector<std::string> under;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, source_root, point;
    if (fields >> id >> parent >> devno >> source_root >> point && point.rfind(root, 0) == 0) {
      under.push_back(point);
    }
  }
  std::sort(under.rbegin(), under.rend());  // a mount below another first
  int unmounted = 0;
  for (const std::string& point : under) {
    if (umount2(point.c_str(), MNT_DETACH) == 0) ++unmounted;
  }
  return unmounted;
}

Status MountedImage::Unmount() {
  if (!mounted_) return Status::Ok();
  Status s = UnmountPath(mountpoint_);
  // Still mounted after a failure: the destructor detaches it.
  if (s.ok()) mounted_ = false;
  return s;
}

MountedImage::~MountedImage() {
  if (mounted_) (void)umount2(mountpoint_.c_str(), MNT_DETACH);
}

}  // namespace crashlab::faults
