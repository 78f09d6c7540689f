#include "framework/engine/recorder.h"

#include <unistd.h>

#include <map>
#include <mutex>

#include <fmt/format.h>

#include "framework/base/run_program.h"
#include "framework/engine/program_file.h"

namespace crashlab {
namespace {

// Why the ptrace recorder is needed for `program`, or "" when the preload
// library reaches it.
std::string WhyPtrace(const std::string& program) {
  if (IsGoElf(program)) return "a Go program: its runtime makes system calls without libc";
  if (IsStaticElf(program)) return "statically linked: LD_PRELOAD cannot reach it";
  return "";
}

Status Probe(const std::string& path);

}  // namespace

std::string_view RecorderName(RecorderKind kind) {
  switch (kind) {
    case RecorderKind::kAuto:
      return "auto";
    case RecorderKind::kPreload:
      return "preload";
    case RecorderKind::kPtrace:
      return "ptrace";
    case RecorderKind::kBlock:
      return "block";
  }
  return "auto";
}

std::optional<RecorderKind> RecorderFromName(std::string_view name) {
  for (RecorderKind k :
       {RecorderKind::kAuto, RecorderKind::kPreload, RecorderKind::kPtrace, RecorderKind::kBlock}) {
    if (RecorderName(k) == name) return k;
  }
  return std::nullopt;
}

RecorderChoice ChooseRecorder(RecorderKind requested, const std::vector<std::string>& argv) {
  if (requested != RecorderKind::kAuto) return {requested, "asked for"};
  const std::string program = argv.empty() ? "" : FindProgram(argv.front());
  if (program.empty()) return {RecorderKind::kPreload, "the default"};
  if (std::string why = WhyPtrace(program); !why.empty()) {
    return {RecorderKind::kPtrace, fmt::format("{} is {}", program, why)};
  }
  const std::string interpreter = ScriptInterpreter(program);
  if (!interpreter.empty()) {
    if (std::string why = WhyPtrace(interpreter); !why.empty()) {
      return {RecorderKind::kPtrace,
              fmt::format("{} runs {}, which is {}", program, interpreter, why)};
    }
  }
  return {RecorderKind::kPreload, fmt::format("{} is dynamically linked", program)};
}

RecordedCommand UnderRecorder(const Recorder& recorder, RecorderKind kind,
                              const std::vector<std::string>& argv,
                              std::vector<std::string> trace_env) {
  RecordedCommand command;
  command.env = std::move(trace_env);
  if (kind == RecorderKind::kBlock) {
    command.argv = argv;  // untraced: the disk records
    command.env.clear();
  } else if (kind == RecorderKind::kPtrace) {
    command.argv = {recorder.ptrace_path, "--"};
    command.argv.insert(command.argv.end(), argv.begin(), argv.end());
  } else {
    command.argv = argv;
    command.env.insert(command.env.begin(), "LD_PRELOAD=" + recorder.preload_path);
  }
  return command;
}

Status CheckRecorderBuilt(const Recorder& recorder, RecorderKind kind) {
  if (kind == RecorderKind::kBlock) {
    if (access(recorder.blockdev_path.c_str(), X_OK) == 0) return Status::Ok();
    return Status::Error(fmt::format(
        "the block recorder's daemon {} is missing; build it (cmake --build ... --target "
        "crashlab_blockdev) or pass --blockdev",
        recorder.blockdev_path));
  }
  const bool ptrace = kind == RecorderKind::kPtrace;
  const std::string& path = ptrace ? recorder.ptrace_path : recorder.preload_path;
  if (access(path.c_str(), ptrace ? X_OK : R_OK) == 0) return Status::Ok();
  return Status::Error(fmt::format(
      "the {} recorder {} is missing; build it (cmake --build ... --target {}) or pass {}",
      RecorderName(kind), path, ptrace ? "crashlab_ptrace" : "crashlab_preload",
      ptrace ? "--ptrace" : "--preload"));
}

Status CheckRecorderRuns(const Recorder& recorder, RecorderKind kind) {
  if (Status s = CheckRecorderBuilt(recorder, kind); !s.ok()) return s;
  if (kind == RecorderKind::kBlock)
    return faults::CheckBlockRecorderRuns(recorder.fs, recorder.blockdev_path);
  if (kind != RecorderKind::kPtrace) return Status::Ok();
  const std::string& path = recorder.ptrace_path;
  // Whether ptrace works is the machine's property: probe once per process.
  static std::mutex mu;
  static std::map<std::string, Status> probed;
  std::lock_guard lock(mu);
  if (auto it = probed.find(path); it != probed.end()) return it->second;
  return probed.emplace(path, Probe(path)).first->second;
}

namespace {

Status Probe(const std::string& path) {
  Result<ProgramOutput> probe = RunCapturing({path, "--probe"});
  if (!probe.ok()) return probe.status();
  if (probe->exit_code == 0) return Status::Ok();
  return Status::Error(fmt::format(
      "the ptrace recorder cannot trace here: {} (`{} --probe` exited {}); use --recorder "
      "preload for a dynamically linked engine, or --crash kill, which needs no trace",
      probe->output.empty() ? "it printed nothing" : probe->output, path, probe->exit_code));
}

}  // namespace

}  // namespace crashlab
