// A power-loss case of the block-level recorder (docs/recorders.md): the
// engine runs untraced on a real ext4, XFS or btrfs whose disk,
// crashlab-blockdev behind a loop device, logs every write and flush, and
// the controller marks the log as it reads each reply. A crash point in that
// log and a seeded fate for each write pending there give a disk image
// (faults/block/block_crash.h); the kernel mounts it, replaying its own
// journal, and the files it shows under the engine's directory are the
// crash state a fresh engine process recovers and the oracle judges.
#pragma once

#include <string>

#include "faults/block/block_crash.h"
#include "faults/crash_state.h"
#include "framework/case/case_steps.h"
#include "framework/case/traced_case.h"
#include "framework/case/traced_run.h"

namespace crashlab {

// Runs one block-level case (spec.recorder.kind is kBlock, spec.crash power
// loss, no live mode). An error means the case could not be run: no root,
// FUSE or loop devices, a file system the kernel could not mount.
[[nodiscard]] Result<TracedCaseResult> RunBlockCase(const TracedCaseSpec& spec);

// Replays a recorded block-level case from its stored block log: the same
// disk image, mounted, recovered and judged again. ReplayTracedCase calls
// it with the case's directory made and `r` holding its stored plan and
// workload.
[[nodiscard]] Result<TracedCaseResult> ReplayBlockCase(const TracedCaseSpec& spec,
                                                       const std::string& log_bytes,
                                                       CaseClock::time_point start,
                                                       TracedCaseResult r);

// A recorded run of the block-level recorder: its block log (the file at
// log_path) and what the controller sent, or the engine's own fault (a hang,
// a protocol error: a verdict with no crash to judge).
struct BlockRun {
  std::string log_path;
  std::vector<TracedRequest> requests;
  std::optional<EngineFault> fault;
};

// Runs `workload` on the recorder's disk (spec.recorder.fs), in
// spec.case_dir, an existing directory: dev/ and mnt/ (the mount points),
// block.log, blockdev.stderr. Errors: the disk cannot be set up, the file
// system filled up, or the engine failed on its own before any crash point.
[[nodiscard]] Result<BlockRun> RecordBlockRun(const TracedCaseSpec& spec, const Workload& workload,
                                              const std::string& engine_log);

// The files under the engine's directory on the disk a power loss at `point`
// with `fates` leaves, as the kernel mounts it (in `scratch_dir`, an
// existing directory: crash.img and crash-mnt/, removed after). A kernel
// that cannot mount the image is an error, never a verdict.
[[nodiscard]] Result<faults::DirTree> BlockCrashTree(faults::FileSystemKind fs,
                                                     const faults::BlockLog& log, uint64_t point,
                                                     const faults::BlockCrashChoices& fates,
                                                     const std::string& scratch_dir);

// The files a block-level plan's crash leaves under the engine's
// directory, from the block log's bytes: the disk image is built and
// mounted in `scratch_dir`, an existing directory.
[[nodiscard]] Result<faults::DirTree> BlockCrashState(const std::string& log_bytes,
                                                      const TracedPlan& plan,
                                                      const std::string& scratch_dir);

}  // namespace crashlab
