// Steps every kind of case shares: timing, the engine's log, the verdict of a
// failed exchange, and the verification of a crashed directory by a fresh
// engine process (open = recovery, dump, check, close).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "framework/engine_client.h"
#include "framework/engine_process.h"
#include "framework/oracle.h"

namespace crashlab {

using CaseClock = std::chrono::steady_clock;

// How long an engine whose output ended gets to finish exiting, so that its
// own exit status (or its own SIGKILL at a point) is what gets reported.
inline constexpr Millis kExitGrace{2000};

double MsSince(CaseClock::time_point start);
// The last `max_bytes` of the file at `path` ("" when unreadable).
std::string FileTail(const std::string& path, std::size_t max_bytes);
// The whole file at `path`, or an error naming it.
[[nodiscard]] Result<std::string> ReadWholeFile(const std::string& path);
// Writes `bytes` to a new file at `path`, or an error naming it.
[[nodiscard]] Status WriteWholeFile(const std::string& path, const std::string& bytes);
// Appends a marker line to the engine's log, so its stderr reads in phases.
void AppendLog(const std::string& path, const std::string& text);

// The verdict when an exchange fails where the engine must answer: a missed
// deadline is hang, a bad reply protocol-error, an err or a death
// recovery-failed.
Verdict FaultVerdict(const Exchange& e);

// Verifies `dir` with `engine` (already started): hello, open (recovery),
// dump into input.recovered, check into input.check_error, close. Returns the
// fault when an exchange fails; `what` names the crash in its message ("the
// crash", "the power loss"). `killed_in_open` tells that the engine died of
// SIGKILL during open, which is the plan when a recovery point is armed.
// The part of VerifyRecovery after hello: open (recovery), dump, check,
// close. An engine with the `reopen` capability can verify another directory
// afterwards; after a fault it has been killed.
std::optional<EngineFault> VerifyDirectory(EngineProcess& engine, Millis deadline,
                                           const std::string& dir, const std::string& what,
                                           CaseClock::time_point start, OracleInput& input,
                                           double& recovery_ms, bool& killed_in_open);

std::optional<EngineFault> VerifyRecovery(EngineProcess& engine, Millis deadline,
                                          const std::string& dir, const std::string& what,
                                          CaseClock::time_point start, OracleInput& input,
                                          double& recovery_ms, bool& killed_in_open);

}  // namespace crashlab
