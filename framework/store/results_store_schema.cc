// The results store's schema: its migrations, one per version, and opening
// a file (creating, configuring and migrating it).
#include <sqlite3.h>

#include <array>
#include <filesystem>
#include <string>

#include "framework/store/results_store.h"
#include "framework/store/results_store_sql.h"

namespace crashlab {
namespace {

using results_store_sql::ColumnText;
using results_store_sql::kBusyTimeoutMs;

// never changes: databases in the field were built by it. The vocabulary lists
// in the CHECK constraints are spelled out here rather than generated from
// vocabulary.h for the same reason; a new word needs a new migration, and
// results_store_schema_test.cc (TheSchemasCheckListsAreTheVocabularyTable)
// fails until the latest schema's lists equal vocabulary.cc's tables.
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

}  // namespace

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

}  // namespace crashlab
