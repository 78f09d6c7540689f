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

#include "framework/case/traced_case.h"

namespace crashlab {

// Runs one block-level case (spec.recorder.kind is kBlock, spec.crash power
// loss, no live mode). An error means the case could not be run: no root,
// FUSE or loop devices, a file system the kernel could not mount.
[[nodiscard]] Result<TracedCaseResult> RunBlockCase(const TracedCaseSpec& spec);

// Replays a recorded block-level case from its stored block log and plan:
// the same disk image, mounted, recovered and judged again. spec.case_dir
// exists (ReplayTracedCase made it).
[[nodiscard]] Result<TracedCaseResult> ReplayBlockCase(const TracedCaseSpec& spec,
                                                       const std::string& log_bytes,
                                                       TracedPlan stored);

// The files a block-level plan's crash leaves under the engine's
// directory, from the block log's bytes: the disk image is built and
// mounted in `scratch_dir`, an existing directory.
[[nodiscard]] Result<faults::DirTree> BlockCrashState(const std::string& log_bytes,
                                                      const TracedPlan& plan,
                                                      const std::string& scratch_dir);

}  // namespace crashlab
