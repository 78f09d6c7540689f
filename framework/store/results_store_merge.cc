// ResultsStore::MergeFrom: joins the databases of a campaign's shards (or of
// any campaigns) into one, for `crashlab merge`.
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "framework/store/results_store.h"

namespace crashlab {
namespace {

namespace fs = std::filesystem;

// A snapshot of the database at `path` in a new temporary file, taken with
// the backup API (so a -wal file is included and `path` is never written).
Result<std::string> Snapshot(const std::string& path, const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Status::Error("merge input " + path + " does not exist: check the path");
  }
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  const std::string copy = dir + "/snapshot.db";
  Status status = Status::Ok();
  if (sqlite3_open_v2(path.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
      sqlite3_open(copy.c_str(), &dst) != SQLITE_OK) {
    status = Status::Error("cannot read merge input " + path + ": " +
                           (src ? sqlite3_errmsg(src) : "out of memory"));
  } else if (sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main"); b == nullptr) {
    status = Status::Error("cannot read merge input " + path + ": " + sqlite3_errmsg(dst) +
                           "; is it a SQLite database?");
  } else {
    const int rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
      status = Status::Error("cannot read merge input " + path + ": " + sqlite3_errstr(rc) +
                             "; is it a SQLite database?");
    }
  }
  sqlite3_close(src);
  sqlite3_close(dst);
  if (!status.ok()) return status;
  return copy;
}

// The columns of `table`, in order.
Result<std::vector<std::string>> Columns(sqlite3* db, const std::string& table) {
  sqlite3_stmt* stmt = nullptr;
  const std::string sql = "SELECT name FROM pragma_table_info('" + table + "')";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return Status::Error(std::string("reading the columns of ") + table + ": " +
                         sqlite3_errmsg(db));
  }
  std::vector<std::string> columns;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    columns.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  return columns;
}

int64_t Count(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int64_t n = 0;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return n;
}

// INSERT INTO main.<table> SELECT ... FROM src.<table> WHERE <where>, with the
// id columns in `shifted` moved by their offsets (new ids, no collisions) and
// the columns in `computed` given by their SQL expressions.
Result<std::string> CopySql(sqlite3* db, const std::string& table,
                            const std::vector<std::pair<std::string, int64_t>>& shifted,
                            const std::string& where,
                            const std::vector<std::pair<std::string, std::string>>& computed = {}) {
  Result<std::vector<std::string>> columns = Columns(db, table);
  if (!columns.ok()) return columns.status();
  std::string names, values;
  for (const std::string& c : *columns) {
    names += (names.empty() ? "" : ", ") + c;
    std::string value = c;
    for (const auto& [column, offset] : shifted) {
      if (column == c) value = fmt::format("{} + {}", c, offset);
    }
    for (const auto& [column, expression] : computed) {
      if (column == c) value = expression;
    }
    values += (values.empty() ? "" : ", ") + value;
  }
  return fmt::format("INSERT INTO main.{0} ({1}) SELECT {2} FROM src.{0} WHERE {3};", table, names,
                     values, where);
}

// A copied failure's `shrunk_from`: the copy of the original when the
// original is copied too, else the failure this store already holds for the
// original's case (its campaign was skipped as already merged).
std::string ShrunkFromSql(int64_t failure_offset) {
  return fmt::format(
      "CASE WHEN src.failures.shrunk_from IS NULL THEN NULL "
      "WHEN src.failures.shrunk_from IN (SELECT f.id FROM src.failures f JOIN src.cases c ON c.id "
      "= f.case_id "
      "WHERE c.campaign_id NOT IN (SELECT id FROM temp.merge_skip)) THEN src.failures.shrunk_from "
      "+ {} "
      "ELSE (SELECT mf.id FROM src.failures sf JOIN src.cases sc ON sc.id = sf.case_id "
      "JOIN temp.merge_skip k ON k.id = sc.campaign_id JOIN main.cases mc ON mc.campaign_id = "
      "k.main_id AND mc.variant = sc.variant AND mc.case_index = sc.case_index "
      "JOIN main.failures mf ON mf.case_id = mc.id WHERE sf.id = src.failures.shrunk_from) END",
      failure_offset);
}

}  // namespace

Result<ResultsStore::MergeStats> ResultsStore::MergeFrom(const std::string& path) {
  std::string tmpl = (fs::temp_directory_path() / "crashlab-merge-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return Status::Error("cannot create a temporary directory for the merge; set TMPDIR");
  }
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{tmpl};
  std::error_code ec;
  if (fs::file_size(path, ec) == 0 && !ec) {
    // Its snapshot would be a SQLite file with no tables, and say so.
    return Status::Error("merge input " + path +
                         ": an empty file, not a crashlab results database; pass the databases "
                         "campaigns wrote");
  }
  Result<std::string> snapshot = Snapshot(path, tmpl);
  if (!snapshot.ok()) return snapshot.status();
  {
    // Validates the input (crashlab's, not newer) and migrates the snapshot.
    // An empty input is refused too (ExistingStore), and the error names the
    // input, not its snapshot in a temporary directory that is gone when
    // the user reads it.
    Result<std::unique_ptr<ResultsStore>> input = ResultsStore::Open(*snapshot, ExistingStore());
    if (!input.ok()) {
      std::string message = input.status().message();
      const std::string prefix = "results store " + *snapshot + ": ";
      if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
      for (std::size_t at; (at = message.find(*snapshot)) != std::string::npos;) {
        message.replace(at, snapshot->size(), path);
      }
      return Status::Error("merge input " + path + ": " + message);
    }
  }
  sqlite3* db = db_.get();
  const std::string attach = fmt::format("ATTACH DATABASE '{}' AS src", *snapshot);
  if (sqlite3_exec(db, attach.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error("attaching merge input " + path);
  }
  MergeStats stats;
  auto body = [&]() -> Status {
    const int64_t oc = Count(db, "SELECT coalesce(max(id), 0) FROM main.campaigns");
    const int64_t ok = Count(db, "SELECT coalesce(max(id), 0) FROM main.cases");
    const int64_t of = Count(db, "SELECT coalesce(max(id), 0) FROM main.failures");
    const int64_t om = Count(db, "SELECT coalesce(max(id), 0) FROM main.matrices");
    const int64_t os = Count(db, "SELECT coalesce(max(id), 0) FROM main.soaks");
    const int64_t ot = Count(db, "SELECT coalesce(max(id), 0) FROM main.traces");
    const std::string steps[] = {
        "CREATE TEMP TABLE merge_skip AS SELECT s.id, m.id AS main_id FROM src.campaigns s JOIN "
        "main.campaigns m "
        "ON m.started_at = s.started_at AND m.host = s.host AND m.command_line = s.command_line "
        "AND m.seed = s.seed AND m.shard = s.shard;",
        "CREATE TEMP TABLE merge_skip_matrix AS SELECT s.id FROM src.matrices s JOIN "
        "main.matrices m ON m.started_at = s.started_at AND m.command_line = s.command_line;",
        "CREATE TEMP TABLE merge_skip_soak AS SELECT s.id FROM src.soaks s JOIN main.soaks m ON "
        "m.started_at = s.started_at AND m.host = s.host AND m.command_line = s.command_line;",
    };
    for (const std::string& sql : steps) {
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return Error("merging " + path);
      }
    }
    stats.skipped_campaigns = Count(db, "SELECT count(*) FROM temp.merge_skip");
    const std::string kept = "campaign_id NOT IN (SELECT id FROM temp.merge_skip)";
    Result<std::string> copies[] = {
        CopySql(db, "campaigns", {{"id", oc}}, "id NOT IN (SELECT id FROM temp.merge_skip)"),
        CopySql(db, "cases", {{"id", ok}, {"campaign_id", oc}}, kept),
        CopySql(db, "traces", {{"id", ot}, {"campaign_id", oc}}, kept),
        CopySql(db, "failures", {{"id", of}, {"case_id", ok}, {"trace_id", ot}},
                "case_id IN (SELECT id FROM src.cases WHERE " + kept + ")",
                {{"shrunk_from", ShrunkFromSql(of)}}),
        CopySql(db, "matrices", {{"id", om}}, "id NOT IN (SELECT id FROM temp.merge_skip_matrix)"),
        CopySql(db, "matrix_campaigns", {{"matrix_id", om}, {"campaign_id", oc}},
                kept + " AND matrix_id NOT IN (SELECT id FROM temp.merge_skip_matrix)"),
        CopySql(db, "soaks", {{"id", os}}, "id NOT IN (SELECT id FROM temp.merge_skip_soak)"),
        CopySql(db, "soak_campaigns", {{"soak_id", os}, {"campaign_id", oc}},
                kept + " AND soak_id NOT IN (SELECT id FROM temp.merge_skip_soak)"),
    };
    const int64_t before[] = {Count(db, "SELECT count(*) FROM main.campaigns"),
                              Count(db, "SELECT count(*) FROM main.cases"),
                              Count(db, "SELECT count(*) FROM main.failures"),
                              Count(db, "SELECT count(*) FROM main.matrices"),
                              Count(db, "SELECT count(*) FROM main.soaks")};
    for (Result<std::string>& sql : copies) {
      if (!sql.ok()) return sql.status();
      if (sqlite3_exec(db, sql->c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return Error("merging " + path);
      }
    }
    stats.campaigns = Count(db, "SELECT count(*) FROM main.campaigns") - before[0];
    stats.cases = Count(db, "SELECT count(*) FROM main.cases") - before[1];
    stats.failures = Count(db, "SELECT count(*) FROM main.failures") - before[2];
    stats.matrices = Count(db, "SELECT count(*) FROM main.matrices") - before[3];
    stats.soaks = Count(db, "SELECT count(*) FROM main.soaks") - before[4];
    return Status::Ok();
  };
  Status s = Status::Ok();
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    s = Error("merging " + path);
  } else {
    s = body();
    if (s.ok() && sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      s = Error("merging " + path);
    }
    if (!s.ok() && sqlite3_get_autocommit(db) == 0) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  sqlite3_exec(db, "DROP TABLE IF EXISTS temp.merge_skip", nullptr, nullptr, nullptr);
  sqlite3_exec(db, "DROP TABLE IF EXISTS temp.merge_skip_matrix", nullptr, nullptr, nullptr);
  sqlite3_exec(db, "DROP TABLE IF EXISTS temp.merge_skip_soak", nullptr, nullptr, nullptr);
  sqlite3_exec(db, "DETACH DATABASE src", nullptr, nullptr, nullptr);
  if (!s.ok()) return s;
  return stats;
}

}  // namespace crashlab
