#include "tests/ptrace_run.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "faults/trace_file.h"

namespace crashlab::e2e {

RecordedRun RunRecorded(const RecordOptions& o) {
  namespace fs = std::filesystem;
  RecordedRun run;
  fs::create_directories(o.case_dir);
  fs::remove(o.trace_path);
  const std::string in_path = o.trace_path + ".stdin", err_path = o.trace_path + ".stderr";
  std::ofstream(in_path) << o.stdin_text;
  int out[2];
  if (pipe(out) != 0) return run;
  struct stat st;
  fstat(out[1], &st);
  const std::string pipe_id = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  std::vector<std::string> argv;
  if (o.recorder == RecorderKind::kPtrace) argv = {CRASHLAB_PTRACE, "--"};
  argv.insert(argv.end(), o.argv.begin(), o.argv.end());
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int in = open(in_path.c_str(), O_RDONLY);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in, 0);
    dup2(out[1], 1);
    dup2(err, 2);
    close(out[0]);
    if (o.recorder != RecorderKind::kUntraced) {
      setenv("CRASHLAB_TRACE", o.trace_path.c_str(), 1);
      setenv("CRASHLAB_CASE_DIR", o.case_dir.c_str(), 1);
    }
    setenv("CRASHLAB_REPLY_PIPE", pipe_id.c_str(), 1);
    if (o.recorder == RecorderKind::kPreload) setenv("LD_PRELOAD", CRASHLAB_PRELOAD, 1);
    // LeakSanitizer cannot run under ptrace.
    if (o.recorder == RecorderKind::kPtrace) setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    for (const auto& [name, value] : o.env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) run.out.append(buf, n);
  close(out[0]);
  waitpid(pid, &run.wait_status, 0);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ifstream err_in(err_path);
  run.err.assign(std::istreambuf_iterator<char>(err_in), {});
  if (fs::exists(o.trace_path)) {
    Result<faults::Trace> trace = faults::ReadTraceFile(o.trace_path);
    if (trace.ok()) {
      run.trace = std::move(trace.value());
      run.have_trace = true;
    }
  }
  return run;
}

std::string Brief(const faults::Event& e) {
  char fixed[160];
  std::snprintf(fixed, sizeof fixed, "%s f%llu @%llu+%llu flags=%#x", faults::EventKindName(e.kind),
                static_cast<unsigned long long>(e.file), static_cast<unsigned long long>(e.offset),
                static_cast<unsigned long long>(e.length), e.flags);
  std::string s = fixed;
  if (!e.path.empty()) s += " " + e.path;
  if (!e.path2.empty()) s += " -> " + e.path2;
  if (e.data.size() > 40) {
    s += " <" + std::to_string(e.data.size()) + " bytes>";
  } else if (!e.data.empty()) {
    s += " '" + e.data + "'";
  }
  if (!e.name.empty()) s += " !" + e.name;
  return s;
}

std::vector<std::string> Briefs(const faults::Trace& trace) {
  std::vector<std::string> out;
  for (const faults::Event& e : trace.events) out.push_back(Brief(e));
  return out;
}

}  // namespace crashlab::e2e
