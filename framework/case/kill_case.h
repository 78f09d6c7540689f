// One kill case from start to verdict: run the engine on a fresh directory
// under the case's seeded workload, SIGKILL its process group at the planned
// point, start it again so that it recovers, read back its state and judge it.
// The directory the kill left is read before recovery touches it (when its
// files hold at most kCrashFilesReadLimit bytes): its digest names the crash
// state, and a violation keeps its files (at most kCrashFilesLimit bytes of
// them), from which ReplayKillCase recovers the very same bytes again.
#pragma once

#include <cstdint>
#include <string>

#include "faults/persistence_model.h"
#include "framework/case/oracle.h"
#include "framework/engine/engine_process.h"
#include "framework/engine/variants_file.h"
#include "framework/plan/crash_plan.h"
#include "framework/plan/workload.h"

namespace crashlab {

struct KillCaseSpec {
  const VariantSpec* variant = nullptr;
  uint64_t seed = 0;
  uint64_t case_index = 0;
  std::size_t txns = 0;  // transactions in the workload; 0: drawn by the seed
  // An empty or absent directory for this case: the engine's database goes
  // to <case_dir>/data and its stderr to <case_dir>/engine.stderr.
  std::string case_dir;
  Millis deadline{10000};  // per exchange with the engine
  // Empty for a timed kill; else kill at this named point, or "any" for a
  // point chosen by the seed among `engine_points`.
  std::string point;
  std::vector<std::string> engine_points;
};

struct KillCaseResult {
  Workload workload;
  KillPlan plan;
  std::size_t sent = 0;   // transactions the engine received
  std::size_t acked = 0;  // of those, acknowledged (a prefix)
  Judgement judgement;
  Contract contract = Contract::kDurable;
  bool violation = false;
  std::string notes;  // what else happened (an err reply, an engine that died by itself)
  double workload_ms = 0, recovery_ms = 0, total_ms = 0;
  std::string stderr_tail;  // the last few KiB the engine wrote to stderr
  // faults::DigestDirTree of the directory the kill left, before recovery;
  // "" when it was not read: its files hold more than kCrashFilesReadLimit
  // bytes, it holds something other than files and directories, or the
  // engine could not be driven to the crash (a hang, a protocol error).
  std::string crash_state;
  // That directory's files packed (PackDirTree), kept only for a violation
  // and only when they hold at most kCrashFilesLimit bytes outside blocks
  // of zeros (crash_files.h); "" otherwise.
  std::string crash_files;
};

// Says hello to the variant's engine once, before its cases, and returns its
// named points. Errors, which stop a campaign before any verdict: the program
// cannot be started, it speaks another protocol version, or `point` (when not
// empty) is neither "any" nor one of its points. Anything else that goes wrong
// is left for the cases to judge.
[[nodiscard]] Result<std::vector<std::string>> ProbeEngine(const std::string& engine,
                                                           const VariantSpec& variant,
                                                           const std::string& log, Millis deadline,
                                                           const std::string& point);

// Runs one case. An error means crashlab could not run the case at all (the
// case directory cannot be created, the program cannot be started); it is
// never a verdict.
[[nodiscard]] Result<KillCaseResult> RunKillCase(const KillCaseSpec& spec);

// Replays a recorded kill case from the crash state its violation kept:
// writes `state` to <case_dir>/data, then recovers and judges it exactly as
// RunKillCase does after the kill (a point plan inside recovery is armed
// again), against the first `sent` transactions of the case's workload of
// which the first `acked` were acknowledged. No workload runs, so the state
// is the recorded one byte for byte, whatever the engine's threads did.
// An absent directory (a kill inside the first open) comes back as an empty
// one. The result has no notes from the workload's run, and a transaction the
// engine refused in that run counts as sent with its operations (the store
// does not say which ones it refused). An error means the case could not be
// replayed: the case directory, the program, or `sent`/`acked` that do not
// fit the workload (another --txns, or a damaged database).
[[nodiscard]] Result<KillCaseResult> ReplayKillCase(const KillCaseSpec& spec,
                                                    const faults::DirTree& state, std::size_t sent,
                                                    std::size_t acked);

}  // namespace crashlab
