// Runs a helper program to its end and captures what it printed: mkfs, the
// ptrace recorder's probe. Not for engines, which EngineProcess runs in a
// process group of their own with a deadline.
#pragma once

#include <string>
#include <vector>

#include "framework/base/status.h"

namespace crashlab {

struct ProgramOutput {
  int exit_code = 0;   // 128 + the signal when a signal ended it
  std::string output;  // stdout and stderr together, at most 4 KiB, trailing newlines dropped
};

// Runs `argv` (argv[0] searched on PATH, then in `more_path`, a
// colon-separated list) with stdout and stderr into one pipe. An error only
// when it cannot be started at all (127 when the program is not found).
[[nodiscard]] Result<ProgramOutput> RunCapturing(const std::vector<std::string>& argv,
                                                 const std::string& more_path = "");

}  // namespace crashlab
