// What crashlab-ptrace knows about the traced programs, and how it turns
// their system calls into trace events: the same events, fields and order
// as libcrashlab_preload.so (docs/trace-format.md), worked out from outside
// at the seccomp stop of each call's entry and, for the calls whose event
// needs the result, at its exit stop.
//
// The tracing loop (tracee.h) owns the threads and calls OnEntry at a
// seccomp stop and OnExit at the exit stop OnEntry asked for. Single
// threaded: the recorder handles one stop at a time.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "faults/ptrace/config.h"
#include "faults/ptrace/fd_table.h"
#include "faults/ptrace/mappings.h"
#include "faults/ptrace/paths.h"
#include "faults/ptrace/trace_writer.h"

namespace crashlab::ptrace {

// One process (thread group): its threads share the descriptor table, the
// mappings and the reply line in progress.
struct Process {
  pid_t tgid = 0;
  FdTable fds;
  MappingSet maps;
  LineSplitter replies;
  // Tracking of the stores into `maps` (write_tracker.h), set up at the
  // first shared writable mapping; tried once per program image.
  std::shared_ptr<WriteTracker> tracker;
  bool tracker_tried = false;
};

// A name a call changes, looked at before the call.
struct NameArg {
  std::string rel;  // relative to the case dir, or absolute when outside
  bool inside = false;
  bool exists = false;
  struct stat st {};
};

// What an entry stop saw, for the exit stop to finish.
struct PendingCall {
  long nr = -1;
  uint64_t args[6] = {};
  // open: whether the file existed before an O_CREAT, the open flags and
  // the path the call names, resolved at entry.
  bool existed = true;
  int open_flags = 0;
  std::string resolved;
  // rename, link, unlink, mkdir, rmdir, truncate: the names.
  NameArg a, b;
  // writes: the traced file, its bytes, the explicit offset (-1: the
  // descriptor's), the RWF_ flags.
  uint64_t file = 0;
  std::string data;
  int64_t at = -1;
  int rwf = 0;
};

struct Thread {
  pid_t tid = 0;
  std::shared_ptr<Process> process;
  std::optional<PendingCall> pending;
  // A write the kernel will restart after a signal (ERESTARTSYS at its
  // exit): its next entry with these arguments is not recorded again.
  std::optional<PendingCall> restarting;
};

class Recorder {
 public:
  Recorder(Config config, TraceWriter& writer);

  // Called once event kill_at_event is in the trace and no flush is under
  // way (live mode): must stop the other tracees, FlushAll, and kill the
  // process group. Never returns.
  void SetKillHook(std::function<void()> hook) { kill_hook_ = std::move(hook); }
  // Runs system call `nr` in thread `tid`, stopped at a call's exit, and
  // returns its result (nullopt when it could not): how the recorder makes
  // the userfaultfd of a process's write tracking.
  using Injector =
      std::function<std::optional<int64_t>(pid_t tid, long nr, const std::array<uint64_t, 6>&)>;
  void SetInjector(Injector injector) { injector_ = std::move(injector); }

  // At the seccomp stop of call `nr`: records what is recorded before the
  // call and returns true when the exit stop is needed (OnExit).
  bool OnEntry(Thread& t, long nr, const uint64_t args[6]);
  // At the exit stop OnEntry asked for.
  void OnExit(Thread& t, int64_t rval, bool is_error);
  // After an exec in `t`'s process: the CLOEXEC descriptors and every
  // mapping are gone, and a new image starts without a partial reply.
  void OnExec(Thread& t);
  // A thread exited: a later thread with the same tid gets a new number.
  void ThreadGone(pid_t tid) { thread_numbers_.erase(tid); }
  // Live kill: the map-writes of every process, read through `reader_tid`.
  void FlushAll(const std::vector<std::pair<pid_t, Process*>>& processes);

  const Config& config() const { return config_; }
  // CRASHLAB_PTRACE_STATS: what the mapping diffs cost, on stderr.
  void PrintStats() const;
  // The descriptor number CRASHLAB_POINT_FD names in the main program.
  static constexpr int kPointFd = 1000;

 private:
  // The trace: Emit appends one event; Record first brings the trace up to
  // date with the process's stores through shared mappings.
  void Emit(pid_t tid, Rec rec);
  void Record(Thread& t, Rec rec);
  // `whole`: every mapped page compared, tracked or not (at the syncs).
  void FlushMappings(pid_t tid, Process& p, bool whole = false);
  MappingSet::Tools ToolsFor(pid_t tid, Process& p);
  // Sets up write tracking for t's process, once (write_tracker.h).
  void EnsureTracker(Thread& t);
  void KillIfDue();
  // OnExit's work, by call.
  void ExitCall(Thread& t, const PendingCall& c, int64_t rval, bool is_error);

  uint64_t FileId(const struct stat& st);
  void ForgetInode(const struct stat& st) { inodes_.erase({st.st_dev, st.st_ino}); }
  uint64_t Size(uint64_t file) const;
  void GrowSize(uint64_t file, uint64_t end);

  // The table's entry for `fd`, or one worked out from /proc and cached.
  FdEntry Lookup(Thread& t, int fd);
  std::string ResolveAt(Thread& t, int dirfd, const std::string& path);
  NameArg Look(Thread& t, int dirfd, uint64_t path_addr);

  // syscalls_write.cc
  bool EnterWrite(Thread& t, PendingCall& c);
  bool EnterCopy(Thread& t, PendingCall& c);
  void ExitWrite(Thread& t, const PendingCall& c, int64_t rval, bool is_error);
  void NoteReply(Thread& t, const std::string& bytes);
  // syscalls_fds.cc
  bool EnterOpen(Thread& t, PendingCall& c);
  void ExitOpen(Thread& t, const PendingCall& c, int64_t fd);
  void EnterClose(Thread& t, int fd);
  void ExitDup(Thread& t, const PendingCall& c, int64_t fd);
  // syscalls_sync.cc
  void ExitFdEvent(Thread& t, const PendingCall& c);
  bool EnterMap(Thread& t, PendingCall& c);
  bool EnterFdEvent(Thread& t, PendingCall& c);
  void ExitMap(Thread& t, const PendingCall& c, int64_t rval);
  // syscalls_names.cc
  bool EnterName(Thread& t, PendingCall& c);
  void ExitName(Thread& t, const PendingCall& c);

  Config config_;
  TraceWriter& writer_;
  CaseDir case_dir_;
  std::function<void()> kill_hook_;
  Injector injector_;
  MappingSet::Counts counts_;
  uint64_t emitted_ = 0;
  int flushing_ = 0;
  bool killing_ = false;
  uint32_t next_thread_ = 0;
  std::unordered_map<pid_t, uint32_t> thread_numbers_;
  uint64_t next_file_ = 0;
  std::map<std::pair<dev_t, ino_t>, uint64_t> inodes_;
  std::unordered_map<uint64_t, uint64_t> sizes_;
};

}  // namespace crashlab::ptrace
