#include "framework/case/block_case.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "faults/block/block_crash.h"
#include "faults/block/recording_disk.h"
#include "faults/crash_state.h"
#include "framework/base/prng.h"
#include "framework/case/traced_case_steps.h"
#include "framework/plan/plan_draws.h"

namespace crashlab {
namespace {

using faults::FileSystemKind;

// The empty file system of each kind this process has made, in a directory
// of its own in memory, removed when the process ends.
class BaseImages {
 public:
  Result<std::string> Get(FileSystemKind fs) {
    std::lock_guard lock(mu_);
    if (auto it = made_.find(fs); it != made_.end()) return it->second;
    if (dir_.empty()) {
      std::string pattern = std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") +
                            "/crashlab-block-images-XXXXXX";
      if (mkdtemp(pattern.data()) == nullptr) {
        return Status::Error("cannot make a directory for file system images: " +
                             std::string(std::strerror(errno)));
      }
      dir_ = pattern;
    }
    const std::string name(faults::FileSystemName(fs));
    const std::string image = dir_ + "/" + name + ".img", scratch = dir_ + "/" + name + "-mnt";
    mkdir(scratch.c_str(), 0755);
    if (Status s = faults::MakeFileSystemImage(fs, image, scratch); !s.ok()) {
      return Status::Error("making the empty " + name +
                           " the block-level recorder starts from: " + s.message());
    }
    return made_.emplace(fs, image).first->second;
  }
  ~BaseImages() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

 private:
  std::mutex mu_;
  std::string dir_;
  std::map<FileSystemKind, std::string> made_;
};

BaseImages& Images() {
  static BaseImages images;
  return images;
}

// The engine's files must all be in its directory on the disk: a file
// elsewhere on it would be on the disk but missing from every crash state.
Status OnlyTheEnginesDirectory(const std::string& mountpoint, const TracedCaseSpec& spec) {
  std::error_code ec;
  for (const std::filesystem::directory_entry& e :
       std::filesystem::directory_iterator(mountpoint, ec)) {
    const std::string name = e.path().filename().string();
    if (name == "data" || name == "lost+found") continue;
    return Status::Error(fmt::format(
        "{} wrote {} on the recorder's disk, outside the directory crashlab gave it ({}/data): a "
        "crash state holds only that directory, so its verdicts would be fiction; keep every file "
        "of the engine under the directory of the `open` request",
        spec.variant->name, e.path().string(), mountpoint));
  }
  return Status::Ok();
}

}  // namespace

Result<BlockRun> RecordBlockRun(const TracedCaseSpec& spec, const Workload& workload,
                                const std::string& log) {
  Result<std::string> base = Images().Get(spec.recorder.fs);
  if (!base.ok()) return base.status();
  const faults::RecordingDiskSpec disk_spec{.blockdev_path = spec.recorder.blockdev_path,
                                            .fs = spec.recorder.fs,
                                            .base_image = *base,
                                            .daemon_dir = spec.case_dir + "/dev",
                                            .disk_file = spec.case_dir + "/disk.img",
                                            .log_file = spec.case_dir + "/block.log",
                                            .mountpoint = spec.case_dir + "/mnt",
                                            .daemon_log = spec.case_dir + "/blockdev.stderr"};
  Result<std::unique_ptr<faults::RecordingDisk>> disk = faults::RecordingDisk::Start(disk_spec);
  if (!disk.ok()) return disk.status();
  TracedRunSpec run;
  run.variant = spec.variant;
  run.recorder = spec.recorder;
  run.data_dir = disk_spec.mountpoint + "/data";
  run.log = log;
  run.deadline = spec.deadline;
  std::size_t heard = 0;
  run.on_reply = [&](const std::string& reply) {
    ++heard;
    return (*disk)->Mark(reply);
  };
  Result<TracedRun> ran = RunTraced(run, workload);
  if (ran.ok()) {
    if (Status s = OnlyTheEnginesDirectory(disk_spec.mountpoint, spec); !s.ok()) return s;
    // On the disk's own file system, before it is unmounted.
    if (Status s = SigbusOnFullDisk(ran->fault, disk_spec.mountpoint, "the traced run"); !s.ok()) {
      return s;
    }
    const std::optional<uint64_t> free = FreeBytes(disk_spec.mountpoint);
    if (ran->fault && free && *free < kFullBelowBytes) {
      return FullDiskError(
          disk_spec.mountpoint,
          fmt::format("the engine failed ({}) on the recorder's {} of {} bytes free",
                      ran->fault->what, faults::FileSystemName(spec.recorder.fs), *free),
          0);
    }
  }
  const Status stopped = (*disk)->Stop();
  // The disk's file is the log's replay: only the log is kept.
  unlink(disk_spec.disk_file.c_str());
  if (!ran.ok()) return ran.status();
  if (!stopped.ok()) return stopped;
  if (Status s = FailedOnItsOwn(ran->fault, log, spec); !s.ok()) return s;
  // Each reply read is one mark: acknowledgements are counted by them.
  Result<faults::BlockLog> written = faults::ReadBlockLog(disk_spec.log_file);
  if (!written.ok()) return written.status();
  const std::size_t marks = faults::MarksBefore(*written, written->records.size()).size();
  if (marks != heard) {
    return Status::Error(fmt::format(
        "the block log {} holds {} marks, but the controller read {} replies: the marks would "
        "misplace acknowledgements, so no crash state of this run can be judged; please report it",
        disk_spec.log_file, marks, heard));
  }
  return BlockRun{disk_spec.log_file, std::move(ran->requests), ran->fault};
}

Result<faults::DirTree> BlockCrashTree(FileSystemKind fs, const faults::BlockLog& log,
                                       uint64_t point, const faults::BlockCrashChoices& fates,
                                       const std::string& case_dir) {
  const std::string image = case_dir + "/crash.img", mnt = case_dir + "/crash-mnt";
  if (mkdir(mnt.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::Error("cannot create " + mnt + ": " + std::strerror(errno));
  }
  if (Status s = faults::WriteBlockCrashImage(log, point, fates, image); !s.ok()) return s;
  Result<std::unique_ptr<faults::MountedImage>> mounted =
      faults::MountedImage::Mount(fs, image, mnt, faults::MountFor::kCrashImage);
  if (!mounted.ok()) {
    return Status::Error(fmt::format(
        "the kernel cannot mount the {} a power loss at record {} of the block log leaves ({}): "
        "a file system is built to mount after any power loss, so crashlab's block model or the "
        "file system is wrong, not the engine; the image is {}, please report it",
        faults::FileSystemName(fs), point, mounted.status().message(), image));
  }
  // The engine's directory absent (its creation never made durable) is an
  // empty state; any other failure to read it is the file system's.
  const std::string data = mnt + "/data";
  struct stat st {};
  const bool absent = stat(data.c_str(), &st) != 0 && errno == ENOENT;
  Result<faults::DirTree> tree = absent ? faults::DirTree{} : faults::ReadDirTree(data);
  const bool damaged = (*mounted)->TurnedReadOnly();
  const Status unmounted = (*mounted)->Unmount();
  if (tree.ok() && !damaged) unlink(image.c_str());
  rmdir(mnt.c_str());
  if (!tree.ok() || damaged) {
    return Status::Error(fmt::format(
        "the kernel found the {} a power loss at record {} of the block log leaves damaged "
        "({}): a file system is built to survive any power loss, so crashlab's block model or "
        "the file system is wrong, not the engine; the image is {}, please report it",
        faults::FileSystemName(fs), point,
        tree.ok() ? "it turned read-only" : tree.status().message(), image));
  }
  if (!unmounted.ok()) return unmounted;
  return tree;
}

namespace {

// "ext4: record 57 of 212, after reply 6; 4 writes pending since the last
// flush: 2 kept, 1 lost, 1 torn": what the plan did, for the details.
std::string BlockNotes(const TracedPlan& p, std::size_t replies) {
  std::size_t kept = 0, lost = 0, torn = 0;
  for (const std::string& f : p.block_fates.fates) {
    (f == "*" ? kept : f == "-" ? lost : torn)++;
  }
  return fmt::format(
      "block {}: crash at record {} of {}, after {} replies; {} writes pending since the last "
      "flush: {} kept, {} lost, {} torn",
      faults::FileSystemName(*p.block_fs), p.plan.event, p.trace_events, replies,
      p.block_fates.fates.size(), kept, lost, torn);
}

// From the block log and the plan in r: the crash state, what was
// acknowledged, and its recovery.
Result<OracleInput> RecoverBlockCrash(const TracedCaseSpec& spec, const faults::BlockLog& log,
                                      const std::vector<TracedRequest>& requests,
                                      const std::string& engine_log, TracedCaseResult& r) {
  const uint64_t point = r.plan.event;
  r.syncs = 0;
  r.bytes_written = 0;
  for (uint64_t i = 0; i < point && i < log.records.size(); ++i) {
    const faults::BlockRecord& rec = log.records[i];
    if (rec.kind == faults::BlockRecordKind::kFlush) ++r.syncs;
    if (rec.kind == faults::BlockRecordKind::kWrite)
      r.bytes_written += static_cast<int64_t>(rec.length);
  }
  const std::vector<std::string> replies = faults::MarksBefore(log, point);
  r.notes = BlockNotes(r, replies.size());
  Result<faults::DirTree> tree =
      BlockCrashTree(*r.block_fs, log, point, r.block_fates, spec.case_dir);
  if (!tree.ok()) return tree.status();
  const std::string crash_dir = spec.case_dir + "/crash";
  if (Status s = faults::WriteDirTree(*tree, crash_dir); !s.ok()) return s;
  r.crash_state = faults::DigestDirTree(*tree);
  return RecoverCrashDir(spec, AckedByReplies(replies, requests, r.workload), crash_dir, engine_log,
                         r);
}

}  // namespace

Result<TracedCaseResult> RunBlockCase(const TracedCaseSpec& spec) {
  const auto start = CaseClock::now();
  if (spec.live || spec.crash != CrashKind::kPowerLoss) {
    return Status::Error(
        "the block-level recorder simulates power losses of a disk: it has no live mode and no "
        "traced kill; drop --live, or record at the file level (--recorder preload or ptrace)");
  }
  if (Status s = MakeTracedCaseDir(spec.case_dir); !s.ok()) return s;
  if (Status s = CheckRecorderRuns(spec.recorder, RecorderKind::kBlock); !s.ok()) return s;
  TracedCaseResult r = NewTracedResult(spec);
  const std::string engine_log = spec.case_dir + "/engine.stderr";
  Result<BlockRun> run = RecordBlockRun(spec, r.workload, engine_log);
  if (!run.ok()) return run.status();
  r.workload_ms = MsSince(start);
  r.block_fs = spec.recorder.fs;
  r.plan.atomic_unit = faults::kBlockSector;
  OracleInput input;
  input.fault = run->fault;
  // A run that failed by itself (a hang, a protocol error) has no crash to
  // judge: its fault is the verdict.
  if (!run->fault) {
    Result<faults::BlockLog> log = faults::ReadBlockLog(run->log_path);
    if (!log.ok()) return log.status();
    r.trace_events = log->records.size();
    Prng draw = Prng::ForCase(spec.seed, kCrashPlanStream, spec.case_index);
    r.plan.event = draw.Below(log->records.size() + 1);
    r.plan.seed = draw.Next();
    r.block_fates = faults::DrawBlockChoices(*log, r.plan.event, r.plan.seed);
    Result<OracleInput> recovered = RecoverBlockCrash(spec, *log, run->requests, engine_log, r);
    if (!recovered.ok()) return recovered.status();
    input = std::move(*recovered);
  }
  if (Status s = ConcludeTracedCase(run->fault ? "" : run->log_path, engine_log, start, r, input);
      !s.ok()) {
    return s;
  }
  return r;
}

Result<TracedCaseResult> ReplayBlockCase(const TracedCaseSpec& spec, const std::string& log_bytes,
                                         CaseClock::time_point start, TracedCaseResult r) {
  if (geteuid() != 0) {
    return Status::Error(
        "replaying a block-level case mounts its disk image from a loop device, which needs "
        "root: run crashlab as root");
  }
  Result<faults::BlockLog> log = faults::ParseBlockLog(log_bytes, "the stored block log");
  if (!log.ok()) return log.status();
  if (r.plan.event > log->records.size()) {
    return Status::Error(fmt::format(
        "the stored plan's crash point {} is past the stored block log's {} records: the "
        "results database is damaged",
        r.plan.event, log->records.size()));
  }
  const std::string log_path = spec.case_dir + "/block.log";
  if (Status s = WriteWholeFile(log_path, log_bytes); !s.ok()) return s;
  const std::string engine_log = spec.case_dir + "/engine.stderr";
  Result<OracleInput> input = RecoverBlockCrash(spec, *log, RequestsOf(r.workload), engine_log, r);
  if (!input.ok()) return input.status();
  if (Status s = ConcludeTracedCase(log_path, engine_log, start, r, *input); !s.ok()) return s;
  return r;
}

Result<faults::DirTree> BlockCrashState(const std::string& log_bytes, const TracedPlan& plan,
                                        const std::string& scratch_dir) {
  Result<faults::BlockLog> log = faults::ParseBlockLog(log_bytes, "the block log");
  if (!log.ok()) return log.status();
  if (!plan.block_fs) return Status::Error("not a block-level plan: " + plan.PlanText());
  return BlockCrashTree(*plan.block_fs, *log, plan.plan.event, plan.block_fates, scratch_dir);
}

}  // namespace crashlab
