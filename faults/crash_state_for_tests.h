// Test support: a crash state built from a base directory on disk into a
// directory on disk, in one call, for the tests that check the model's trees
// survive the trip through the file system (ReadDirTree, WriteDirTree).
// crashlab itself builds states in memory (persistence_model.h,
// crash_walk.h) and writes only those its verifier opens, so the library
// does not export these.
#pragma once

#include <cstdint>
#include <string>

#include "faults/crash_state.h"
#include "faults/persistence_model.h"
#include "faults/trace.h"
#include "framework/base/status.h"

namespace crashlab::faults {

// Builds in `out_dir` the directory a process kill at `event` leaves: a copy
// of `base_dir` with events [0, event) applied in full, as the kernel holds
// them. `base_dir` may be empty (no directory) or absent; `out_dir` is
// created and must be empty. Fails, writing nothing, when `event` is past
// the end of the trace or the trace is inconsistent.
[[nodiscard]] inline Status BuildKillState(const Trace& trace, uint64_t event,
                                           const std::string& base_dir,
                                           const std::string& out_dir) {
  Result<DirTree> base = ReadDirTree(base_dir);
  if (!base.ok()) return base.status();
  Result<DirTree> tree = ModelKill(trace, event, *base);
  if (!tree.ok()) return tree.status();
  return WriteDirTree(*tree, out_dir);
}

// Builds in `out_dir` the directory a power loss under `plan` leaves (see
// ModelPowerLoss). Deterministic: the same arguments give the same bytes.
[[nodiscard]] inline Status BuildPowerLossState(const Trace& trace, const PowerLossPlan& plan,
                                                const std::string& base_dir,
                                                const std::string& out_dir) {
  Result<DirTree> base = ReadDirTree(base_dir);
  if (!base.ok()) return base.status();
  Result<DirTree> tree = ModelPowerLoss(trace, plan, *base, nullptr);
  if (!tree.ok()) return tree.status();
  return WriteDirTree(*tree, out_dir);
}

}  // namespace crashlab::faults
