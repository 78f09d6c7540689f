// crashlab-results-store-engine: crashlab's own results store (framework/
// results_store.h) behind the engine protocol, so that crashlab can crash the
// writer of its own verdicts and check that every case it reported recorded
// is still there (issue 9).
//
// The storage IS the ResultsStore, opened and written through the calls the
// controller makes:
//   open DIR    ResultsStore::Open(DIR/results.db), then the campaign: the one
//               the file already holds (found with CasesOfCampaign), else a new
//               one from BeginCampaign, as `crashlab run` starts one.
//   txn         one case per operation, written in one store transaction: a
//               single operation through RecordCase (a campaign's path), more
//               through RecordCases (exploration's batch). `ok` follows the
//               store call's return, as the controller reports a case only
//               once it is recorded.
//               put K V: a passing case whose details say "put <K> <V>"
//               (percent-encoded, docs/engine-protocol.md);
//               del K: a violating case with its failure row, whose recovered
//               text says "del <K>": the store writes both rows in one
//               transaction or neither, and the key is read from the failure
//               row, so a case without it shows as a lost delete.
//   dump        CasesOfCampaign, replayed in case order into keys and values.
//   check       PRAGMA integrity_check on a second, raw connection (the store
//               has no check of its own), plus: every violating case has its
//               failure row.
//   checkpoint  PRAGMA wal_checkpoint(PASSIVE) on that connection: what SQLite
//               does on its own at a commit once the WAL holds 1000 pages,
//               forced so that a short workload crosses a checkpoint too.
//   close       the store is destroyed, as the controller's is at exit: the
//               last connection checkpoints and removes the WAL.
// Options: --sync=full (default: the store as the controller opens it) or
// --sync=normal (ResultsStoreOptions::sync_each_commit = false, test-only).
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "engines/adapter/adapter.h"
#include "engines/adapter/durable_dirs.h"
#include "framework/campaign/campaign.h"
#include "framework/protocol/protocol.h"
#include "framework/store/results_store.h"

namespace crashlab::results_store_engine {
namespace {

constexpr const char* kEngine = "results-store";
constexpr const char* kVariant = "protocol";
constexpr std::size_t kIntegrityRowsShown = 5;

// A second, raw connection to the store's file, for check and checkpoint.
struct RawConnection {
  sqlite3* db = nullptr;
  ~RawConnection() { sqlite3_close_v2(db); }
};

class ResultsStoreEngine : public adapter::Engine {
 public:
  explicit ResultsStoreEngine(ResultsStoreOptions options) : options_(options) {}

  std::string Name() const override { return kEngine; }
  std::vector<std::string> Capabilities() const override { return {"reopen"}; }

  Status Open(const std::string& dir) override {
    // The controller's --db sits in a directory that exists; this one is new,
    // and its name must outlive a power loss like the file in it.
    if (Status s = engines::MakeDirsDurably(dir); !s.ok()) return s;
    path_ = (std::filesystem::path(dir) / "results.db").string();
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path_, options_);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    if (Status s = FindOrBeginCampaign(); !s.ok()) {
      store_.reset();
      return s;
    }
    raw_ = std::make_unique<RawConnection>();
    if (sqlite3_open_v2(path_.c_str(), &raw_->db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      Status s = RawError("opening a second connection");
      (void)Close();
      return s;
    }
    // The checkpoint's syncs follow the connection that runs it: the same
    // level as the store's, so the checkpoint is the store's own.
    const char* sync =
        options_.sync_each_commit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
    if (sqlite3_exec(raw_->db, sync, nullptr, nullptr, nullptr) != SQLITE_OK) {
      Status s = RawError(sync);
      (void)Close();
      return s;
    }
    return Status::Ok();
  }

  Status Commit(const std::vector<adapter::Op>& ops) override {
    std::vector<CaseRecord> cases;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      cases.push_back(CaseOf(ops[i], next_case_ + static_cast<int64_t>(i), i, ops.size()));
    }
    // DURABILITY: `ok` goes out when this returns, so the cases must be
    // recorded as the controller records them, in one store transaction whose
    // COMMIT has returned; the store's synchronous=FULL makes that commit
    // durable. Acknowledging before the call returns would prove nothing.
    Status s = cases.size() == 1 ? store_->RecordCase(cases[0]) : store_->RecordCases(cases);
    if (!s.ok()) return s;
    next_case_ += static_cast<int64_t>(cases.size());
    return Status::Ok();
  }

  Result<std::optional<std::string>> Get(const std::string& key) override {
    Result<std::map<std::string, std::string>> state = State();
    if (!state.ok()) return state.status();
    auto it = state->find(key);
    if (it == state->end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Result<std::vector<std::pair<std::string, std::string>>> Dump() override {
    Result<std::map<std::string, std::string>> state = State();
    if (!state.ok()) return state.status();
    return std::vector<std::pair<std::string, std::string>>(state->begin(), state->end());
  }

  std::optional<Status> Check() override {
    std::vector<std::string> rows;
    auto collect = [](void* out, int, char** values, char**) {
      static_cast<std::vector<std::string>*>(out)->push_back(values[0] ? values[0] : "");
      return 0;
    };
    if (sqlite3_exec(raw_->db, "PRAGMA integrity_check", collect, &rows, nullptr) != SQLITE_OK) {
      return RawError("PRAGMA integrity_check");
    }
    if (rows != std::vector<std::string>{"ok"}) {
      std::string report;
      for (std::size_t i = 0; i < rows.size() && i < kIntegrityRowsShown; ++i) {
        report += (i == 0 ? "" : "; ") + rows[i];
      }
      return Status::Error(fmt::format("results store {}: PRAGMA integrity_check found: {}{}",
                                       path_, report,
                                       rows.size() > kIntegrityRowsShown ? "; ..." : ""));
    }
    Result<std::vector<CaseRecord>> cases = store_->CasesOfCampaign(campaign_id_);
    if (!cases.ok()) return cases.status();
    for (const CaseRecord& c : *cases) {
      if (c.violation != c.failure.has_value()) {
        return Status::Error(
            fmt::format("results store {}: case #{} of campaign {} is a {} without its failure row",
                        path_, c.case_index, campaign_id_, c.violation ? "violation" : "pass"));
      }
    }
    return Status::Ok();
  }

  std::optional<Status> Checkpoint() override {
    // DURABILITY: SQLite orders a checkpoint itself: the WAL is synced before
    // its frames are copied into the database, and the database is synced
    // before the WAL may be restarted by the next commit.
    int log_frames = 0, checkpointed = 0;
    if (sqlite3_wal_checkpoint_v2(raw_->db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                  &checkpointed) != SQLITE_OK) {
      return RawError("PRAGMA wal_checkpoint(PASSIVE)");
    }
    return Status::Ok();
  }

  Status Close() override {
    raw_.reset();
    store_.reset();  // as at the controller's exit: the last connection checkpoints
    return Status::Ok();
  }

 private:
  // The campaign of this file: a store opened by this engine holds at most
  // one, id 1. Absent (a new file, or a crash before BeginCampaign
  // committed), it is begun the way `crashlab run` begins one.
  Status FindOrBeginCampaign() {
    constexpr int64_t kCampaign = 1;
    Result<std::vector<CaseRecord>> cases = store_->CasesOfCampaign(kCampaign);
    if (cases.ok()) {
      campaign_id_ = kCampaign;
      next_case_ = 0;
      for (const CaseRecord& c : *cases) next_case_ = std::max(next_case_, c.case_index + 1);
      return Status::Ok();
    }
    CampaignInfo info;
    info.command_line = "crashlab-results-store-engine (engine protocol)";
    info.engine = kEngine;
    info.variants = kVariant;
    info.crash_kind = "kill,power-loss";
    info.host = Hostname();
    info.crashlab_version = CRASHLAB_VERSION;
    Result<int64_t> id = store_->BeginCampaign(info);
    if (!id.ok()) return id.status();
    // Another id means that campaign 1 exists but could not be read.
    if (*id != kCampaign) {
      return Status::Error(fmt::format("results store {}: campaign {} unreadable ({}); began {}",
                                       path_, kCampaign, cases.status().message(), *id));
    }
    campaign_id_ = kCampaign;
    next_case_ = 0;
    return Status::Ok();
  }

  CaseRecord CaseOf(const adapter::Op& op, int64_t index, std::size_t i, std::size_t n) const {
    CaseRecord c;
    c.campaign_id = campaign_id_;
    c.engine = kEngine;
    c.variant = kVariant;
    c.case_index = index;
    c.crash_kind = CrashKind::kPowerLoss;
    c.crash_plan = fmt::format("protocol op {} of {}", i, n);
    c.contract = Contract::kDurable;
    c.txns_sent = static_cast<int64_t>(n);
    c.txns_acked = static_cast<int64_t>(i);
    if (op.is_put) {
      c.verdict = Verdict::kPass;
      c.details = "put " + protocol::Encode(op.key) + " " + protocol::Encode(op.value);
      return c;
    }
    c.verdict = Verdict::kLostAcked;
    c.violation = true;
    c.details = "del " + protocol::Encode(op.key);
    c.failure = FailureRecord::Of("no key", c.details, "a tombstone", "");
    return c;
  }

  // The recorded cases replayed in order.
  Result<std::map<std::string, std::string>> State() {
    Result<std::vector<CaseRecord>> cases = store_->CasesOfCampaign(campaign_id_);
    if (!cases.ok()) return cases.status();
    std::map<std::string, std::string> state;
    for (const CaseRecord& c : *cases) {
      if (c.violation && !c.failure) continue;  // a tombstone without its row: see Check
      // A delete is read from the failure row, a put from the case.
      const std::string& text = c.failure ? c.failure->recovered : c.details;
      const std::vector<std::string_view> f = protocol::SplitFields(text);
      auto bad = [&](const std::string& why) {
        return Status::Error(fmt::format("results store {}: case #{}: {} in '{}'", path_,
                                         c.case_index, why, protocol::Printable(text)));
      };
      if (f.size() == 3 && f[0] == "put") {
        Result<std::string> key = protocol::Decode(f[1]), value = protocol::Decode(f[2]);
        if (!key.ok() || !value.ok()) return bad("bad encoding");
        state[*key] = *value;
      } else if (f.size() == 2 && f[0] == "del") {
        Result<std::string> key = protocol::Decode(f[1]);
        if (!key.ok()) return bad("bad encoding");
        state.erase(*key);
      } else {
        return bad("not a put or a del");
      }
    }
    return state;
  }

  Status RawError(const std::string& what) const {
    return Status::Error(fmt::format("results store {}: {}: {}", path_, what,
                                     raw_ && raw_->db ? sqlite3_errmsg(raw_->db) : "no memory"));
  }

  ResultsStoreOptions options_;
  std::string path_;
  std::unique_ptr<ResultsStore> store_;
  std::unique_ptr<RawConnection> raw_;
  int64_t campaign_id_ = 0;
  int64_t next_case_ = 0;
};

}  // namespace
}  // namespace crashlab::results_store_engine

int main(int argc, char** argv) {
  crashlab::ResultsStoreOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--sync=full") == 0) {
      options.sync_each_commit = true;
    } else if (std::strcmp(argv[i], "--sync=normal") == 0) {
      options.sync_each_commit = false;
    } else {
      std::fprintf(stderr,
                   "crashlab-results-store-engine: unknown option '%s'; use --sync=full (the "
                   "store as crashlab uses it) or --sync=normal\n",
                   argv[i]);
      return 2;
    }
  }
  crashlab::results_store_engine::ResultsStoreEngine engine(options);
  return crashlab::adapter::Serve(engine, stdin, stdout);
}
