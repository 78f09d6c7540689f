#include "reports/report_data.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include <fmt/format.h>

namespace crashlab::report {
namespace {

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, Closer>;

std::string Text(sqlite3_stmt* s, int col) {
  const unsigned char* t = sqlite3_column_text(s, col);
  return t == nullptr ? ""
                      : std::string(reinterpret_cast<const char*>(t),
                                    static_cast<std::size_t>(sqlite3_column_bytes(s, col)));
}

// Runs `sql` and calls `row` for each result row, stopping at the first error
// `row` returns.
Status ForEachRowOrError(sqlite3* db, const std::string& sql,
                         const std::function<Status(sqlite3_stmt*)>& row) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
    return Status::Error(std::string("reading the results database for the report: ") +
                         sqlite3_errmsg(db));
  }
  int rc;
  Status status = Status::Ok();
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    status = row(s);
    if (!status.ok()) break;
  }
  sqlite3_finalize(s);
  if (!status.ok()) return status;
  if (rc != SQLITE_DONE) {
    return Status::Error(std::string("reading the results database for the report: ") +
                         sqlite3_errmsg(db));
  }
  return Status::Ok();
}

// Runs `sql` and calls `row` for each result row.
Status ForEachRow(sqlite3* db, const std::string& sql,
                  const std::function<void(sqlite3_stmt*)>& row) {
  return ForEachRowOrError(db, sql, [&](sqlite3_stmt* s) {
    row(s);
    return Status::Ok();
  });
}

// The vocabulary word in column `col`, read with `parse`; an error naming
// what the row counts (`rows`) when it is no word crashlab knows.
template <typename E>
Result<E> Word(sqlite3_stmt* s, int col, std::optional<E> (*parse)(std::string_view),
               const char* noun, const std::string& rows) {
  const std::string word = Text(s, col);
  if (std::optional<E> value = parse(word)) return *value;
  return Status::Error(
      fmt::format("reading the results database for the report: {} have the {} \"{}\", a word this "
                  "crashlab does not know: report the file with the crashlab that wrote it",
                  rows, noun, word));
}

// "c.campaign_id IN (1, 2)" for the chosen campaigns, "1" for all.
std::string CampaignFilter(const std::vector<int64_t>& ids, const char* column) {
  if (ids.empty()) return "1";
  std::string list;
  for (int64_t id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
  return fmt::format("{} IN ({})", column, list);
}

VariantRow& VariantOf(std::vector<VariantRow>& rows, const std::string& engine,
                      const std::string& variant) {
  for (VariantRow& r : rows) {
    if (r.engine == engine && r.variant == variant) return r;
  }
  VariantRow& row = rows.emplace_back();
  row.engine = engine;
  row.variant = variant;
  return row;
}

Status LoadCampaigns(sqlite3* db, const std::string& filter, ReportData& d) {
  return ForEachRow(
      db,
      "SELECT k.id, k.started_at, coalesce(k.finished_at, ''), k.status, k.command_line, "
      "k.engine, k.variants, k.crash_kind, k.host, k.shard, "
      "(SELECT count(*) FROM cases c WHERE c.campaign_id = k.id), "
      "(SELECT coalesce(sum(c.violation), 0) FROM cases c WHERE c.campaign_id = k.id), "
      "coalesce((julianday(k.finished_at) - julianday(k.started_at)) * 86400.0, -1) "
      "FROM campaigns k WHERE " +
          filter + " ORDER BY k.id",
      [&](sqlite3_stmt* s) {
        CampaignRow r;
        r.id = sqlite3_column_int64(s, 0);
        r.started_at = Text(s, 1);
        r.finished_at = Text(s, 2);
        r.status = Text(s, 3);
        r.command_line = Text(s, 4);
        r.engine = Text(s, 5);
        r.variants = Text(s, 6);
        r.crash_kind = Text(s, 7);
        r.host = Text(s, 8);
        r.shard = Text(s, 9);
        r.cases = sqlite3_column_int64(s, 10);
        r.violations = sqlite3_column_int64(s, 11);
        r.seconds = sqlite3_column_double(s, 12);
        d.campaigns.push_back(std::move(r));
      });
}

Status LoadCells(sqlite3* db, const std::string& filter, ReportData& d) {
  return ForEachRowOrError(
      db,
      "SELECT engine, variant, crash_kind, contract, verdict, count(*), sum(violation) FROM cases "
      "c WHERE " +
          filter + " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
      [&](sqlite3_stmt* s) -> Status {
        const std::string engine = Text(s, 0), variant = Text(s, 1);
        const std::string rows = "the cases of " + engine + "/" + variant;
        const Result<CrashKind> kind = Word(s, 2, ParseCrashKind, "crash kind", rows);
        const Result<Contract> contract = Word(s, 3, ParseContract, "contract", rows);
        const Result<Verdict> verdict = Word(s, 4, ParseVerdict, "verdict", rows);
        if (!kind.ok()) return kind.status();
        if (!contract.ok()) return contract.status();
        if (!verdict.ok()) return verdict.status();
        if (d.cells.empty() || d.cells.back().engine != engine ||
            d.cells.back().variant != variant || d.cells.back().crash_kind != *kind ||
            d.cells.back().contract != *contract) {
          CellRow& added = d.cells.emplace_back();
          added.engine = engine;
          added.variant = variant;
          added.crash_kind = *kind;
          added.contract = *contract;
        }
        CellRow& cell = d.cells.back();
        const int64_t n = sqlite3_column_int64(s, 5);
        cell.cases += n;
        cell.violations += sqlite3_column_int64(s, 6);
        cell.verdicts[*verdict] += n;
        return Status::Ok();
      });
}

Status LoadVariants(sqlite3* db, const std::string& filter, ReportData& d) {
  std::map<std::pair<std::string, std::string>, std::vector<double>> recovery;
  std::map<std::pair<std::string, std::string>, std::array<double, 5>>
      sums;  // acked, ms, syncs, bytes, sent
  Status s = ForEachRowOrError(
      db,
      "SELECT engine, variant, crash_kind, crash_plan, verdict, violation, recovery_ms, "
      "txns_acked, workload_ms, syncs, bytes_written, txns_sent FROM cases c WHERE " +
          filter + " ORDER BY engine, variant",
      [&](sqlite3_stmt* st) -> Status {
        VariantRow& v = VariantOf(d.variants, Text(st, 0), Text(st, 1));
        const std::string rows = "the cases of " + v.engine + "/" + v.variant;
        const Result<CrashKind> kind = Word(st, 2, ParseCrashKind, "crash kind", rows);
        const Result<Verdict> verdict = Word(st, 4, ParseVerdict, "verdict", rows);
        if (!kind.ok()) return kind.status();
        if (!verdict.ok()) return verdict.status();
        ++v.cases;
        v.violations += sqlite3_column_int64(st, 5);
        ++v.verdicts[*verdict];
        ++v.by_fault[FaultKind(*kind, Text(st, 3))][*verdict];
        const auto key = std::make_pair(v.engine, v.variant);
        // A hang or a protocol error times a deadline or an abort, not a recovery.
        if (!IsEngineFault(*verdict)) {
          recovery[key].push_back(sqlite3_column_double(st, 6));
        }
        auto& sum = sums[key];
        const std::string plan = Text(st, 3);
        if (plan.rfind("kill ", 0) == 0 && sqlite3_column_double(st, 8) > 0) {
          sum[0] += static_cast<double>(sqlite3_column_int64(st, 7));
          sum[1] += sqlite3_column_double(st, 8);
        }
        if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
          sum[2] += static_cast<double>(sqlite3_column_int64(st, 9));
          sum[3] += static_cast<double>(sqlite3_column_int64(st, 10));
          sum[4] += static_cast<double>(sqlite3_column_int64(st, 11));
        }
        return Status::Ok();
      });
  if (!s.ok()) return s;
  for (VariantRow& v : d.variants) {
    const auto key = std::make_pair(v.engine, v.variant);
    std::vector<double>& times = recovery[key];
    std::sort(times.begin(), times.end());
    v.recovery_median_ms = Percentile(times, 0.5);
    v.recovery_p99_ms = Percentile(times, 0.99);
    const auto& sum = sums[key];
    if (sum[1] > 0) v.commits_per_s = sum[0] / (sum[1] / 1000);
    if (sum[4] > 0) {
      v.syncs_per_txn = sum[2] / sum[4];
      v.bytes_per_txn = sum[3] / sum[4];
    }
  }
  // Time to the first violation: from the campaign's start to the moment
  // the first violating case of the variant was recorded.
  return ForEachRow(
      db,
      "SELECT c.engine, c.variant, min((julianday(c.recorded_at) - julianday(k.started_at)) * "
      "86400.0) FROM cases c JOIN campaigns k ON k.id = c.campaign_id WHERE c.violation = 1 AND " +
          filter + " GROUP BY 1, 2",
      [&](sqlite3_stmt* st) {
        VariantOf(d.variants, Text(st, 0), Text(st, 1)).first_violation_s =
            std::max(0.0, sqlite3_column_double(st, 2));
      });
}

Status LoadFailures(sqlite3* db, const std::string& filter, ReportData& d, ResultsStore& store) {
  std::vector<int64_t> campaigns;
  Status s =
      ForEachRow(db,
                 "SELECT DISTINCT c.campaign_id FROM failures f JOIN cases c ON c.id = "
                 "f.case_id WHERE " +
                     filter + " ORDER BY 1",
                 [&](sqlite3_stmt* st) { campaigns.push_back(sqlite3_column_int64(st, 0)); });
  if (!s.ok()) return s;
  for (int64_t campaign : campaigns) {
    Result<std::vector<CaseRecord>> failed = store.Failures(campaign);
    if (!failed.ok()) return failed.status();
    for (CaseRecord& c : *failed) {
      FailureRow row;
      row.id = c.failure->id;
      Result<std::vector<int64_t>> shrunk = store.ShrunkFrom(row.id);
      if (!shrunk.ok()) return shrunk.status();
      row.shrunk_to = std::move(*shrunk);
      row.c = std::move(c);
      d.failures.push_back(std::move(row));
    }
  }
  std::sort(d.failures.begin(), d.failures.end(),
            [](const FailureRow& a, const FailureRow& b) { return a.id < b.id; });
  return Status::Ok();
}

Status LoadTrends(sqlite3* db, const std::string& filter, ReportData& d) {
  return ForEachRow(db,
                    "SELECT substr(k.started_at, 1, 10), c.engine, count(*), sum(c.violation), "
                    "sum(CASE WHEN c.crash_plan LIKE 'kill %' THEN c.txns_acked ELSE 0 END), "
                    "sum(CASE WHEN c.crash_plan LIKE 'kill %' THEN c.workload_ms ELSE 0 END) "
                    "FROM cases c JOIN campaigns k ON k.id = c.campaign_id WHERE " +
                        filter + " GROUP BY 1, 2 ORDER BY 1, 2",
                    [&](sqlite3_stmt* s) {
                      TrendRow r;
                      r.night = Text(s, 0);
                      r.engine = Text(s, 1);
                      r.cases = sqlite3_column_int64(s, 2);
                      r.violations = sqlite3_column_int64(s, 3);
                      const double ms = sqlite3_column_double(s, 5);
                      if (ms > 0)
                        r.commits_per_s =
                            static_cast<double>(sqlite3_column_int64(s, 4)) / (ms / 1000);
                      d.trends.push_back(std::move(r));
                    });
}

}  // namespace

std::string FaultKind(CrashKind crash_kind, const std::string& crash_plan) {
  const bool explored = crash_plan.rfind("explore ", 0) == 0;
  if (crash_kind == CrashKind::kPowerLoss) return explored ? "explored power loss" : "power loss";
  if (explored) return "explored kill";
  if (crash_plan.rfind("kill point=", 0) == 0) {
    const std::string point = crash_plan.substr(11, crash_plan.find(" hit=") - 11);
    return "kill at " + point;
  }
  if (crash_plan.rfind("live ", 0) == 0) return "live kill";
  return "timed kill";
}

double Percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return -1;
  const auto rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

Result<ReportData> LoadReportData(const std::string& db_path,
                                  const std::vector<int64_t>& campaign_ids) {
  // Validates (and migrates) the file first: a report reads the newest schema.
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(db_path, ExistingStore());
  if (!store.ok()) return store.status();
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    const std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close_v2(raw);
    return Status::Error("cannot read " + db_path + ": " + message);
  }
  Db db(raw);
  sqlite3_busy_timeout(raw, 10000);
  ReportData d;
  d.db_path = db_path;
  for (int64_t id : campaign_ids) {
    bool found = false;
    Status s = ForEachRow(raw, "SELECT 1 FROM campaigns WHERE id = " + std::to_string(id),
                          [&](sqlite3_stmt*) { found = true; });
    if (!s.ok()) return s;
    if (!found) {
      return Status::Error(
          fmt::format("{} holds no campaign {}: `crashlab failures --db {}` and "
                      "the campaigns table list what it holds",
                      db_path, id, db_path));
    }
  }
  const std::string on_cases = CampaignFilter(campaign_ids, "c.campaign_id");
  if (Status s = LoadCampaigns(raw, CampaignFilter(campaign_ids, "k.id"), d); !s.ok()) return s;
  if (Status s = LoadCells(raw, on_cases, d); !s.ok()) return s;
  if (Status s = LoadVariants(raw, on_cases, d); !s.ok()) return s;
  if (Status s = LoadFailures(raw, on_cases, d, **store); !s.ok()) return s;
  if (Status s = LoadTrends(raw, on_cases, d); !s.ok()) return s;
  return d;
}

}  // namespace crashlab::report
