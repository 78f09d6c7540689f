// Steps every kind of case shares: timing, its files and the engine's log,
// telling a full disk from the engine's own failure, the verdict of a failed
// exchange, and the verification of a crashed directory by a fresh engine
// process (open = recovery, dump, check, close).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "framework/case/oracle.h"
#include "framework/engine/engine_client.h"
#include "framework/engine/engine_process.h"

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

// Below this much free space (statvfs f_bavail) a file system counts as full.
inline constexpr uint64_t kFullBelowBytes = 256 * 1024;

// Bytes free for unprivileged writers on the file system of `path`; nullopt
// when `path` is gone or statvfs fails.
std::optional<uint64_t> FreeBytes(const std::string& path);
// Bytes the file system allocated to everything under `path` (st_blocks, so a
// sparse file counts what it uses); 0 when `path` is absent.
uint64_t DiskFootprint(const std::string& path);

// The error of a case whose engine met a full file system (`how`: "a write of
// 65536 bytes to ballast failed with ENOSPC"): it would judge how the engine
// copes with a full disk, not its recovery, so it gets no verdict. Names the
// directory, the space the case needed at least (what it holds now plus
// `more_bytes`) and what is free.
[[nodiscard]] Status FullDiskError(const std::string& case_dir, const std::string& how,
                                   uint64_t more_bytes);
// Whether `s` is an error FullDiskError made: it says more than a later
// check that merely finds the disk full.
bool IsFullDiskError(const Status& s);
// FullDiskError when `fault` is a death by SIGBUS while the file system of
// `case_dir` is full (what a store through a mapping into a file gets when no
// block is left for its page); Ok otherwise, for a SIGBUS with room left is
// the engine's own (a mapping past the end of its file). `during` names the
// step ("the traced run", "recovery").
[[nodiscard]] Status SigbusOnFullDisk(const std::optional<EngineFault>& fault,
                                      const std::string& case_dir, const std::string& during);

// The verdict when an exchange fails where the engine must answer: a missed
// deadline is hang, a bad reply protocol-error, an err or a death
// recovery-failed.
Verdict FaultVerdict(const Exchange& e);

// What a fresh engine process found in a crashed directory: the state it
// recovered, or the fault that kept it from giving one.
struct RecoveryOutcome {
  KvState recovered;                       // what the engine dumped
  std::optional<std::string> dump_error;   // OracleInput::dump_error
  std::optional<std::string> check_error;  // the engine's own check failed with this
  // An exchange failed; the engine has been killed and the fault decides the
  // verdict.
  std::optional<EngineFault> fault;
  // From the caller's `start` to open's reply; 0 when open did not answer ok.
  double recovery_ms = 0;
  // The engine died of SIGKILL during open, which is the plan when a
  // recovery point is armed.
  bool killed_in_open = false;
};

// Verifies `dir` with `engine`, which has already answered hello: open
// (recovery), dump, check, close. `what` names the crash in a fault's message
// ("the crash", "the power loss"). An engine with the `reopen` capability can
// verify another directory afterwards; after a fault it has been killed.
RecoveryOutcome VerifyDirectory(EngineProcess& engine, Millis deadline, const std::string& dir,
                                const std::string& what, CaseClock::time_point start);

// Verifies `dir` with `engine`, started and not yet greeted: hello, then
// VerifyDirectory, then the engine exits (gracefully when nothing failed).
RecoveryOutcome VerifyRecovery(EngineProcess& engine, Millis deadline, const std::string& dir,
                               const std::string& what, CaseClock::time_point start);

}  // namespace crashlab
