// The steps both kinds of power-loss case share, the file-level traced case
// (traced_case.h) and the block-level one (block_case.h): the case
// directory, the engine's own failure, recovery of a crash state and the
// verdict.
#pragma once

#include <optional>
#include <string>

#include "framework/case/case_steps.h"
#include "framework/case/traced_case.h"
#include "framework/case/traced_run.h"

namespace crashlab {

// Makes the case's new directory; the error says to choose another --workdir.
[[nodiscard]] Status MakeTracedCaseDir(const std::string& dir);

// An error when the traced run's engine failed on its own before any crash
// point (it died, or refused to open a new database): an error of the engine
// or its adapter, never a verdict. `log` is its stderr.
[[nodiscard]] Status FailedOnItsOwn(const std::optional<EngineFault>& fault, const std::string& log,
                                    const TracedCaseSpec& spec);

// A new result for `spec`: its workload, crash kind, contract and plan's
// profile and unit.
TracedCaseResult NewTracedResult(const TracedCaseSpec& spec);

// Recovers the crash state in `crash_dir` with a fresh engine process and
// returns what the oracle judges, with `known`, what the controller knew at
// the crash. Sets r.sent, r.acked and r.recovery_ms.
[[nodiscard]] Result<OracleInput> RecoverCrashDir(const TracedCaseSpec& spec, SentAndAcked known,
                                                  const std::string& crash_dir,
                                                  const std::string& log, TracedCaseResult& r);

// The verdict of `input`, and the trace (or block log) at `trace_path` a
// failure keeps ("": none).
[[nodiscard]] Status ConcludeTracedCase(const std::string& trace_path, const std::string& log,
                                        CaseClock::time_point start, TracedCaseResult& r,
                                        const OracleInput& input);

}  // namespace crashlab
