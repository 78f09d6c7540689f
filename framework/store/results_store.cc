// The results store's connection and its shared machinery (prepared
// statements, transactions, errors), and the rows that frame cases:
// campaigns and matrices. Schema and opening: results_store_schema.cc;
// cases and failures: results_store_cases.cc.
#include "framework/store/results_store.h"

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "framework/base/vocabulary.h"
#include "framework/store/results_store_sql.h"

namespace crashlab {

using results_store_sql::Binder;
using results_store_sql::ColumnText;
using results_store_sql::kBusyTimeoutMs;
using results_store_sql::ResetOnExit;
using results_store_sql::SeedFits;
using results_store_sql::SeedTooLarge;

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

}  // namespace crashlab
