// Parallel verification of crash states for systematic exploration: worker
// threads, each driving its own engine process, write a crash state to a
// directory, let the engine recover it (open), dump it and run its check.
// An engine that announced the `reopen` capability verifies state after
// state in one process; any other engine gets a fresh process per state.
// Judging stays with the caller: a worker only reports what was recovered.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "faults/persistence_model.h"
#include "framework/case/oracle.h"
#include "framework/engine/engine_process.h"
#include "framework/engine/variants_file.h"

namespace crashlab {

struct VerifyJob {
  int64_t id = 0;
  faults::DirTree tree;
};

// What recovering job `id`'s state found: VerifyDirectory's RecoveryOutcome,
// or a fault of the hello before it, and what the engine wrote meanwhile.
struct VerifyOutcome {
  int64_t id = 0;
  KvState recovered;
  std::optional<std::string> check_error;
  std::optional<std::string> dump_error;  // OracleInput::dump_error
  std::optional<EngineFault> fault;       // the engine failed to recover or answer
  double recovery_ms = 0;
  // What the engine wrote to stderr while it recovered this state (the
  // last 4 KiB); usually nothing.
  std::string engine_stderr;
};

struct VerifierOptions {
  const VariantSpec* variant = nullptr;
  int jobs = 1;
  std::string workdir;  // existing directory for state directories and logs
  Millis deadline{10000};
};

class VerifierPool {
 public:
  explicit VerifierPool(const VerifierOptions& options);
  // Stops the workers after the queued states; their engines exit.
  ~VerifierPool();
  VerifierPool(const VerifierPool&) = delete;
  VerifierPool& operator=(const VerifierPool&) = delete;

  // Queues a state; blocks while twice as many states as workers wait. Fails
  // once a worker hit a setup error (no engine could be started, a state
  // directory could not be written): what it was.
  [[nodiscard]] Status Submit(VerifyJob job);
  // The outcomes finished since the last call. With `wait`, blocks until at
  // least one is ready or nothing is in flight.
  std::vector<VerifyOutcome> Collect(bool wait);
  // Whether states are queued or being verified.
  bool Busy();
  // Engine processes started so far (one per worker with `reopen`).
  int64_t engines_started() const { return engines_started_; }
  // The first setup error a worker hit, if any.
  std::optional<Status> error();

 private:
  void Work(int worker);

  VerifierOptions options_;
  std::mutex mu_;
  std::condition_variable queued_, space_, finished_;
  std::deque<VerifyJob> queue_;
  std::vector<VerifyOutcome> outcomes_;
  int64_t in_flight_ = 0;  // submitted, outcome not yet collected
  bool stopping_ = false;
  std::optional<Status> error_;
  std::atomic<int64_t> engines_started_{0};
  std::vector<std::thread> workers_;
};

}  // namespace crashlab
