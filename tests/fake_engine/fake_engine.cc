// crashlab-fake-engine: a tiny log-structured key-value engine for crashlab's
// own tests. `--mode=correct` keeps every contract under kill; the other
// modes misbehave on purpose, each in one way the controller must catch:
//   ack-before-write  acknowledges a commit, writes it up to 20 ms later
//   torn              writes a transaction one operation at a time
//   hang-in-open      never answers open
//   hang-in-txn       never answers a transaction once the log holds one
//   exit-in-open      exits during open
//   garbage           answers every request with binary junk
//   raw-syscall       correct, but writes its log past libc (a tracer cannot see it)
//   err-script        correct until a recovery, which it refuses with an error
//                     message that is HTML (for the report's escaping test)
//   flood-stdout      from open on, writes lines nobody asked for, without end
//   long-line         answers open with one 100 MB line
//   fork-child        correct, but each open leaves two processes behind: one in
//                     its process group, one in a session of its own
//   ignore-sigterm    correct, but ignores SIGTERM, SIGINT and SIGHUP and never
//                     exits by itself once its input ends
//   write-outside     correct, but also keeps a copy of its log beside its
//                     case directory (a file no crash of that directory touches)
//   fill-disk         correct, but first fills its file system with a ballast file
//   stdio-log         correct, but also keeps an info log, LOG, written with
//                     stdio (past the tracer) and never read back; each open
//                     first renames the last one to LOG.old, as LevelDB does
//   line-buffered     correct, but from open on its stdout is line-buffered:
//                     stdio sends each reply by itself, where no tracer sees it
//   enospc-then-free  correct, but at its third commit fills its file system,
//                     meets ENOSPC, removes the ballast and refuses the commit
//   mmap-fill         stores through a mapping of a large sparse file in each
//                     open, page after page: on a full file system, SIGBUS
//   two-causes        refuses every recovery of a non-empty log, one way for
//                     3 keys or more, another for fewer (two bugs, one verdict)
//   sparse-1tib       correct, but keeps a 1 TiB sparse file (made by ftruncate)
//                     beside its log
//   err-escapes       correct until a recovery, which it refuses after writing
//                     terminal escape sequences to stderr (for repro's escaping)
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "engines/adapter/adapter.h"
#include "faults/points/point.h"
#include "tests/fake_engine/op_log.h"

namespace crashlab::fake {
namespace {

// The fake engine's named points, so tests can crash at exact places.
namespace points {
constexpr faults::Point kOpenBefore{"recovery.open:before",
                                    "everything committed before the crash"};
constexpr faults::Point kCommitBefore{"fake.commit:before", "transactions before this one"};
constexpr faults::Point kCommitAfter{"fake.commit:after", "this transaction, not yet acknowledged"};
}  // namespace points

class FakeEngine : public adapter::Engine {
 public:
  FakeEngine(std::string mode, bool reopen) : mode_(std::move(mode)), reopen_(reopen) {
    if (mode_ == "raw-syscall") log_.UseRawSyscalls();
  }
  ~FakeEngine() override { StopFlusher(); }

  std::string Name() const override { return "fake-" + mode_; }
  std::vector<std::string> Capabilities() const override {
    return reopen_ ? std::vector<std::string>{"reopen"} : std::vector<std::string>{};
  }
  std::vector<std::string> Points() const override {
    return {std::string(points::kOpenBefore.name), std::string(points::kCommitBefore.name),
            std::string(points::kCommitAfter.name)};
  }

  Status Open(const std::string& dir) override {
    if (mode_ == "hang-in-open") {
      while (true) pause();
    }
    if (mode_ == "exit-in-open") {
      std::fprintf(stderr, "crashlab-fake-engine: cannot open %s: giving up\n", dir.c_str());
      _exit(3);
    }
    if (mode_ == "mmap-fill") StoreThroughALargeMapping(dir);
    if (mode_ == "flood-stdout") StartFlood();
    if (mode_ == "long-line") WriteLongLine();
    if (mode_ == "fork-child") LeaveProcessesBehind();
    if (mode_ == "fill-disk") FillFileSystem(dir);
    if (mode_ == "line-buffered") std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
    if (mode_ == "sparse-1tib") MakeSparseFile(dir);
    CRASHLAB_POINT(points::kOpenBefore);
    Result<std::map<std::string, std::string>> state = log_.Open(dir);
    if (!state.ok()) return state.status();
    state_ = std::move(state.value());
    dir_ = dir;
    if (mode_ == "write-outside") {
      // The bug: state kept where the harness's crash of `dir` cannot reach.
      Result<std::map<std::string, std::string>> copy = outside_.Open(dir + ".outside");
      if (!copy.ok()) return copy.status();
    }
    if (mode_ == "two-causes" && !state_.empty()) {
      // Numbers and a path that differ from state to state, as a real
      // engine's do; what tells the two bugs apart is the rest.
      if (state_.size() >= 3) {
        return Status::Error("Corruption: MANIFEST-" + std::to_string(100000 + state_.size()) +
                             " is torn at offset " + std::to_string(log_.Size()));
      }
      return Status::Error("IO error: lock " + dir + "/LOCK: held by process " +
                           std::to_string(getpid()));
    }
    if (mode_ == "err-escapes" && !state_.empty()) {
      std::fprintf(stderr, "\x1b[2J\x1b[31mscreen cleared\x1b[0m\r\x07 refused %zu keys\n",
                   state_.size());
      return Status::Error("refused");
    }
    if (mode_ == "err-script" && !state_.empty()) {
      std::fprintf(stderr, "<img src=x onerror=alert(2)> refused %zu keys\n", state_.size());
      return Status::Error("<script>alert(1)</script>");
    }
    if (mode_ == "stdio-log") OpenInfoLog(dir);
    // Something on stderr at each open, for the tests of what failures keep.
    std::fprintf(stderr, "crashlab-fake-engine: opened %zu keys\n", state_.size());
    if (mode_ == "ack-before-write") StartFlusher();
    return Status::Ok();
  }

  Status Commit(const std::vector<adapter::Op>& ops) override {
    if (mode_ == "hang-in-txn" && log_.Size() > 0) {
      while (true) pause();
    }
    if (mode_ == "enospc-then-free" && ++commits_ == 3) {
      // What an engine that handles a full disk well does: the commit is
      // refused, nothing of it is kept, and the engine goes on.
      FillFileSystem(dir_);
      unlink((dir_ + "/ballast").c_str());
      return Status::Error("no space left on device");
    }
    for (const adapter::Op& op : ops) {
      if (op.is_put) {
        state_[op.key] = op.value;
      } else {
        state_.erase(op.key);
      }
    }
    if (mode_ == "ack-before-write") {
      std::lock_guard lock(mu_);
      pending_.push_back(ops);
      return Status::Ok();  // the bug: acknowledged while only in memory
    }
    if (mode_ == "torn") {
      for (const adapter::Op& op : ops) {
        // The bug: each operation is its own record, so a crash between
        // them leaves part of the transaction behind.
        if (Status s = log_.Append({op}); !s.ok()) return s;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      return Status::Ok();
    }
    CRASHLAB_POINT(points::kCommitBefore);
    Status s = log_.Append(ops);
    if (s.ok() && mode_ == "write-outside") s = outside_.Append(ops);
    if (s.ok() && info_log_ != nullptr) {
      std::fprintf(info_log_, "committed %zu operation(s)\n", ops.size());
      std::fflush(info_log_);
    }
    CRASHLAB_POINT(points::kCommitAfter);
    return s;
  }

  Result<std::optional<std::string>> Get(const std::string& key) override {
    auto it = state_.find(key);
    if (it == state_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Result<std::vector<std::pair<std::string, std::string>>> Dump() override {
    return std::vector<std::pair<std::string, std::string>>(state_.begin(), state_.end());
  }

  std::optional<Status> Check() override { return log_.Verify(); }

  Status Close() override {
    StopFlusher();
    if (info_log_ != nullptr) std::fclose(info_log_);
    info_log_ = nullptr;
    state_.clear();
    return log_.Close();
  }

 private:
  // The info log: diagnostics only, never read back for recovery.
  void OpenInfoLog(const std::string& dir) {
    (void)std::rename((dir + "/LOG").c_str(), (dir + "/LOG.old").c_str());
    info_log_ = std::fopen((dir + "/LOG").c_str(), "w");
    if (info_log_ != nullptr) std::fprintf(info_log_, "opened %zu keys\n", state_.size());
  }

  void StartFlusher() {
    running_ = true;
    flusher_ = std::thread([this] {
      while (running_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        FlushPending();
      }
    });
  }
  void StopFlusher() {
    if (!flusher_.joinable()) return;
    running_ = false;
    flusher_.join();
    FlushPending();
  }
  void FlushPending() {
    std::lock_guard lock(mu_);
    for (const auto& ops : pending_) (void)log_.Append(ops);
    pending_.clear();
  }

  // Unrequested lines on stdout from a thread of their own, until killed.
  void StartFlood() {
    std::thread([] {
      for (uint64_t n = 0;; ++n)
        std::fprintf(stdout, "log: flushed page %llu\n", static_cast<unsigned long long>(n));
    }).detach();
  }

  // "ok " and 100 MB more on one line, the reply to open.
  static void WriteLongLine() {
    std::string chunk(1 << 20, 'x');
    std::fputs("ok ", stdout);
    for (int i = 0; i < 100; ++i) std::fwrite(chunk.data(), 1, chunk.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  // A child that stays in the engine's process group, and a grandchild that
  // moves to a session of its own (as a daemon does) through a child that
  // exits at once; both sleep forever and keep stdout open.
  static void LeaveProcessesBehind() {
    if (fork() == 0) {
      while (true) pause();
    }
    const pid_t middle = fork();
    if (middle == 0) {
      setsid();
      if (fork() == 0) {
        while (true) pause();
      }
      _exit(0);
    }
    int ignored;
    waitpid(middle, &ignored, 0);
  }

  // Writes a ballast file beside the log until the file system is full.
  static void FillFileSystem(const std::string& dir) {
    mkdir(dir.c_str(), 0755);
    const int fd = open((dir + "/ballast").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) return;
    const std::string chunk(1 << 16, 'b');
    while (write(fd, chunk.data(), chunk.size()) > 0) {
    }
    close(fd);
  }

  // Maps a 16 MiB sparse file and dirties its pages one by one: where the
  // file system cannot hold them, the store that needs a block gets SIGBUS.
  static void StoreThroughALargeMapping(const std::string& dir) {
    mkdir(dir.c_str(), 0755);
    constexpr std::size_t kSize = 16u << 20;
    const int fd = open((dir + "/mapped").c_str(), O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ftruncate(fd, kSize) != 0) return;
    void* map = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) return;
    for (std::size_t at = 0; at < kSize; at += 4096) static_cast<char*>(map)[at] = 'm';
    munmap(map, kSize);
    close(fd);
  }

  // A file of 1 TiB that holds no data: a size crashlab must not materialise.
  static void MakeSparseFile(const std::string& dir) {
    mkdir(dir.c_str(), 0755);
    const int fd = open((dir + "/sparse").c_str(), O_WRONLY | O_CREAT, 0644);
    if (fd < 0) return;
    (void)ftruncate(fd, off_t{1} << 40);
    close(fd);
  }

  std::string mode_;
  std::FILE* info_log_ = nullptr;
  std::string dir_;  // the directory of the last open
  int commits_ = 0;
  bool reopen_ = true;
  OpLog log_;
  OpLog outside_;  // write-outside's copy beside the case directory
  std::map<std::string, std::string> state_;
  std::mutex mu_;
  std::vector<std::vector<adapter::Op>> pending_;
  std::thread flusher_;
  std::atomic<bool> running_{false};
};

// Reads requests and answers each with bytes that are no protocol at all.
int ServeGarbage() {
  char line[4096];
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
    std::fputs("\x01\x02\xff garbage \x7f\n", stdout);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace crashlab::fake

int main(int argc, char** argv) {
  std::string mode = "correct";
  bool reopen = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--mode=", 7) == 0) {
      mode = argv[i] + 7;
    } else if (std::strcmp(argv[i], "--no-reopen") == 0) {
      reopen = false;  // one open per process, as an engine without `reopen` announces
    } else {
      std::fprintf(stderr,
                   "crashlab-fake-engine: unknown option '%s'; use --mode=MODE [--no-reopen]\n",
                   argv[i]);
      return 2;
    }
  }
  if (!crashlab::faults::ArmFromEnvironment()) return 2;
  if (mode == "garbage") return crashlab::fake::ServeGarbage();
  if (mode == "ignore-sigterm") {
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) signal(sig, SIG_IGN);
  }
  crashlab::fake::FakeEngine engine(mode, reopen);
  const int status = crashlab::adapter::Serve(engine, stdin, stdout);
  if (mode == "ignore-sigterm") {
    while (true) pause();  // its input ended: a well-behaved engine exits here
  }
  return status;
}
