// What a report shows, read from a results database: campaigns, the
// variants × crash kind matrix, the variants compared side by side, the
// failures, and the trend per night. Only reads; the database is opened
// (and migrated, if older) through ResultsStore first.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "framework/base/status.h"
#include "framework/base/vocabulary.h"
#include "framework/store/results_store.h"

namespace crashlab::report {

struct CampaignRow {
  int64_t id = 0;
  std::string started_at, finished_at, status, command_line, engine, variants, crash_kind, host;
  std::string shard;
  int64_t cases = 0, violations = 0;
  double seconds = -1;  // finished - started; -1 while running
};

using VerdictCounts = std::map<Verdict, int64_t>;  // cases per verdict, in the table's order

// One (engine, variant, crash kind) cell of the matrix.
struct CellRow {
  std::string engine, variant;
  CrashKind crash_kind = CrashKind::kKill;
  Contract contract = Contract::kDurable;
  int64_t cases = 0, violations = 0;
  VerdictCounts verdicts;
};

// One variant, side by side with the others. A figure that no case
// measured is negative.
struct VariantRow {
  std::string engine, variant;
  int64_t cases = 0, violations = 0;
  VerdictCounts verdicts;
  // Verdicts by the kind of fault: "timed kill", "kill at <point>", "power
  // loss", "explored kill", "explored power loss".
  std::map<std::string, VerdictCounts> by_fault;
  double first_violation_s = -1;  // from its campaign's start, the earliest
  double recovery_median_ms = -1, recovery_p99_ms = -1;
  double commits_per_s = -1;  // acknowledged transactions per second of workload (kills)
  double syncs_per_txn = -1;  // from traced runs, up to each crash point
  double bytes_per_txn = -1;  // bytes written, likewise
};

struct FailureRow {
  int64_t id = 0;
  CaseRecord c;                    // artifacts not loaded
  std::vector<int64_t> shrunk_to;  // failures shrunk from this one
};

// Per night (the UTC date a campaign started) and engine.
struct TrendRow {
  std::string night, engine;
  int64_t cases = 0, violations = 0;
  double commits_per_s = -1;
};

struct ReportData {
  std::string db_path;
  std::vector<CampaignRow> campaigns;
  std::vector<CellRow> cells;
  std::vector<VariantRow> variants;
  std::vector<FailureRow> failures;
  std::vector<TrendRow> trends;
};

// Reads `db_path`, restricted to `campaign_ids` (every campaign when empty).
// Errors: the database cannot be opened (ResultsStore::Open's errors), an
// unknown campaign id, a case row holding a word outside the vocabulary,
// database errors.
[[nodiscard]] Result<ReportData> LoadReportData(const std::string& db_path,
                                                const std::vector<int64_t>& campaign_ids);

// The kind of fault a case's crash plan describes (VariantRow::by_fault).
std::string FaultKind(CrashKind crash_kind, const std::string& crash_plan);

// The value below which `fraction` of `sorted` lies (nearest rank); -1 if empty.
double Percentile(const std::vector<double>& sorted, double fraction);

}  // namespace crashlab::report
