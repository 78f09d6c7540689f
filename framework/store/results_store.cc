#include "framework/store/results_store.h"

#include <sqlite3.h>

#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "framework/base/vocabulary.h"
#include "framework/store/compression.h"
#include "framework/store/results_store_sql.h"

namespace crashlab {
namespace {

using results_store_sql::Binder;
using results_store_sql::ColumnBlob;
using results_store_sql::ColumnText;
using results_store_sql::ResetOnExit;
using results_store_sql::SeedFits;
using results_store_sql::SeedTooLarge;

// Migration i takes the schema from version i to i + 1. A step, once released,
// never changes: databases in the field were built by it. The vocabulary lists
// in the CHECK constraints are spelled out here rather than generated from
// vocabulary.h for the same reason; a new word needs a new migration.
constexpr std::array<const char*, 6> kMigrations = {
    // 0 -> 1: campaigns, cases, failures. Times are UTC ISO-8601 with milliseconds.
    R"sql(
CREATE TABLE campaigns (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'interrupted')),
  command_line TEXT NOT NULL, engine TEXT NOT NULL, variants TEXT NOT NULL,
  crash_kind TEXT NOT NULL CHECK (crash_kind IN ('kill', 'power-loss')),
  seed INTEGER NOT NULL CHECK (seed >= 0),
  cases_per_variant INTEGER NOT NULL, host TEXT NOT NULL, crashlab_version TEXT NOT NULL);
CREATE TABLE cases (
  id INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  engine TEXT NOT NULL, variant TEXT NOT NULL,
  seed INTEGER NOT NULL CHECK (seed >= 0),
  case_index INTEGER NOT NULL,
  crash_kind TEXT NOT NULL CHECK (crash_kind IN ('kill', 'power-loss')),
  crash_plan TEXT NOT NULL,
  contract TEXT NOT NULL CHECK (contract IN ('durable', 'prefix', 'none')),
  verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'lost-acked', 'torn-txn', 'hole', 'corrupt',
                                           'recovery-failed', 'hang', 'protocol-error')),
  violation INTEGER NOT NULL CHECK (violation IN (0, 1)),
  details TEXT NOT NULL,
  txns_sent INTEGER NOT NULL, txns_acked INTEGER NOT NULL, recovered_prefix INTEGER NOT NULL,
  workload_ms REAL NOT NULL, recovery_ms REAL NOT NULL, total_ms REAL NOT NULL,
  recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (campaign_id, variant, case_index));
CREATE INDEX cases_by_coordinates ON cases (engine, variant, seed, case_index, crash_kind);
CREATE INDEX cases_by_verdict ON cases (verdict);
CREATE TABLE failures (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL UNIQUE REFERENCES cases (id) ON DELETE CASCADE,
  expected TEXT NOT NULL, recovered TEXT NOT NULL, difference TEXT NOT NULL,
  engine_stderr TEXT NOT NULL);
)sql",
    // 1 -> 2: a campaign may mix crash kinds ("kill,power-loss"), which needs a
    // new CHECK, so campaigns is rebuilt (foreign keys are off while migrating);
    // a case records the digest of the crash state it verified ('' for a real
    // kill, whose state no plan rebuilds); a traced failure keeps its trace,
    // from which repro rebuilds the crash state byte for byte. A campaign run
    // as one shard of several (--shard i/n) says which. A matrix (crashlab
    // matrix) groups one campaign per engine; matrix_cells is its table.
    R"sql(
CREATE TABLE campaigns_v2 (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'interrupted')),
  command_line TEXT NOT NULL, engine TEXT NOT NULL, variants TEXT NOT NULL,
  crash_kind TEXT NOT NULL CHECK (crash_kind IN ('kill', 'power-loss', 'kill,power-loss')),
  seed INTEGER NOT NULL CHECK (seed >= 0),
  cases_per_variant INTEGER NOT NULL, host TEXT NOT NULL, crashlab_version TEXT NOT NULL,
  shard TEXT NOT NULL DEFAULT '');
INSERT INTO campaigns_v2 (id, started_at, finished_at, status, command_line, engine, variants,
                          crash_kind, seed, cases_per_variant, host, crashlab_version)
  SELECT id, started_at, finished_at, status, command_line, engine, variants, crash_kind, seed,
         cases_per_variant, host, crashlab_version FROM campaigns;
DROP TABLE campaigns;
ALTER TABLE campaigns_v2 RENAME TO campaigns;
ALTER TABLE cases ADD COLUMN crash_state TEXT NOT NULL DEFAULT '';
ALTER TABLE failures ADD COLUMN trace BLOB;
CREATE TABLE matrices (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'interrupted')),
  command_line TEXT NOT NULL,
  seed INTEGER NOT NULL CHECK (seed >= 0),
  cases_per_cell INTEGER NOT NULL);
CREATE TABLE matrix_campaigns (
  matrix_id INTEGER NOT NULL REFERENCES matrices (id) ON DELETE CASCADE,
  campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  PRIMARY KEY (matrix_id, campaign_id));
CREATE VIEW matrix_cells AS
  SELECT m.matrix_id, c.engine, c.variant, c.crash_kind, c.contract, count(*) AS cases,
         sum(c.violation) AS violations,
         sum(c.verdict = 'pass') AS pass, sum(c.verdict = 'lost-acked') AS lost_acked,
         sum(c.verdict = 'torn-txn') AS torn_txn, sum(c.verdict = 'hole') AS hole,
         sum(c.verdict = 'corrupt') AS corrupt,
         sum(c.verdict = 'recovery-failed') AS recovery_failed, sum(c.verdict = 'hang') AS hang,
         sum(c.verdict = 'protocol-error') AS protocol_error
  FROM matrix_campaigns m JOIN cases c ON c.campaign_id = m.campaign_id
  GROUP BY m.matrix_id, c.engine, c.variant, c.crash_kind, c.contract;
)sql",
    // 2 -> 3: a soak (crashlab soak) runs cases over a time budget in one
    // campaign per engine and workload shape. `settings` is the canonical form
    // of the options that decide its cases, which --resume compares; `host`
    // and `pid` name the controller, so that a resume can refuse to take over
    // a soak whose controller still runs. `elapsed_ms` is the time spent so
    // far, over every run of the soak, so a resume knows what is left.
    R"sql(
CREATE TABLE soaks (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'interrupted')),
  command_line TEXT NOT NULL, settings TEXT NOT NULL,
  seed INTEGER NOT NULL CHECK (seed >= 0),
  duration_s INTEGER NOT NULL CHECK (duration_s > 0),
  elapsed_ms INTEGER NOT NULL DEFAULT 0,
  resumes INTEGER NOT NULL DEFAULT 0,
  host TEXT NOT NULL, pid INTEGER NOT NULL);
CREATE TABLE soak_campaigns (
  soak_id INTEGER NOT NULL REFERENCES soaks (id) ON DELETE CASCADE,
  campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  shape TEXT NOT NULL,
  txns INTEGER NOT NULL,
  PRIMARY KEY (soak_id, campaign_id));
)sql",
    // 3 -> 4: artifacts. A trace is stored once per campaign in `traces`
    // however many failures share it (an exploration's failures all come
    // from one traced run); the traces failures kept inline move there. A
    // failure no trace rebuilds may keep its crash state's files
    // (`crash_files`, bounded). `crashlab shrink` records a shrunk failure
    // with `shrunk_from` set, in a campaign whose `workload` holds the
    // explicit workload text it ran (NULL: drawn from the seed).
    R"sql(
ALTER TABLE campaigns ADD COLUMN workload TEXT;
CREATE TABLE traces (
  id INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (campaign_id, digest));
ALTER TABLE failures ADD COLUMN trace_id INTEGER REFERENCES traces (id);
ALTER TABLE failures ADD COLUMN crash_files BLOB;
ALTER TABLE failures ADD COLUMN shrunk_from INTEGER REFERENCES failures (id) ON DELETE SET NULL;
INSERT INTO traces (campaign_id, digest, data)
  SELECT c.campaign_id, 'v3-failure-' || f.id, f.trace
  FROM failures f JOIN cases c ON c.id = f.case_id WHERE f.trace IS NOT NULL;
UPDATE failures SET trace_id = (SELECT t.id FROM traces t WHERE t.digest = 'v3-failure-' || failures.id),
                    trace = NULL
  WHERE trace IS NOT NULL;
CREATE INDEX failures_by_shrunk_from ON failures (shrunk_from);
)sql",
    // 4 -> 5: what a traced case's run cost its storage up to the crash
    // point (syncs, bytes written), for reports; NULL for a real kill.
    R"sql(
ALTER TABLE cases ADD COLUMN syncs INTEGER;
ALTER TABLE cases ADD COLUMN bytes_written INTEGER;
)sql",
    // 5 -> 6: a campaign stopped by an error (a setup failure, a full disk, an
    // engine that fails before any crash) is `error`; `interrupted` is left to
    // signals. A new CHECK, so campaigns is rebuilt as in step 1 -> 2.
    R"sql(
CREATE TABLE campaigns_v6 (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT,
  status TEXT NOT NULL DEFAULT 'running'
    CHECK (status IN ('running', 'finished', 'interrupted', 'error')),
  command_line TEXT NOT NULL, engine TEXT NOT NULL, variants TEXT NOT NULL,
  crash_kind TEXT NOT NULL CHECK (crash_kind IN ('kill', 'power-loss', 'kill,power-loss')),
  seed INTEGER NOT NULL CHECK (seed >= 0),
  cases_per_variant INTEGER NOT NULL, host TEXT NOT NULL, crashlab_version TEXT NOT NULL,
  shard TEXT NOT NULL DEFAULT '', workload TEXT);
INSERT INTO campaigns_v6 SELECT id, started_at, finished_at, status, command_line, engine,
  variants, crash_kind, seed, cases_per_variant, host, crashlab_version, shard, workload
  FROM campaigns;
DROP TABLE campaigns;
ALTER TABLE campaigns_v6 RENAME TO campaigns;
)sql",
};
static_assert(kMigrations.size() == ResultsStore::kSchemaVersion,
              "one migration step per schema version");

constexpr int kBusyTimeoutMs = 10'000;

// Columns read by ReadCase, in its order.
constexpr std::string_view kSelectCase =
    "SELECT c.id, c.campaign_id, c.engine, c.variant, c.seed, c.case_index, c.crash_kind, "
    "c.crash_plan, c.contract, c.verdict, c.violation, c.details, c.txns_sent, c.txns_acked, "
    "c.recovered_prefix, c.workload_ms, c.recovery_ms, c.total_ms, c.crash_state, f.id, "
    "f.expected, f.recovered, f.difference, f.engine_stderr, coalesce(f.trace_id, 0), "
    "f.crash_files IS NOT NULL, coalesce(f.shrunk_from, 0), coalesce(c.syncs, -1), "
    "coalesce(c.bytes_written, -1) "
    "FROM cases c LEFT JOIN failures f ON f.case_id = c.id ";

CaseRecord ReadCase(sqlite3_stmt* stmt) {
  CaseRecord c;
  c.id = sqlite3_column_int64(stmt, 0);
  c.campaign_id = sqlite3_column_int64(stmt, 1);
  c.engine = ColumnText(stmt, 2);
  c.variant = ColumnText(stmt, 3);
  c.seed = static_cast<uint64_t>(sqlite3_column_int64(stmt, 4));
  c.case_index = sqlite3_column_int64(stmt, 5);
  c.crash_kind = ColumnText(stmt, 6);
  c.crash_plan = ColumnText(stmt, 7);
  c.contract = ColumnText(stmt, 8);
  c.verdict = ColumnText(stmt, 9);
  c.violation = sqlite3_column_int64(stmt, 10) != 0;
  c.details = ColumnText(stmt, 11);
  c.txns_sent = sqlite3_column_int64(stmt, 12);
  c.txns_acked = sqlite3_column_int64(stmt, 13);
  c.recovered_prefix = sqlite3_column_int64(stmt, 14);
  c.workload_ms = sqlite3_column_double(stmt, 15);
  c.recovery_ms = sqlite3_column_double(stmt, 16);
  c.total_ms = sqlite3_column_double(stmt, 17);
  c.crash_state = ColumnText(stmt, 18);
  c.syncs = sqlite3_column_int64(stmt, 27);
  c.bytes_written = sqlite3_column_int64(stmt, 28);
  if (sqlite3_column_type(stmt, 19) != SQLITE_NULL) {
    FailureRecord& f = c.failure.emplace();
    f.id = sqlite3_column_int64(stmt, 19);
    f.expected = ColumnText(stmt, 20);
    f.recovered = ColumnText(stmt, 21);
    f.difference = ColumnText(stmt, 22);
    f.engine_stderr = ColumnText(stmt, 23);
    f.trace_id = sqlite3_column_int64(stmt, 24);
    f.has_crash_files = sqlite3_column_int64(stmt, 25) != 0;
    f.shrunk_from = sqlite3_column_int64(stmt, 26);
  }
  return c;
}

}  // namespace

void ResultsStore::StatementDeleter::operator()(sqlite3_stmt* stmt) const {
  sqlite3_finalize(stmt);
}
void ResultsStore::ConnectionDeleter::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

ResultsStore::ResultsStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
ResultsStore::~ResultsStore() = default;

Result<sqlite3_stmt*> ResultsStore::Prepared(Statement& slot, const char* sql) {
  if (slot == nullptr) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
        SQLITE_OK) {
      return Error("preparing a statement");
    }
    slot.reset(stmt);
  }
  return slot.get();
}

Status ResultsStore::Run(Statement& slot, const char* sql, const char* what) {
  Result<sqlite3_stmt*> stmt = Prepared(slot, sql);
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};
  if (sqlite3_step(*stmt) != SQLITE_DONE) return Error(what);
  return Status::Ok();
}

Result<std::string> ResultsStore::QueryOne(const char* sql, const char* what) {
  Statement stmt;
  Result<sqlite3_stmt*> prepared = Prepared(stmt, sql);
  if (!prepared.ok()) return Error(what);
  int rc = sqlite3_step(*prepared);
  if (rc == SQLITE_ROW) return ColumnText(*prepared, 0);
  if (rc == SQLITE_DONE) return std::string();
  return Error(what);
}

Status ResultsStore::InTransaction(const char* what, const std::function<Status()>& body) {
  // IMMEDIATE takes the write lock up front, where the busy timeout applies; a
  // deferred transaction upgrading later can fail with SQLITE_BUSY at once.
  if (Status s = Run(begin_, "BEGIN IMMEDIATE", what); !s.ok()) return s;
  Status s = body();
  if (s.ok()) s = Run(commit_, "COMMIT", what);
  // Some errors (disk full, I/O) already rolled the transaction back.
  if (!s.ok() && sqlite3_get_autocommit(db_.get()) == 0) {
    (void)Run(rollback_, "ROLLBACK", what);
  }
  return s;
}

Status ResultsStore::Error(const std::string& what) const {
  const int code = sqlite3_extended_errcode(db_.get());
  const int primary = code & 0xff;
  std::string hint;
  if (primary == SQLITE_NOTADB) {
    hint = "; it is not a SQLite database (or an encrypted one): pass another --db path";
  } else if (primary == SQLITE_CORRUPT) {
    hint = "; the database is corrupt: keep it for inspection and pass another --db path";
  } else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    hint = "; another process held the database for more than " +
           std::to_string(kBusyTimeoutMs / 1000) + " s: retry, or pass another --db path";
  } else if (primary == SQLITE_CANTOPEN || primary == SQLITE_PERM || primary == SQLITE_READONLY) {
    hint = "; check that its directory exists and is writable, or pass another --db path";
  } else if (primary == SQLITE_FULL || primary == SQLITE_IOERR) {
    hint = "; check free space and the file system, or pass another --db path";
  }
  return Fail(what + ": " + sqlite3_errmsg(db_.get()) + " (SQLite error " + std::to_string(code) +
              ")" + hint);
}

Status ResultsStore::Fail(const std::string& message) const {
  return Status::Error("results store " + path_ + ": " + message);
}

Result<std::unique_ptr<ResultsStore>> ResultsStore::Open(const std::string& path,
                                                         const ResultsStoreOptions& options) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | (options.existing ? 0 : SQLITE_OPEN_CREATE), nullptr);
  // The handle exists even when opening failed, and must be closed either way.
  std::unique_ptr<ResultsStore> store(new ResultsStore(path, db));
  if (db == nullptr) return store->Fail("cannot open: out of memory");
  if (rc != SQLITE_OK) return store->Error("cannot open or create the database");
  if (Status s = store->Configure(options); !s.ok()) return s;
  return store;
}

Status ResultsStore::Configure(const ResultsStoreOptions& options) {
  sqlite3_extended_result_codes(db_.get(), 1);
  sqlite3_busy_timeout(db_.get(), kBusyTimeoutMs);
  // Checked before anything writes, so a foreign or newer file is left as it was.
  Result<int> version = CheckSchemaVersion();
  if (!version.ok()) return version.status();
  if (options.existing && *version == 0) {
    // Version 0 with no tables: an empty file, or a SQLite file nothing
    // wrote, which the migrations below would make a results database.
    std::error_code ec;
    const bool empty = std::filesystem::file_size(path_, ec) == 0 && !ec;
    return Fail(std::string(empty ? "an empty file" : "a SQLite database with no tables") +
                ", not a crashlab results database; it was left untouched: pass the --db a "
                "campaign wrote");
  }

  // WAL lets readers (reports) and several writers (parallel campaigns) share
  // the file; the busy timeout makes a writer wait its turn instead of failing.
  // The switch needs an exclusive lock, and SQLite does not call the busy
  // handler for it (the pragma already holds a shared lock, and waiting while
  // holding one could deadlock), so concurrent first opens wait here.
  Result<std::string> mode = QueryOne("PRAGMA journal_mode = WAL", "switching to WAL mode");
  for (int waited_ms = 0; !mode.ok() && waited_ms < kBusyTimeoutMs; waited_ms += 10) {
    if ((sqlite3_extended_errcode(db_.get()) & 0xff) != SQLITE_BUSY) break;
    sqlite3_sleep(10);
    mode = QueryOne("PRAGMA journal_mode = WAL", "switching to WAL mode");
  }
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return Fail("cannot switch to WAL mode (journal mode stays \"" + *mode +
                "\"); the file system may not support shared memory (e.g. a network file "
                "system): pass a --db path on a local file system");
  }
  // DURABILITY: with synchronous=NORMAL a WAL commit is not synced, so a power
  // loss of the controller's machine could drop cases the controller already
  // reported and a resumed campaign believed recorded. FULL syncs the WAL at
  // every commit: a case recorded is a case kept.
  if (Result<std::string> r =
          QueryOne(options.sync_each_commit ? "PRAGMA synchronous = FULL"
                                            : "PRAGMA synchronous = NORMAL",  // tests only
                   "setting synchronous");
      !r.ok()) {
    return r.status();
  }
  // Migrations run before foreign keys are on: a step that rebuilds a table
  // (SQLite's way to change a CHECK constraint) drops the old one, and with
  // foreign keys on that drop would cascade into every case of every campaign.
  if (*version != kSchemaVersion) {
    if (Status s = Migrate(); !s.ok()) return s;
  }
  // Foreign keys are per connection and off by default; a no-op inside a
  // transaction, so they are set here, before any.
  Result<std::string> fk = QueryOne("PRAGMA foreign_keys = ON", "enabling foreign keys");
  if (fk.ok()) fk = QueryOne("PRAGMA foreign_keys", "reading foreign_keys");
  if (!fk.ok()) return fk.status();
  if (*fk != "1") return Fail("this SQLite library does not enforce foreign keys");
  return Status::Ok();
}

Result<int> ResultsStore::CheckSchemaVersion() {
  // One statement, so the version and the tables come from one snapshot: read
  // separately, another process's migration could commit in between and make
  // a crashlab file look foreign.
  Statement slot;
  Result<sqlite3_stmt*> stmt = Prepared(
      slot,
      "SELECT (SELECT user_version FROM pragma_user_version), (SELECT group_concat(name, ', ') "
      "FROM (SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE "
      "'sqlite\\_%' ESCAPE '\\' ORDER BY name))");
  if (!stmt.ok() || sqlite3_step(*stmt) != SQLITE_ROW) return Error("reading the schema version");
  const int version = sqlite3_column_int(*stmt, 0);
  const std::string tables = ColumnText(*stmt, 1);
  if (version > kSchemaVersion) {
    return Fail("schema version " + std::to_string(version) +
                " is newer than this crashlab, which understands versions 1 to " +
                std::to_string(kSchemaVersion) + "; upgrade crashlab, or pass another --db path");
  }
  if (version == 0 && !tables.empty()) {
    return Fail("a SQLite database but not a crashlab results database (it holds " + tables +
                " and no crashlab schema version); it was left untouched: pass another --db "
                "path");
  }
  return version;
}

Status ResultsStore::Migrate() {
  // Each step is its own transaction that also sets user_version, so a crash
  // mid-migration leaves the file at a whole version. The version is re-read
  // under the write lock: another process opening the same file may have
  // migrated it meanwhile.
  while (true) {
    bool done = false;
    Status s = InTransaction("migrating the schema", [&]() -> Status {
      Result<int> version = CheckSchemaVersion();
      if (!version.ok()) return version.status();
      if (*version == kSchemaVersion) {
        done = true;
        return Status::Ok();
      }
      std::string what = "migrating the schema from version " + std::to_string(*version) + " to " +
                         std::to_string(*version + 1);
      if (sqlite3_exec(db_.get(), kMigrations[*version], nullptr, nullptr, nullptr) != SQLITE_OK) {
        return Error(what);
      }
      std::string set_version = "PRAGMA user_version = " + std::to_string(*version + 1);
      if (sqlite3_exec(db_.get(), set_version.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return Error(what);
      }
      return Status::Ok();
    });
    if (!s.ok() || done) return s;
  }
}

Result<int64_t> ResultsStore::BeginCampaign(const CampaignInfo& info) {
  if (auto kinds = ParseCrashKinds(info.crash_kind);
      !kinds || CrashKindsName(*kinds) != info.crash_kind) {
    return Fail("beginning a campaign: unknown crash kind \"" + info.crash_kind +
                "\"; use kill, power-loss or kill,power-loss");
  }
  if (!SeedFits(info.seed)) return Fail("beginning a campaign: " + SeedTooLarge(info.seed));
  constexpr const char* sql =
      "INSERT INTO campaigns (command_line, engine, variants, crash_kind, seed, "
      "cases_per_variant, host, crashlab_version, shard, workload) VALUES (?1, ?2, ?3, ?4, ?5, "
      "?6, ?7, ?8, ?9, nullif(?10, ''))";
  Result<sqlite3_stmt*> stmt = Prepared(insert_campaign_, sql);
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};
  Binder bind(*stmt);
  bind.Text(info.command_line).Text(info.engine).Text(info.variants).Text(info.crash_kind);
  bind.Int(static_cast<int64_t>(info.seed)).Int(info.cases_per_variant).Text(info.host);
  bind.Text(info.crashlab_version).Text(info.shard).Text(info.workload);
  if (!bind.ok() || sqlite3_step(*stmt) != SQLITE_DONE) return Error("beginning a campaign");
  return sqlite3_last_insert_rowid(db_.get());
}

Status ResultsStore::InsertCase(const CaseRecord& c) {
  const std::string what = "recording case " + c.engine + "/" + c.variant + " #" +
                           std::to_string(c.case_index) + " of campaign " +
                           std::to_string(c.campaign_id);
  auto kind = ParseCrashKind(c.crash_kind);
  auto contract = ParseContract(c.contract);
  auto verdict = ParseVerdict(c.verdict);
  if (!kind) return Fail(what + ": unknown crash kind \"" + c.crash_kind + "\"");
  if (!contract) return Fail(what + ": unknown contract \"" + c.contract + "\"");
  if (!verdict) return Fail(what + ": unknown verdict \"" + c.verdict + "\"");
  if (c.violation != Violates(*verdict, *contract)) {
    return Fail(what + ": violation is " + (c.violation ? "set" : "clear") + " but verdict " +
                c.verdict + " under contract " + c.contract + (c.violation ? " is" : " is not") +
                " allowed");
  }
  if (c.failure && !c.violation) return Fail(what + ": a failure record needs a violation");
  if (!SeedFits(c.seed)) return Fail(what + ": " + SeedTooLarge(c.seed));

  constexpr const char* insert_case =
      "INSERT INTO cases (campaign_id, engine, variant, seed, case_index, crash_kind, crash_plan, "
      "contract, verdict, violation, details, txns_sent, txns_acked, recovered_prefix, "
      "workload_ms, recovery_ms, total_ms, crash_state, syncs, bytes_written) VALUES (?1, ?2, "
      "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, nullif(?19, -1), "
      "nullif(?20, -1))";
  {
    Result<sqlite3_stmt*> stmt = Prepared(insert_case_, insert_case);
    if (!stmt.ok()) return stmt.status();
    ResetOnExit reset{*stmt};
    Binder bind(*stmt);
    bind.Int(c.campaign_id).Text(c.engine).Text(c.variant).Int(static_cast<int64_t>(c.seed));
    bind.Int(c.case_index).Text(c.crash_kind).Text(c.crash_plan).Text(c.contract);
    bind.Text(c.verdict).Int(c.violation ? 1 : 0).Text(c.details).Int(c.txns_sent);
    bind.Int(c.txns_acked).Int(c.recovered_prefix).Real(c.workload_ms).Real(c.recovery_ms);
    bind.Real(c.total_ms).Text(c.crash_state).Int(c.syncs).Int(c.bytes_written);
    if (!bind.ok()) return Error(what);
    if (sqlite3_step(*stmt) != SQLITE_DONE) {
      int code = sqlite3_extended_errcode(db_.get());
      if (code == SQLITE_CONSTRAINT_UNIQUE) {
        return Fail(what + ": already recorded; a resumed campaign must skip recorded cases");
      }
      if (code == SQLITE_CONSTRAINT_FOREIGNKEY) return Fail(what + ": no such campaign");
      return Error(what);
    }
    if (!c.failure) return Status::Ok();
    const int64_t case_id = sqlite3_last_insert_rowid(db_.get());
    int64_t trace_id = c.failure->trace_id;
    if (!c.failure->trace.empty()) {
      Result<int64_t> id = TraceId(c.campaign_id, c.failure->trace, what);
      if (!id.ok()) return id.status();
      trace_id = *id;
    }
    stmt = Prepared(insert_failure_,
                    "INSERT INTO failures (case_id, expected, recovered, difference, "
                    "engine_stderr, trace_id, crash_files, shrunk_from) VALUES (?1, ?2, ?3, ?4, "
                    "?5, nullif(?6, 0), ?7, nullif(?8, 0))");
    if (!stmt.ok()) return stmt.status();
    ResetOnExit reset_failure{*stmt};
    Binder bind_failure(*stmt);
    bind_failure.Int(case_id).Text(c.failure->expected).Text(c.failure->recovered);
    bind_failure.Text(c.failure->difference).Text(c.failure->engine_stderr).Int(trace_id);
    // (Bound without a copy: it must outlive the step.)
    const std::string files =
        c.failure->crash_files.empty() ? "" : Compress(c.failure->crash_files);
    bind_failure.BlobOrNull(files).Int(c.failure->shrunk_from);
    if (!bind_failure.ok() || sqlite3_step(*stmt) != SQLITE_DONE) {
      if (sqlite3_extended_errcode(db_.get()) == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return Fail(
            fmt::format("{}: its trace {} or the failure {} it was shrunk from is not "
                        "recorded",
                        what, trace_id, c.failure->shrunk_from));
      }
      return Error(what + ": storing its failure");
    }
    return Status::Ok();
  }
}

Status ResultsStore::RecordCase(const CaseRecord& c) {
  // The case and its failure commit together: a controller killed between two
  // separate commits would leave a violation without the artifacts replay needs.
  return InTransaction("recording a case", [&] { return InsertCase(c); });
}

Status ResultsStore::RecordCases(const std::vector<CaseRecord>& cases) {
  return InTransaction("recording cases", [&]() -> Status {
    for (const CaseRecord& c : cases) {
      if (Status s = InsertCase(c); !s.ok()) return s;
    }
    return Status::Ok();
  });
}

Result<int64_t> ResultsStore::BeginMatrix(const std::string& command_line, uint64_t seed,
                                          int64_t cases_per_cell) {
  if (!SeedFits(seed)) return Fail("beginning a matrix: " + SeedTooLarge(seed));
  Result<sqlite3_stmt*> stmt =
      Prepared(insert_matrix_,
               "INSERT INTO matrices (command_line, seed, cases_per_cell) VALUES (?1, ?2, ?3)");
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};
  Binder bind(*stmt);
  bind.Text(command_line).Int(static_cast<int64_t>(seed)).Int(cases_per_cell);
  if (!bind.ok() || sqlite3_step(*stmt) != SQLITE_DONE) return Error("beginning a matrix");
  return sqlite3_last_insert_rowid(db_.get());
}

Status ResultsStore::AddCampaignToMatrix(int64_t matrix_id, int64_t campaign_id) {
  const std::string what = fmt::format("adding campaign {} to matrix {}", campaign_id, matrix_id);
  Result<sqlite3_stmt*> stmt =
      Prepared(insert_matrix_campaign_,
               "INSERT INTO matrix_campaigns (matrix_id, campaign_id) VALUES (?1, ?2)");
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};
  Binder bind(*stmt);
  bind.Int(matrix_id).Int(campaign_id);
  if (!bind.ok()) return Error(what);
  if (sqlite3_step(*stmt) != SQLITE_DONE) {
    if (sqlite3_extended_errcode(db_.get()) == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return Fail(what + ": no such matrix or campaign");
    }
    return Error(what);
  }
  return Status::Ok();
}

Status ResultsStore::FinishMatrix(int64_t matrix_id, const std::string& status) {
  return Finish(finish_matrix_, "matrices", "matrix", matrix_id, status);
}

Status ResultsStore::FinishCampaign(int64_t campaign_id, const std::string& status) {
  return Finish(finish_campaign_, "campaigns", "campaign", campaign_id, status);
}

Status ResultsStore::Finish(Statement& slot, const char* table, const char* noun, int64_t id,
                            const std::string& status) {
  const std::string what = std::string("finishing ") + noun + " " + std::to_string(id);
  // `error` is a campaign's only: a matrix or a soak that meets one is
  // interrupted as a whole, each of its campaigns saying why.
  const bool error_allowed = std::string_view(table) == "campaigns";
  if (status != "finished" && status != "interrupted" && !(error_allowed && status == "error")) {
    return Fail(what + ": status \"" + status + "\" is not finished, interrupted" +
                (error_allowed ? " or error" : ""));
  }
  // `table` is one of three literals, never input.
  const std::string sql = std::string("UPDATE ") + table +
                          " SET status = ?1, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', "
                          "'now') WHERE id = ?2";
  Result<sqlite3_stmt*> stmt = Prepared(slot, sql.c_str());
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};
  Binder bind(*stmt);
  bind.Text(status).Int(id);
  if (!bind.ok() || sqlite3_step(*stmt) != SQLITE_DONE) return Error(what);
  if (sqlite3_changes(db_.get()) == 0) return Fail(what + ": no such " + noun);
  return Status::Ok();
}

Result<std::vector<CaseRecord>> ResultsStore::CasesOfCampaign(int64_t campaign_id) {
  const std::string what = "reading the cases of campaign " + std::to_string(campaign_id);
  {
    Result<sqlite3_stmt*> exists =
        Prepared(campaign_exists_, "SELECT 1 FROM campaigns WHERE id = ?1");
    if (!exists.ok()) return exists.status();
    ResetOnExit reset{*exists};
    Binder(*exists).Int(campaign_id);
    int rc = sqlite3_step(*exists);
    if (rc == SQLITE_DONE) return Fail(what + ": no such campaign");
    if (rc != SQLITE_ROW) return Error(what);
  }
  const std::string sql =
      std::string(kSelectCase) + "WHERE c.campaign_id = ?1 ORDER BY c.variant, c.case_index";
  Result<sqlite3_stmt*> stmt = Prepared(cases_of_campaign_, sql.c_str());
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};
  Binder(*stmt).Int(campaign_id);
  std::vector<CaseRecord> cases;
  int rc;
  while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) cases.push_back(ReadCase(*stmt));
  if (rc != SQLITE_DONE) return Error(what);
  return cases;
}

Result<std::optional<CaseRecord>> ResultsStore::FindCase(const std::string& engine,
                                                         const std::string& variant, uint64_t seed,
                                                         int64_t case_index,
                                                         const std::string& crash_kind) {
  const std::string what = "finding case " + engine + "/" + variant + " #" +
                           std::to_string(case_index) + " of seed " + std::to_string(seed);
  if (!ParseCrashKind(crash_kind)) {
    return Fail(what + ": unknown crash kind \"" + crash_kind + "\"");
  }
  if (!SeedFits(seed)) return Fail(what + ": " + SeedTooLarge(seed));
  // Ids grow in commit order, so the highest id is the most recent record.
  const std::string sql = std::string(kSelectCase) +
                          "WHERE c.engine = ?1 AND c.variant = ?2 AND c.seed = ?3 AND "
                          "c.case_index = ?4 AND c.crash_kind = ?5 ORDER BY c.id DESC "
                          "LIMIT 1";
  Result<sqlite3_stmt*> stmt = Prepared(find_case_, sql.c_str());
  if (!stmt.ok()) return stmt.status();
  ResetOnExit reset{*stmt};
  Binder bind(*stmt);
  bind.Text(engine).Text(variant).Int(static_cast<int64_t>(seed)).Int(case_index);
  bind.Text(crash_kind);
  if (!bind.ok()) return Error(what);
  int rc = sqlite3_step(*stmt);
  if (rc == SQLITE_DONE) return std::optional<CaseRecord>();
  if (rc != SQLITE_ROW) return Error(what);
  return std::optional<CaseRecord>(ReadCase(*stmt));
}

Result<std::vector<CaseRecord>> ResultsStore::Failures(int64_t campaign_id) {
  const std::string what = "listing failures";
  const std::string sql = std::string(kSelectCase) +
                          "WHERE f.id IS NOT NULL AND (?1 = 0 OR c.campaign_id = ?1) ORDER BY f.id";
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return Error(what);
  }
  Statement stmt(raw);
  if (sqlite3_bind_int64(raw, 1, campaign_id) != SQLITE_OK) return Error(what);
  std::vector<CaseRecord> cases;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) cases.push_back(ReadCase(raw));
  if (rc != SQLITE_DONE) return Error(what);
  return cases;
}

Result<std::optional<StoredFailure>> ResultsStore::FindFailure(int64_t failure_id) {
  const std::string what = "finding failure " + std::to_string(failure_id);
  const std::string sql = std::string(kSelectCase) + "WHERE f.id = ?1";
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return Error(what);
  }
  Statement stmt(raw);
  Binder bind(raw);
  bind.Int(failure_id);
  if (!bind.ok()) return Error(what);
  const int rc = sqlite3_step(raw);
  if (rc == SQLITE_DONE) return std::optional<StoredFailure>();
  if (rc != SQLITE_ROW) return Error(what);
  StoredFailure failure;
  failure.failure_id = failure_id;
  failure.c = ReadCase(raw);
  if (Status s = LoadArtifacts(*failure.c.failure); !s.ok()) return s;
  sqlite3_stmt* campaign = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "SELECT command_line, coalesce(workload, ''), coalesce((SELECT txns FROM "
                         "soak_campaigns WHERE campaign_id = ?1), -1) FROM campaigns WHERE id = ?1",
                         -1, &campaign, nullptr) != SQLITE_OK) {
    return Error(what);
  }
  Statement campaign_stmt(campaign);
  if (sqlite3_bind_int64(campaign, 1, failure.c.campaign_id) != SQLITE_OK) return Error(what);
  if (sqlite3_step(campaign) == SQLITE_ROW) {
    failure.campaign_command_line = ColumnText(campaign, 0);
    failure.campaign_workload = ColumnBlob(campaign, 1);
    failure.soak_txns = sqlite3_column_int64(campaign, 2);
  }
  return std::optional<StoredFailure>(std::move(failure));
}

}  // namespace crashlab
