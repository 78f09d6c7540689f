// Cost of an engine variant: commits per second, and syncs per commit
// counted from the system calls it makes (fsync, fdatasync, msync with
// MS_SYNC, sync_file_range, and every write to a file opened with O_DSYNC or
// O_SYNC), so every engine is measured the same way whatever its code says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "framework/engine/engine_process.h"
#include "framework/engine/recorder.h"
#include "framework/engine/variants_file.h"

namespace crashlab {

// Seconds of one kind of pass over the rounds: each round's, and their median.
struct Timings {
  std::vector<double> runs;
  double median = 0;
  double fastest = 0, slowest = 0;
};

struct BenchResult {
  int64_t commits = 0;
  double seconds = 0;  // the median of the plain passes
  double commits_per_second = 0;
  std::optional<double> syncs_per_commit;  // nullopt when strace is not available
  std::optional<double> traced_seconds;    // median of the passes under libcrashlab_preload.so
  std::optional<double> ptrace_seconds;    // median of the passes under crashlab-ptrace
  Timings plain, preload, ptrace;          // every round (empty when not run)
};

// Runs `txns` transactions of the seeded workload (cases 0, 1, ... of `seed`,
// one after another) through a fresh engine process in a new directory under
// `scratch_dir`, timed `rounds` times, and once under strace to count syncs.
// With `recorders`, each round also times the same pass under each recorder
// that can trace the variant's program (the preload library cannot reach a
// static or Go program: ChooseRecorder), right after the plain one: plain,
// preload, ptrace, plain, preload, ptrace... so that a change in the
// machine's load hits every kind alike, and the medians compare.
[[nodiscard]] Result<BenchResult> BenchVariant(const VariantSpec& variant, uint64_t seed,
                                               int64_t txns, const std::string& scratch_dir,
                                               Millis deadline, const Recorder* recorders = nullptr,
                                               int rounds = 1);

// Fills `t`'s median, fastest and slowest from its runs (an even count: the
// mean of the middle two).
void Summarize(Timings& t);

// Counts syncs in an `strace -f` log (exposed for tests).
int64_t CountSyncs(const std::string& strace_log);

}  // namespace crashlab
