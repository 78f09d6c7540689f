// The results store: one SQLite file holding campaigns, the verdict of every
// case, and the artifacts of every failure (DESIGN.md, "Results store").
//
// Each case is written in its own transaction, so a controller killed in the
// middle of a campaign loses at most the case in flight, and a resumed campaign
// can ask which cases are already recorded. The file is in WAL mode with a busy
// timeout, so several crashlab processes may write one file at once.
//
// Vocabulary columns (crash kind, contract, verdict) hold the exact words of
// framework/base/vocabulary.h as TEXT; the records below hold the enums, and
// the store converts at its edge: a word it cannot read back is an error
// naming the row, never a value made up.
//
// Thread safety: a ResultsStore is NOT thread-safe; use one per thread (each is
// its own SQLite connection) or guard it externally.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "framework/base/status.h"
#include "framework/base/vocabulary.h"

struct sqlite3;
struct sqlite3_stmt;

namespace crashlab {

struct CampaignInfo {
  std::string command_line;  // the crashlab command as typed
  std::string engine;        // engine name
  std::string variants;      // comma-separated variant names the campaign covers
  std::string crash_kind;  // "kill", "power-loss" or "kill,power-loss" (cases mixed, half of each)
  uint64_t seed = 0;       // campaign seed, 0..2^63-1
  int64_t cases_per_variant = 0;
  std::string host;  // hostname
  std::string crashlab_version;
  std::string shard;  // "i/n" when the campaign ran one shard of n (--shard), else ""
  // The workload's text (WorkloadText) when it is not drawn from the seed
  // (a case `crashlab shrink` made); "" (NULL) otherwise.
  std::string workload;
};

// Stored only for cases that violate their contract.
struct FailureRecord {
  std::string expected;       // the expected state(s), text
  std::string recovered;      // the recovered state, text
  std::string difference;     // expected-versus-recovered, text
  std::string engine_stderr;  // tail of the engine's stderr (bounded by the caller)
  // A traced case's trace file (docs/trace-format.md), from which repro
  // rebuilds its crash state; "" (NULL) for a real kill. Stored compressed
  // and once per campaign however many failures share it. Read back only by
  // FindFailure, FindCase and LoadArtifacts (a campaign's cases may share
  // one trace thousands of times).
  std::string trace;
  // The crash state's files as the crash left them (PackDirTree), for a
  // failure no trace rebuilds (a real kill); "" when not kept. Loaded like
  // `trace`.
  std::string crash_files;
  int64_t shrunk_from = 0;  // the failure this one was shrunk from (crashlab shrink); 0: none
  // failures.id, filled when read back and ignored by RecordCase.
  int64_t id = 0;
  // The stored trace's id (StoreTrace), filled when read back; RecordCase
  // links it when `trace` is empty (0: no trace).
  int64_t trace_id = 0;
  bool has_crash_files = false;  // read back: crash_files is stored
  // Read back: why a stored artifact cannot be read, naming its row (table
  // and id) and the database, e.g. "the trace of failure 3 (row 2 of table
  // traces in crashlab.db) is damaged: ..."; that artifact is then "". ""
  // when every artifact read. Ignored by RecordCase.
  std::string damaged;

  // A failure's texts, the artifacts still to add.
  static FailureRecord Of(std::string expected, std::string recovered, std::string difference,
                          std::string engine_stderr) {
    FailureRecord f;
    f.expected = std::move(expected);
    f.recovered = std::move(recovered);
    f.difference = std::move(difference);
    f.engine_stderr = std::move(engine_stderr);
    return f;
  }
  // Compares what was recorded, not where the store put it (ids) or what
  // it has loaded.
  bool operator==(const FailureRecord& o) const {
    return expected == o.expected && recovered == o.recovered && difference == o.difference &&
           engine_stderr == o.engine_stderr && trace == o.trace && crash_files == o.crash_files &&
           shrunk_from == o.shrunk_from;
  }
};

struct CaseRecord {
  int64_t campaign_id = 0;
  std::string engine, variant;
  uint64_t seed = 0;  // campaign seed, 0..2^63-1
  int64_t case_index = 0;
  CrashKind crash_kind = CrashKind::kKill;
  std::string crash_plan;  // text form of the crash plan, e.g. "kill txn=5 delay_us=120"
  Contract contract = Contract::kDurable;
  Verdict verdict = Verdict::kPass;
  bool violation = false;  // verdict breaks the contract: Violates(verdict, contract)
  std::string details;     // one paragraph saying what happened
  int64_t txns_sent = 0, txns_acked = 0;
  int64_t recovered_prefix = -1;  // transactions in the matched prefix state; -1 if none matched
  double workload_ms = 0, recovery_ms = 0, total_ms = 0;
  // Digest of the crash state the engine recovered (faults::DigestDirTree),
  // "" when no plan rebuilds it (a real kill): repro compares it.
  std::string crash_state;
  // A traced case's I/O up to its crash point (trace_cost.h); -1 (NULL)
  // for a real kill, which no trace measures.
  int64_t syncs = -1, bytes_written = -1;
  std::optional<FailureRecord> failure;  // present only when `violation`
  int64_t id = 0;                        // filled when read back; ignored by RecordCase
  bool operator==(const CaseRecord&) const = default;
};

struct SoakInfo {
  std::string command_line;  // the crashlab command as typed
  std::string settings;      // canonical options, compared by --resume (soak.h)
  uint64_t seed = 0;         // 0..2^63-1
  int64_t duration_s = 0;    // the time budget, > 0
};

struct SoakCampaign {
  int64_t campaign_id = 0;
  std::string engine;
  std::string shape;  // "short" or "long"
  int64_t txns = 0;   // --txns of the shape's cases; 0: drawn by the seed
};

struct StoredSoak {
  int64_t id = 0;
  std::string status;  // "running" or "interrupted" (LatestUnfinishedSoak)
  std::string command_line, settings, host;
  int64_t pid = 0;  // the last controller's process id on `host`
  uint64_t seed = 0;
  int64_t duration_s = 0, elapsed_ms = 0;
  std::vector<SoakCampaign> campaigns;  // in the order they were added
};

// Recorded cases sharing a campaign, variant, crash kind, contract and verdict.
struct CaseGroup {
  int64_t campaign_id = 0;
  std::string variant;
  CrashKind crash_kind = CrashKind::kKill;
  Contract contract = Contract::kDurable;
  Verdict verdict = Verdict::kPass;
  int64_t cases = 0, violations = 0;
  int64_t max_case_index = -1;
};

// A recorded failure with what is needed to replay it: its case (with the
// failure row) and the command line of the campaign that found it.
struct StoredFailure {
  int64_t failure_id = 0;
  CaseRecord c;  // with the failure's trace and crash files loaded
  std::string campaign_command_line;
  std::string campaign_workload;  // CampaignInfo::workload
  // A soak campaign's --txns (soak_campaigns.txns: its shape's), which its
  // command line, the soak's, does not say; -1 for any other campaign.
  int64_t soak_txns = -1;
};

// How ResultsStore::Open configures its connection. The defaults are what
// crashlab itself uses; anything else exists for crashlab's own tests.
struct ResultsStoreOptions {
  // PRAGMA synchronous FULL: every commit syncs the WAL. Test-only: false
  // sets NORMAL, which skips that sync, so a power loss may drop cases
  // already recorded (tests/results_store_engine shows its test catches it).
  bool sync_each_commit = true;
  // The file must already be a crashlab results database, as the commands
  // that read one need (failures, report, explain, repro, merge's inputs):
  // an absent or empty file, or a SQLite database without crashlab's
  // schema, is refused and left byte for byte as it was, rather than made
  // a new, empty results database.
  bool existing = false;
};

// ResultsStoreOptions for the commands that read a database a campaign wrote.
inline ResultsStoreOptions ExistingStore() {
  ResultsStoreOptions o;
  o.existing = true;
  return o;
}

// This machine's name, as campaigns and soaks record it (their host column).
std::string Hostname();

class ResultsStore {
 public:
  // The schema version this build writes; PRAGMA user_version of the file.
  static constexpr int kSchemaVersion = 6;

  // Opens the database at `path`, creating it if missing: WAL mode, synchronous
  // FULL (unless `options` say otherwise), foreign keys on, 10 s busy timeout,
  // schema created or migrated to kSchemaVersion. Concurrent Opens of one new
  // file are safe.
  // Errors (each names `path` and says what to do):
  //  - the file cannot be opened or created (e.g. its directory is missing);
  //  - the file is not a SQLite database;
  //  - the file is a SQLite database of something else (tables but no crashlab
  //    schema version); it is left untouched;
  //  - the schema version is newer than kSchemaVersion: upgrade crashlab.
  [[nodiscard]] static Result<std::unique_ptr<ResultsStore>> Open(
      const std::string& path, const ResultsStoreOptions& options = {});
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  // Records a new campaign with status "running" and started_at (UTC ISO-8601);
  // returns its id. Errors: unknown crash kind, seed >= 2^63, database errors.
  [[nodiscard]] Result<int64_t> BeginCampaign(const CampaignInfo& info);

  // Records `c` (its `id` is ignored) and, when present, its failure row, in one
  // transaction: both rows or neither. Errors: a value outside the vocabulary's enums, a
  // `violation` flag that disagrees with Violates(verdict, contract), a failure
  // record on a case without violation, seed >= 2^63, an unknown campaign, a
  // case already recorded for (campaign, variant, case_index), database errors.
  [[nodiscard]] Status RecordCase(const CaseRecord& c);

  // Stores `trace` for the failures of campaign `campaign_id` that share it
  // (compressed, once however often it is stored) and returns its id for
  // FailureRecord::trace_id. Errors: unknown campaign, database errors.
  [[nodiscard]] Result<int64_t> StoreTrace(int64_t campaign_id, const std::string& trace);

  // Records every case of `cases` as RecordCase does, in one transaction: all
  // or none. For many small cases (exploration), where a commit per case
  // would cost more than the cases.
  [[nodiscard]] Status RecordCases(const std::vector<CaseRecord>& cases);

  // Sets the campaign's status and finished_at: "finished", "interrupted" (by a
  // signal) or "error" (stopped by an error: setup, a full disk, an engine
  // that failed before any crash).
  // Finishing again overwrites both. Errors: another status, unknown campaign.
  [[nodiscard]] Status FinishCampaign(int64_t campaign_id, const std::string& status);

  // A matrix (crashlab matrix): one campaign per engine, both crash kinds.
  // BeginMatrix records it as "running"; AddCampaignToMatrix links each
  // campaign as it starts; FinishMatrix sets "finished" or "interrupted".
  // The view matrix_cells is its table: one row per (engine, variant, crash
  // kind) with cases, violations and a count per verdict.
  [[nodiscard]] Result<int64_t> BeginMatrix(const std::string& command_line, uint64_t seed,
                                            int64_t cases_per_cell);
  [[nodiscard]] Status AddCampaignToMatrix(int64_t matrix_id, int64_t campaign_id);
  [[nodiscard]] Status FinishMatrix(int64_t matrix_id, const std::string& status);

  // A soak (crashlab soak): cases over a time budget, one campaign per engine
  // and workload shape. BeginSoak records it as "running" with this process's
  // host and pid; AddCampaignToSoak links each campaign; SetSoakElapsed
  // records the time spent so far (over every run of the soak);
  // FinishSoak sets "finished" or "interrupted". Errors: seed >= 2^63,
  // unknown soak or campaign, database errors.
  [[nodiscard]] Result<int64_t> BeginSoak(const SoakInfo& info);
  [[nodiscard]] Status AddCampaignToSoak(int64_t soak_id, int64_t campaign_id,
                                         const std::string& shape, int64_t txns);
  [[nodiscard]] Status SetSoakElapsed(int64_t soak_id, int64_t elapsed_ms);
  [[nodiscard]] Status FinishSoak(int64_t soak_id, const std::string& status);
  // The most recent soak whose status is not "finished", with its campaigns;
  // nullopt if none. Errors: database errors.
  [[nodiscard]] Result<std::optional<StoredSoak>> LatestUnfinishedSoak();
  // Marks soak `soak_id` and its campaigns "running" again, with no finish
  // time, counts one more resume, and records this process as its
  // controller, in one transaction. Errors: unknown soak, database errors.
  [[nodiscard]] Status ReopenSoak(int64_t soak_id);
  // The recorded cases of the soak's campaigns, counted per campaign,
  // variant, crash kind, contract and verdict. Errors: database errors.
  [[nodiscard]] Result<std::vector<CaseGroup>> CaseGroupsOfSoak(int64_t soak_id);

  // What MergeFrom copied.
  struct MergeStats {
    int64_t campaigns = 0, cases = 0, failures = 0, matrices = 0, soaks = 0;
    int64_t skipped_campaigns = 0;  // already in this store
  };
  // Copies every campaign (with its cases, failures, matrices and soaks) of the
  // results database at `path` into this one, in one transaction, under new
  // ids. `path` is only read: a consistent snapshot of it is taken with
  // SQLite's backup API and migrated there if it is older. A campaign this
  // store already holds (same start time, host, command line, seed and
  // shard) is skipped with its cases, and so is a matrix or soak it already
  // holds (same start time and command line; for a soak, same host), so
  // merging a file twice adds nothing.
  // Errors name `path`: missing, not a crashlab database, newer schema.
  [[nodiscard]] Result<MergeStats> MergeFrom(const std::string& path);

  // The cases of a campaign, with their failures (artifacts not loaded:
  // LoadArtifacts), ordered by variant then case_index. Errors: unknown
  // campaign, a vocabulary column holding a word crashlab does not know
  // (naming the case's row), database errors. The other readers of cases
  // below fail the same way.
  [[nodiscard]] Result<std::vector<CaseRecord>> CasesOfCampaign(int64_t campaign_id);

  // The failure with id `failure_id` (failures.id), if recorded, with its
  // trace and crash files loaded.
  [[nodiscard]] Result<std::optional<StoredFailure>> FindFailure(int64_t failure_id);

  // Loads the trace and crash files of a failure read back by
  // CasesOfCampaign. Errors: a damaged blob, database errors.
  [[nodiscard]] Status LoadArtifacts(FailureRecord& failure);

  // The cases that failed (artifacts not loaded), ordered by failure id: of
  // campaign `campaign_id`, or of every campaign when it is 0. Errors:
  // database errors.
  [[nodiscard]] Result<std::vector<CaseRecord>> Failures(int64_t campaign_id);

  // The failures shrunk from failure `failure_id` (crashlab shrink), oldest
  // first. Errors: database errors.
  [[nodiscard]] Result<std::vector<int64_t>> ShrunkFrom(int64_t failure_id);

  // The most recently recorded case with these coordinates, in any campaign
  // (artifacts not loaded: FindFailure has them); nullopt if none. Errors:
  // seed >= 2^63, database errors.
  [[nodiscard]] Result<std::optional<CaseRecord>> FindCase(const std::string& engine,
                                                           const std::string& variant,
                                                           uint64_t seed, int64_t case_index,
                                                           CrashKind crash_kind);

 private:
  struct StatementDeleter {
    void operator()(sqlite3_stmt* stmt) const;
  };
  using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;
  struct ConnectionDeleter {
    void operator()(sqlite3* db) const;
  };

  ResultsStore(std::string path, sqlite3* db);
  Status Configure(const ResultsStoreOptions& options);
  // Fails if the file is a SQLite database of something else, or of a newer
  // crashlab; returns the schema version otherwise.
  Result<int> CheckSchemaVersion();
  Status Migrate();
  // Prepares `sql` once and returns the cached statement, reset and unbound.
  Result<sqlite3_stmt*> Prepared(Statement& slot, const char* sql);
  // Sets status and finished_at of row `id` of `table` (campaigns,
  // matrices or soaks; `noun` names it in errors).
  Status Finish(Statement& slot, const char* table, const char* noun, int64_t id,
                const std::string& status);
  // Runs a statement without parameters or result rows, prepared once into `slot`.
  Status Run(Statement& slot, const char* sql, const char* what);
  // The first column of the first row of `sql` as text; empty if no row.
  Result<std::string> QueryOne(const char* sql, const char* what);
  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back if anything fails.
  Status InTransaction(const char* what, const std::function<Status()>& body);
  // Validates and inserts one case and its failure; the caller holds a transaction.
  Status InsertCase(const CaseRecord& c);
  // The id of `trace` stored for `campaign_id`, stored now (compressed) if
  // it is not yet; the caller holds a transaction.
  Result<int64_t> TraceId(int64_t campaign_id, const std::string& trace, const std::string& what);
  // An error for the last SQLite failure: `what` failed on path_, with a hint.
  Status Error(const std::string& what) const;
  // An error about path_ that is not a SQLite failure.
  Status Fail(const std::string& message) const;

  std::string path_;
  // Declared before the statements so that they are finalized first.
  std::unique_ptr<sqlite3, ConnectionDeleter> db_;
  Statement begin_, commit_, rollback_;
  Statement insert_campaign_, finish_campaign_, campaign_exists_;
  Statement insert_case_, insert_failure_, cases_of_campaign_, find_case_;
  Statement find_trace_, insert_trace_;
  Statement insert_matrix_, insert_matrix_campaign_, finish_matrix_;
  Statement insert_soak_, insert_soak_campaign_, soak_elapsed_, finish_soak_;
};

}  // namespace crashlab
