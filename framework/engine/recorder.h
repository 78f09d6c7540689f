// How a traced run records what its engine does to its files: with
// libcrashlab_preload.so loaded into the engine's processes, or with
// crashlab-ptrace around them (docs/recorders.md). Both write the same trace
// (docs/trace-format.md); the preload library is cheaper, the ptrace recorder
// reaches every Linux binary: static ones, Go programs, stdio's own writes.
// The block-level recorder records no trace: the engine runs untraced on a
// real file system whose disk logs what reaches it (faults/block/,
// framework/case/block_case.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faults/block/file_system.h"
#include "framework/base/status.h"

namespace crashlab {

enum class RecorderKind : uint8_t {
  kAuto,     // chosen per engine program (ChooseRecorder)
  kPreload,  // libcrashlab_preload.so in LD_PRELOAD
  kPtrace,   // crashlab-ptrace: ptrace with a seccomp filter
  kBlock,    // crashlab-blockdev: the disk under a real file system (power loss only)
};

// "auto", "preload", "ptrace", "block": the words of --recorder.
std::string_view RecorderName(RecorderKind kind);
std::optional<RecorderKind> RecorderFromName(std::string_view name);

// The recorder a command asked for and where the recorders are.
struct Recorder {
  RecorderKind kind = RecorderKind::kAuto;
  std::string preload_path;   // libcrashlab_preload.so
  std::string ptrace_path;    // crashlab-ptrace
  std::string blockdev_path;  // crashlab-blockdev
  // The block-level recorder's file system (--fs).
  faults::FileSystemKind fs = faults::FileSystemKind::kExt4;
};

// A recorder for one engine program, and why it was chosen.
struct RecorderChoice {
  RecorderKind kind = RecorderKind::kPreload;  // never kAuto
  std::string why;                             // e.g. "asked for", "a Go program"
};

// `requested` for the engine command `argv`: itself unless it is kAuto,
// which picks the ptrace recorder for a program LD_PRELOAD cannot reach (a
// statically linked ELF file, a Go program, a script run by either) and the
// preload library otherwise. What the program runs later (a wrapper
// script's exec) cannot be seen here; the check at hello catches it.
RecorderChoice ChooseRecorder(RecorderKind requested, const std::vector<std::string>& argv);

// The command and extra environment that run `argv` under recorder `kind`
// (kPreload or kPtrace), with `trace_env`, the CRASHLAB_* variables of the
// trace (docs/trace-format.md), which both recorders read.
struct RecordedCommand {
  std::vector<std::string> argv;
  std::vector<std::string> env;
};
RecordedCommand UnderRecorder(const Recorder& recorder, RecorderKind kind,
                              const std::vector<std::string>& argv,
                              std::vector<std::string> trace_env);

// Whether the file of recorder `kind` (not kAuto) is there; the error says
// how to build it.
[[nodiscard]] Status CheckRecorderBuilt(const Recorder& recorder, RecorderKind kind);

// Whether recorder `kind` can run here: its file exists and, for ptrace,
// `crashlab-ptrace --probe` traced a child (it fails where ptrace or seccomp
// is not permitted: kernel.yama.ptrace_scope, a container without
// CAP_SYS_PTRACE; the probe runs once per process), for block, root, FUSE,
// loop devices and the file system (faults::CheckBlockRecorderRuns). The
// error names the cause and the fix.
[[nodiscard]] Status CheckRecorderRuns(const Recorder& recorder, RecorderKind kind);

}  // namespace crashlab
