// The results store's cases and failures: recording them (one case and its
// failure row per transaction, or a batch) and reading them back.
#include <sqlite3.h>

#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "framework/base/vocabulary.h"
#include "framework/store/compression.h"
#include "framework/store/results_store.h"
#include "framework/store/results_store_sql.h"

namespace crashlab {
namespace {

using results_store_sql::Binder;
using results_store_sql::ColumnBlob;
using results_store_sql::ColumnText;
using results_store_sql::ResetOnExit;
using results_store_sql::SeedFits;
using results_store_sql::SeedTooLarge;
using results_store_sql::WordReader;

// Columns read by ReadCase, in its order.
constexpr std::string_view kSelectCase =
    "SELECT c.id, c.campaign_id, c.engine, c.variant, c.seed, c.case_index, c.crash_kind, "
    "c.crash_plan, c.contract, c.verdict, c.violation, c.details, c.txns_sent, c.txns_acked, "
    "c.recovered_prefix, c.workload_ms, c.recovery_ms, c.total_ms, c.crash_state, f.id, "
    "f.expected, f.recovered, f.difference, f.engine_stderr, coalesce(f.trace_id, 0), "
    "f.crash_files IS NOT NULL, coalesce(f.shrunk_from, 0), coalesce(c.syncs, -1), "
    "coalesce(c.bytes_written, -1) "
    "FROM cases c LEFT JOIN failures f ON f.case_id = c.id ";

// The case of the current row, or an error (without the store's path) when a
// vocabulary column holds a word crashlab does not know.
Result<CaseRecord> ReadCase(sqlite3_stmt* stmt) {
  CaseRecord c;
  c.id = sqlite3_column_int64(stmt, 0);
  WordReader words(stmt, "case " + std::to_string(c.id) + " (table cases)");
  c.campaign_id = sqlite3_column_int64(stmt, 1);
  c.engine = ColumnText(stmt, 2);
  c.variant = ColumnText(stmt, 3);
  c.seed = static_cast<uint64_t>(sqlite3_column_int64(stmt, 4));
  c.case_index = sqlite3_column_int64(stmt, 5);
  c.crash_kind = words.Kind(6);
  c.crash_plan = ColumnText(stmt, 7);
  c.contract = words.ContractAt(8);
  c.verdict = words.VerdictAt(9);
  if (!words.error().empty()) return Status::Error(words.error());
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

Status ResultsStore::InsertCase(const CaseRecord& c) {
  const std::string what = "recording case " + c.engine + "/" + c.variant + " #" +
                           std::to_string(c.case_index) + " of campaign " +
                           std::to_string(c.campaign_id);
  // An enum holds what its type allows, but a cast from a bad integer
  // would store "?", which the schema's CHECK refuses less clearly.
  if (Name(c.crash_kind) == "?") return Fail(what + ": unknown crash kind");
  if (Name(c.contract) == "?") return Fail(what + ": unknown contract");
  if (Name(c.verdict) == "?") return Fail(what + ": unknown verdict");
  if (c.violation != Violates(c.verdict, c.contract)) {
    return Fail(what + ": violation is " + (c.violation ? "set" : "clear") + " but verdict " +
                std::string(Name(c.verdict)) + " under contract " + std::string(Name(c.contract)) +
                (c.violation ? " is" : " is not") + " allowed");
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
    bind.Int(c.case_index).Word(Name(c.crash_kind)).Text(c.crash_plan).Word(Name(c.contract));
    bind.Word(Name(c.verdict)).Int(c.violation ? 1 : 0).Text(c.details).Int(c.txns_sent);
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
  while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
    Result<CaseRecord> c = ReadCase(*stmt);
    if (!c.ok()) return Fail(what + ": " + c.status().message());
    cases.push_back(std::move(c).value());
  }
  if (rc != SQLITE_DONE) return Error(what);
  return cases;
}

Result<std::optional<CaseRecord>> ResultsStore::FindCase(const std::string& engine,
                                                         const std::string& variant, uint64_t seed,
                                                         int64_t case_index, CrashKind crash_kind) {
  const std::string what = "finding case " + engine + "/" + variant + " #" +
                           std::to_string(case_index) + " of seed " + std::to_string(seed);
  if (Name(crash_kind) == "?") return Fail(what + ": unknown crash kind");
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
  bind.Word(Name(crash_kind));
  if (!bind.ok()) return Error(what);
  int rc = sqlite3_step(*stmt);
  if (rc == SQLITE_DONE) return std::optional<CaseRecord>();
  if (rc != SQLITE_ROW) return Error(what);
  Result<CaseRecord> c = ReadCase(*stmt);
  if (!c.ok()) return Fail(what + ": " + c.status().message());
  return std::optional<CaseRecord>(std::move(c).value());
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
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    Result<CaseRecord> c = ReadCase(raw);
    if (!c.ok()) return Fail(what + ": " + c.status().message());
    cases.push_back(std::move(c).value());
  }
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
  Result<CaseRecord> c = ReadCase(raw);
  if (!c.ok()) return Fail(what + ": " + c.status().message());
  failure.c = std::move(c).value();
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
