// Runs a helper program to its end and captures what it printed: mkfs, the
// ptrace recorder's probe. Not for engines, which EngineProcess runs in a
// process group of their own with a deadline.
#pragma once

#include <string>
#include <vector>

#include "framework/base/status.h"

namespace crashlab {

// In a child between fork and exec (async-signal-safe): marks every
// descriptor from 3 up close-on-exec, so that what the parent opened
// without O_CLOEXEC does not outlive the exec. A kernel without
// close_range(2) (before 5.11) leaves them as they were.
void CloseOnExecFrom3();

struct ProgramOutput {
  int exit_code = 0;   // 128 + the signal when a signal ended it
  std::string output;  // stdout and stderr together, at most 4 KiB, trailing newlines dropped
};

// Runs `argv` (argv[0] searched on PATH, then in `more_path`, a
// colon-separated list) with stdin from /dev/null and stdout and stderr into
// one pipe, to its end. An error only when it cannot be started or waited
// for; a program not found exits 127.
// Where RunCapturing finds `program`: itself when it names a path, else the
// first executable of that name on PATH, then in `more_path`; "" if none.
std::string FindProgramOnPath(const std::string& program, const std::string& more_path = "");

[[nodiscard]] Result<ProgramOutput> RunCapturing(const std::vector<std::string>& argv,
                                                 const std::string& more_path = "");

}  // namespace crashlab
