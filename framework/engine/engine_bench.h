// Cost of an engine variant: commits per second, and syncs per commit
// counted from the system calls it makes (fsync, fdatasync, msync with
// MS_SYNC, sync_file_range, and every write to a file opened with O_DSYNC or
// O_SYNC), so every engine is measured the same way whatever its code says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "framework/engine/engine_process.h"
#include "framework/engine/recorder.h"
#include "framework/engine/variants_file.h"

namespace crashlab {

struct BenchResult {
  int64_t commits = 0;
  double seconds = 0;
  double commits_per_second = 0;
  std::optional<double> syncs_per_commit;  // nullopt when strace is not available
  std::optional<double> traced_seconds;    // the same pass under libcrashlab_preload.so
  std::optional<double> ptrace_seconds;    // the same pass under crashlab-ptrace
};

// Runs `txns` transactions of the seeded workload (cases 0, 1, ... of `seed`,
// one after another) through a fresh engine process in a new directory under
// `scratch_dir`, once timed and once under strace to count syncs. With
// `recorders`, the same pass is timed right after the plain one under each
// recorder that can trace the variant's program (the preload library cannot
// reach a static or Go program: ChooseRecorder).
[[nodiscard]] Result<BenchResult> BenchVariant(const VariantSpec& variant, uint64_t seed,
                                               int64_t txns, const std::string& scratch_dir,
                                               Millis deadline,
                                               const Recorder* recorders = nullptr);

// Counts syncs in an `strace -f` log (exposed for tests).
int64_t CountSyncs(const std::string& strace_log);

}  // namespace crashlab
