// `crashlab report`: one self-contained HTML file from a results database —
// overview, the variants × crash kind matrix, the variants side by side,
// a page (section) per failure with its I/O timeline, and trends per night.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/base/status.h"
#include "reports/report_data.h"

namespace crashlab::report {

struct ReportOptions {
  std::string db_path;
  std::vector<int64_t> campaigns;  // empty: every campaign
  std::string generated_at;        // shown in the header (UTC ISO-8601)
  int failure_pages = 40;          // failures told in full; the rest are listed
};

// The report's HTML. Errors: the database (LoadReportData's errors).
[[nodiscard]] Result<std::string> RenderReport(const ReportOptions& options);

// The sections, for tests and for RenderReport.
std::string OverviewSection(const ReportData& d);
std::string MatrixSection(const ReportData& d);
std::string VariantsSection(const ReportData& d);
std::string TrendsSection(const ReportData& d);
// Loads the artifacts of the failures it tells in full through `store`.
[[nodiscard]] Result<std::string> FailuresSection(const ReportData& d, ResultsStore& store,
                                                  int pages);

}  // namespace crashlab::report
