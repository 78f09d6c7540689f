// crashlab's adapter for SQLite 3, driven through its C API. One key-value table
// in <dir>/kv.db; each protocol transaction is one SQL transaction. Recovery is
// whatever SQLite does when it first reads a database (hot-journal rollback or
// WAL replay), which Open() forces to happen before it returns.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engines/adapter/adapter.h"
#include "framework/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace crashlab::engines {

// The variant knobs, as the lower-case words SQLite's pragmas take.
struct SqliteOptions {
  std::string journal_mode = "delete";  // delete|truncate|persist|wal|memory|off
  std::string synchronous = "full";     // off|normal|full|extra
};

// Usage text for the command line, one option per line.
extern const char kSqliteUsage[];

// Parses the program's arguments (without argv[0]): `--journal-mode=MODE` and
// `--synchronous=LEVEL`; a later occurrence overrides an earlier one, omitted
// ones keep SQLite's defaults (delete, full). An unknown option or value is an
// error naming it and listing the valid ones.
[[nodiscard]] Result<SqliteOptions> ParseSqliteOptions(const std::vector<std::string>& args);

// Not thread-safe: Serve() calls it from one thread, as adapter.h requires.
class SqliteEngine final : public adapter::Engine {
 public:
  explicit SqliteEngine(SqliteOptions options) : options_(std::move(options)) {}
  ~SqliteEngine() override;
  SqliteEngine(const SqliteEngine&) = delete;
  SqliteEngine& operator=(const SqliteEngine&) = delete;

  std::string Name() const override { return "sqlite"; }
  std::vector<std::string> Capabilities() const override { return {"reopen"}; }

  // Creates `dir` when absent, opens <dir>/kv.db with the configured pragmas
  // (verified, not just requested) and runs one read so that recovery happens
  // now. An error names the path and carries SQLite's message; nothing stays open.
  Status Open(const std::string& dir) override;
  // One BEGIN IMMEDIATE .. COMMIT. Ok only once COMMIT has returned; on any
  // error the transaction is rolled back and the error returned.
  Status Commit(const std::vector<adapter::Op>& ops) override;
  Result<std::optional<std::string>> Get(const std::string& key) override;
  // Every pair, ordered by key (memcmp order).
  Result<std::vector<std::pair<std::string, std::string>>> Dump() override;
  // PRAGMA integrity_check: ok when it reports exactly "ok", else an error
  // quoting the first rows of its report.
  std::optional<Status> Check() override;
  // In WAL mode, PRAGMA wal_checkpoint(TRUNCATE); an error if readers blocked
  // it. Other journal modes have nothing to checkpoint and return ok.
  std::optional<Status> Checkpoint() override;
  // Finalizes the statements and closes the connection; Open may follow.
  Status Close() override;

 private:
  // "<action> on <path>: <sqlite3_errmsg>".
  Status SqlError(const std::string& action) const;
  // Runs `stmt` to completion (it must return no rows) and resets it.
  Status StepDone(sqlite3_stmt* stmt, const std::string& action);
  // Runs one statement given as text; returns the first column of each row.
  Result<std::vector<std::string>> Query(const std::string& sql);
  Status ApplyPragmas();
  Status Write(const adapter::Op& op);
  // Rolls back the open transaction, if any, after `cause`; returns `cause`
  // (with the rollback's error appended if that failed too).
  Status RollbackAfter(Status cause);
  // Finalizes every statement and closes the connection; safe when not open.
  Status CloseConnection();

  const SqliteOptions options_;
  std::string path_;  // <dir>/kv.db of the open database
  sqlite3* db_ = nullptr;
  // Prepared once per Open and reused.
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* del_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* dump_ = nullptr;
};

}  // namespace crashlab::engines
