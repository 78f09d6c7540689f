#include "framework/explore/state_verifier.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "faults/crash_state.h"
#include "framework/case/case_steps.h"
#include "framework/engine/engine_client.h"

namespace crashlab {
namespace {

namespace fs = std::filesystem;

bool Announces(const HelloReply& hello, const std::string& capability) {
  return std::find(hello.capabilities.begin(), hello.capabilities.end(), capability) !=
         hello.capabilities.end();
}

}  // namespace

VerifierPool::VerifierPool(const VerifierOptions& options) : options_(options) {
  for (int w = 0; w < std::max(1, options_.jobs); ++w)
    workers_.emplace_back([this, w] { Work(w); });
}

VerifierPool::~VerifierPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  queued_.notify_all();
  space_.notify_all();
  for (std::thread& t : workers_) t.join();
}

Status VerifierPool::Submit(VerifyJob job) {
  std::unique_lock lock(mu_);
  const std::size_t limit = 2 * workers_.size();
  space_.wait(lock, [&] { return queue_.size() < limit || error_; });
  if (error_) return *error_;
  queue_.push_back(std::move(job));
  ++in_flight_;
  queued_.notify_one();
  return Status::Ok();
}

std::vector<VerifyOutcome> VerifierPool::Collect(bool wait) {
  std::unique_lock lock(mu_);
  if (wait) {
    finished_.wait(
        lock, [&] { return !outcomes_.empty() || in_flight_ == 0 || (error_ && queue_.empty()); });
  }
  std::vector<VerifyOutcome> out;
  out.swap(outcomes_);
  in_flight_ -= static_cast<int64_t>(out.size());
  return out;
}

bool VerifierPool::Busy() {
  std::lock_guard lock(mu_);
  return in_flight_ > 0 && !(error_ && queue_.empty() && outcomes_.empty());
}

std::optional<Status> VerifierPool::error() {
  std::lock_guard lock(mu_);
  return error_;
}

namespace {

constexpr std::size_t kStderrTail = 4096;

uintmax_t LogSize(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// The bytes `path` gained past `from`: the last kStderrTail of them.
std::string LogSince(const std::string& path, uintmax_t from) {
  const uintmax_t size = LogSize(path);
  if (size <= from) return "";
  const uintmax_t start = std::max<uintmax_t>(from, size > kStderrTail ? size - kStderrTail : 0);
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(start));
  std::string bytes(static_cast<std::size_t>(size - start), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return start > from ? "...\n" + bytes : bytes;
}

}  // namespace

void VerifierPool::Work(int worker) {
  const std::string log = fmt::format("{}/verifier-{}.stderr", options_.workdir, worker);
  const std::string dir = fmt::format("{}/verifier-{}", options_.workdir, worker);
  std::unique_ptr<EngineProcess> engine;
  bool reopen = false;
  auto fail = [&](const Status& s) {
    std::lock_guard lock(mu_);
    if (!error_) error_ = s;
    // The states still queued will never be verified: forget them.
    in_flight_ -= static_cast<int64_t>(queue_.size());
    queue_.clear();
    space_.notify_all();
    finished_.notify_all();
  };
  for (;;) {
    VerifyJob job;
    {
      std::unique_lock lock(mu_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;
      job = std::move(queue_.front());
      queue_.pop_front();
      space_.notify_one();
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (Status s = faults::WriteDirTree(job.tree, dir); !s.ok()) {
      fail(s);
      break;
    }
    VerifyOutcome outcome;
    outcome.id = job.id;
    const uintmax_t log_before = LogSize(log);
    const auto start = CaseClock::now();
    if (engine == nullptr) {
      Result<std::unique_ptr<EngineProcess>> started =
          EngineProcess::Start(options_.variant->argv, log);
      if (!started.ok()) {
        fail(started.status());
        break;
      }
      engine = std::move(*started);
      ++engines_started_;
      EngineClient client(*engine, options_.deadline);
      HelloReply hello;
      if (Exchange e = client.Hello(hello); !e.ok()) {
        engine->AwaitExitThenKill(e.kind == Exchange::kDied ? kExitGrace : Millis(0));
        outcome.fault = EngineFault{FaultVerdict(e), "hello before recovery: " + e.message};
      }
      reopen = Announces(hello, "reopen");
    }
    if (!outcome.fault) {
      RecoveryOutcome found = VerifyDirectory(*engine, options_.deadline, dir, "the crash", start);
      outcome.recovered = std::move(found.recovered);
      outcome.check_error = std::move(found.check_error);
      outcome.dump_error = std::move(found.dump_error);
      outcome.fault = std::move(found.fault);
      outcome.recovery_ms = found.recovery_ms;
    }
    // A faulted engine was killed; one without `reopen` takes one open only.
    if (outcome.fault || !reopen) {
      if (!outcome.fault) engine->FinishGracefully(options_.deadline);
      engine.reset();
    }
    fs::remove_all(dir, ec);
    outcome.engine_stderr = LogSince(log, log_before);
    std::lock_guard lock(mu_);
    outcomes_.push_back(std::move(outcome));
    finished_.notify_all();
  }
  if (engine != nullptr) engine->FinishGracefully(options_.deadline);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace crashlab
