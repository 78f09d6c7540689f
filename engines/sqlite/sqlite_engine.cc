#include "engines/sqlite/sqlite_engine.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "engines/adapter/durable_dirs.h"

namespace crashlab::engines {
namespace {

constexpr std::array<std::string_view, 6> kJournalModes = {"delete", "truncate", "persist",
                                                           "wal",    "memory",   "off"};
constexpr std::array<std::string_view, 4> kSyncLevels = {"off", "normal", "full", "extra"};
constexpr int kBusyTimeoutMs = 5000;
constexpr std::size_t kIntegrityRowsShown = 5;

template <std::size_t N>
std::string Join(const std::array<std::string_view, N>& words) {
  std::string out;
  for (std::string_view w : words) out += (out.empty() ? "" : "|") + std::string(w);
  return out;
}

// Resets a statement when a scope ends, so no statement keeps a read
// transaction (and its locks) open between requests.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

int BindBytes(sqlite3_stmt* stmt, int index, const std::string& bytes) {
  // data() is never null, so an empty string binds a zero-length blob, not NULL.
  // SQLITE_STATIC: the string outlives the step; ResetOnExit clears the binding.
  return sqlite3_bind_blob(stmt, index, bytes.data(), static_cast<int>(bytes.size()),
                           SQLITE_STATIC);
}

std::string ColumnBytes(sqlite3_stmt* stmt, int column) {
  const void* data = sqlite3_column_blob(stmt, column);  // null for a zero-length blob
  const int size = sqlite3_column_bytes(stmt, column);
  return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
}

}  // namespace

const char kSqliteUsage[] =
    "usage: crashlab-engine-sqlite [--journal-mode=delete|truncate|persist|wal|memory|off]\n"
    "                              [--synchronous=off|normal|full|extra]\n"
    "Speaks the crashlab engine protocol on stdin/stdout (docs/engine-protocol.md).\n";

Result<SqliteOptions> ParseSqliteOptions(const std::vector<std::string>& args) {
  SqliteOptions options;
  for (const std::string& arg : args) {
    const std::size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    auto pick = [&](const auto& valid, std::string& out) -> Status {
      if (eq == std::string::npos) {
        return Status::Error("option " + name + " needs a value: " + name + "=" + Join(valid));
      }
      if (std::find(valid.begin(), valid.end(), value) == valid.end()) {
        return Status::Error("invalid value '" + value + "' for " + name +
                             "; valid values: " + Join(valid) + " (as " + name + "=VALUE)");
      }
      out = value;
      return Status::Ok();
    };
    Status s;
    if (name == "--journal-mode") {
      s = pick(kJournalModes, options.journal_mode);
    } else if (name == "--synchronous") {
      s = pick(kSyncLevels, options.synchronous);
    } else {
      s = Status::Error("unknown option '" + arg + "'; valid options: --journal-mode=" +
                        Join(kJournalModes) + " and --synchronous=" + Join(kSyncLevels));
    }
    if (!s.ok()) return s;
  }
  return options;
}

SqliteEngine::~SqliteEngine() { (void)CloseConnection(); }

Status SqliteEngine::SqlError(const std::string& action) const {
  return Status::Error("sqlite: " + action + " on " + path_ + ": " + sqlite3_errmsg(db_));
}

Status SqliteEngine::StepDone(sqlite3_stmt* stmt, const std::string& action) {
  ResetOnExit reset(stmt);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return Status::Ok();
  if (rc == SQLITE_ROW)
    return Status::Error("sqlite: " + action + " on " + path_ + " returned rows");
  return SqlError(action);
}

Result<std::vector<std::string>> SqliteEngine::Query(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return SqlError(sql);
  std::vector<std::string> rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  Status s = rc == SQLITE_DONE ? Status::Ok() : SqlError(sql);
  sqlite3_finalize(stmt);
  if (!s.ok()) return s;
  return rows;
}

Status SqliteEngine::ApplyPragmas() {
  // DURABILITY: synchronous decides every fsync SQLite makes, so it is set
  // first: the journal-mode switch below (a write to page 1 when entering or
  // leaving WAL) is then already synced as the variant says. Set explicitly,
  // it also keeps SQLite from substituting its WAL default on entering WAL.
  if (auto r = Query("PRAGMA synchronous=" + options_.synchronous); !r.ok()) return r.status();
  Result<std::vector<std::string>> mode = Query("PRAGMA journal_mode=" + options_.journal_mode);
  if (!mode.ok()) return mode.status();
  const std::string got = mode->empty() ? "" : mode->front();
  if (got != options_.journal_mode) {
    return Status::Error("sqlite: PRAGMA journal_mode=" + options_.journal_mode + " on " + path_ +
                         " left the database in journal mode '" + got +
                         "'; is another process holding it open?");
  }
  const auto level = std::find(kSyncLevels.begin(), kSyncLevels.end(), options_.synchronous);
  const std::string want = std::to_string(level - kSyncLevels.begin());
  Result<std::vector<std::string>> sync = Query("PRAGMA synchronous");
  if (!sync.ok()) return sync.status();
  if (*sync != std::vector<std::string>{want}) {
    return Status::Error("sqlite: PRAGMA synchronous on " + path_ + " is not " + want + " (" +
                         options_.synchronous + ") as requested");
  }
  return Status::Ok();
}

Status SqliteEngine::Open(const std::string& dir) {
  if (db_ != nullptr) return Status::Error("sqlite: " + path_ + " is already open; close it first");
  if (Status s = engines::MakeDirsDurably(dir); !s.ok()) return s;
  path_ = (std::filesystem::path(dir) / "kv.db").string();
  const int rc =
      sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    Status s = Status::Error("sqlite: cannot open " + path_ + ": " +
                             (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
    sqlite3_close(db_);
    db_ = nullptr;
    return s;
  }
  Status s = [&]() -> Status {
    if (sqlite3_busy_timeout(db_, kBusyTimeoutMs) != SQLITE_OK) return SqlError("busy timeout");
    if (Status p = ApplyPragmas(); !p.ok()) return p;
    if (auto r = Query("CREATE TABLE IF NOT EXISTS kv(key BLOB PRIMARY KEY, value BLOB NOT NULL) "
                       "WITHOUT ROWID");
        !r.ok()) {
      return r.status();
    }
    // Recovery (rolling back a hot journal, reading a WAL) happens on the first
    // read; doing one here makes a broken recovery fail `open`, as the protocol
    // expects, rather than some later request.
    if (auto r = Query("SELECT count(*) FROM kv"); !r.ok()) return r.status();
    const std::pair<sqlite3_stmt**, const char*> statements[] = {
        {&begin_, "BEGIN IMMEDIATE"},
        {&commit_, "COMMIT"},
        {&rollback_, "ROLLBACK"},
        {&put_, "INSERT OR REPLACE INTO kv(key, value) VALUES (?1, ?2)"},
        {&del_, "DELETE FROM kv WHERE key = ?1"},
        {&get_, "SELECT value FROM kv WHERE key = ?1"},
        {&dump_, "SELECT key, value FROM kv ORDER BY key"},
    };
    for (const auto& [stmt, sql] : statements) {
      if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK) {
        return SqlError(std::string("prepare ") + sql);
      }
    }
    return Status::Ok();
  }();
  if (!s.ok()) (void)CloseConnection();
  return s;
}

Status SqliteEngine::Write(const adapter::Op& op) {
  sqlite3_stmt* stmt = op.is_put ? put_ : del_;
  if (BindBytes(stmt, 1, op.key) != SQLITE_OK ||
      (op.is_put && BindBytes(stmt, 2, op.value) != SQLITE_OK)) {
    sqlite3_clear_bindings(stmt);
    return SqlError("bind");
  }
  return StepDone(stmt, op.is_put ? "INSERT OR REPLACE" : "DELETE");
}

Status SqliteEngine::Commit(const std::vector<adapter::Op>& ops) {
  // IMMEDIATE takes the write lock now, so a lock conflict fails here, before
  // any write, instead of midway through the transaction.
  if (Status s = StepDone(begin_, "BEGIN IMMEDIATE"); !s.ok()) return s;
  for (const adapter::Op& op : ops) {
    if (Status s = Write(op); !s.ok()) return RollbackAfter(std::move(s));
  }
  // DURABILITY: the caller acknowledges the transaction when this returns ok,
  // so ok may only follow COMMIT's return: by then SQLite has made the commit
  // as durable as `synchronous` promises (journal finalized, or commit frame in
  // the WAL, with or without fsync). Returning earlier would let a crash lose
  // an acknowledged transaction under every contract. The adapter adds no
  // syncs of its own: what survives a power loss is SQLite's doing.
  if (Status s = StepDone(commit_, "COMMIT"); !s.ok()) return RollbackAfter(std::move(s));
  return Status::Ok();
}

Status SqliteEngine::RollbackAfter(Status cause) {
  // SQLite rolls back by itself after some errors (e.g. a full disk); a second
  // ROLLBACK would then fail with "no transaction is active".
  if (sqlite3_get_autocommit(db_)) return cause;
  if (Status s = StepDone(rollback_, "ROLLBACK"); !s.ok()) {
    return Status::Error(cause.message() + "; then " + s.message());
  }
  return cause;
}

Result<std::optional<std::string>> SqliteEngine::Get(const std::string& key) {
  ResetOnExit reset(get_);
  if (BindBytes(get_, 1, key) != SQLITE_OK) return SqlError("bind");
  const int rc = sqlite3_step(get_);
  if (rc == SQLITE_ROW) return std::optional<std::string>(ColumnBytes(get_, 0));
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  return SqlError("SELECT value");
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteEngine::Dump() {
  ResetOnExit reset(dump_);
  std::vector<std::pair<std::string, std::string>> pairs;
  int rc;
  while ((rc = sqlite3_step(dump_)) == SQLITE_ROW) {
    pairs.emplace_back(ColumnBytes(dump_, 0), ColumnBytes(dump_, 1));
  }
  if (rc != SQLITE_DONE) return SqlError("SELECT key, value");
  return pairs;
}

std::optional<Status> SqliteEngine::Check() {
  Result<std::vector<std::string>> rows = Query("PRAGMA integrity_check");
  if (!rows.ok()) return rows.status();
  if (*rows == std::vector<std::string>{"ok"}) return Status::Ok();
  std::string report;
  for (std::size_t i = 0; i < rows->size() && i < kIntegrityRowsShown; ++i) {
    report += (i == 0 ? "" : "; ") + (*rows)[i];
  }
  if (rows->size() > kIntegrityRowsShown) {
    report += "; ... (" + std::to_string(rows->size()) + " rows)";
  }
  return Status::Error("sqlite: PRAGMA integrity_check on " + path_ + " found: " + report);
}

std::optional<Status> SqliteEngine::Checkpoint() {
  if (options_.journal_mode != "wal") return Status::Ok();  // no WAL to move into the database
  // DURABILITY: SQLite orders this itself: the WAL is synced before its frames
  // are copied and the database is synced before the WAL is truncated (both
  // skipped under synchronous=off, which is why that contract is `none`).
  Result<std::vector<std::string>> row = Query("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!row.ok()) return row.status();
  if (row->empty() || row->front() != "0") {  // column 0 is 1 when it could not finish
    return Status::Error("sqlite: checkpoint of " + path_ +
                         " could not finish: another connection is using the database");
  }
  return Status::Ok();
}

Status SqliteEngine::Close() { return CloseConnection(); }

Status SqliteEngine::CloseConnection() {
  if (db_ == nullptr) return Status::Ok();
  for (sqlite3_stmt** stmt : {&begin_, &commit_, &rollback_, &put_, &del_, &get_, &dump_}) {
    sqlite3_finalize(*stmt);
    *stmt = nullptr;
  }
  // In WAL mode the last connection to close checkpoints and deletes the WAL;
  // that adds nothing a committed transaction relies on.
  Status s;
  if (sqlite3_close(db_) != SQLITE_OK) {
    s = SqlError("close");
    sqlite3_close_v2(db_);  // let SQLite free it once whatever holds it is done
  }
  db_ = nullptr;
  return s;
}

}  // namespace crashlab::engines
