// What crashlab-ptrace is told to record, read once from the environment the
// preload library reads too (docs/trace-format.md): the trace, the case
// directory, the protocol pipe, the live kill and the untraced files; and
// its own: CRASHLAB_PTRACE_ONE_CPU, CRASHLAB_PTRACE_WRITE_TRACKING and
// CRASHLAB_PTRACE_STATS.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace crashlab::ptrace {

struct Config {
  std::string trace_path;  // CRASHLAB_TRACE
  std::string case_dir;    // CRASHLAB_CASE_DIR, normalized; symlinks resolved once it exists
  bool have_reply_pipe = false;
  dev_t reply_dev = 0;  // CRASHLAB_REPLY_PIPE=DEV:INO
  ino_t reply_ino = 0;
  uint64_t kill_at_event = UINT64_MAX;      // CRASHLAB_KILL_AT_EVENT; UINT64_MAX: never
  std::vector<std::string> untraced_globs;  // CRASHLAB_UNTRACED_FILES, split at ':'
  // The recorder and the program share one CPU, unless CRASHLAB_PTRACE_ONE_CPU=0
  // (tracee.h says why).
  bool one_cpu = true;
  // Stores into shared mappings found through write tracking
  // (write_tracker.h) where the kernel has it, unless
  // CRASHLAB_PTRACE_WRITE_TRACKING=0: then every page is compared.
  bool track_writes = true;
  bool print_stats = false;  // CRASHLAB_PTRACE_STATS=1: the diffs' cost on stderr at the end
};

// The configuration, or nullopt when CRASHLAB_TRACE or an absolute
// CRASHLAB_CASE_DIR is missing (then nothing is traced, as with the library).
// Without CRASHLAB_REPLY_PIPE, the recorder's own fd 1 is the pipe, and the
// variable is set for the program so that its children agree.
std::optional<Config> ConfigFromEnvironment();

// "DEV:INO" in decimal, as framework/engine/engine_process.cc writes it.
bool ParsePipeIdentity(const char* text, dev_t& dev, ino_t& ino);

// "a:b::c" -> {"a", "b", "c"}.
std::vector<std::string> SplitColons(const std::string& list);

}  // namespace crashlab::ptrace
