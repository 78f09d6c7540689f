#include "reports/report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "framework/base/vocabulary.h"
#include "reports/html.h"
#include "reports/svg.h"

namespace crashlab::report {
namespace {

// A figure no case measured shows as a dash.
Cell Figure(double value, int decimals) {
  if (value < 0) return Cell{"&ndash;", "-1", "num muted"};
  return NumberCell(value, decimals);
}

// The verdicts any variant met, in the vocabulary table's order.
std::vector<Verdict> VerdictsSeen(const ReportData& d) {
  std::vector<Verdict> seen;
  for (const VerdictInfo& v : VerdictTable()) {
    for (const VariantRow& r : d.variants) {
      if (r.verdicts.count(v.verdict) &&
          std::find(seen.begin(), seen.end(), v.verdict) == seen.end()) {
        seen.push_back(v.verdict);
      }
    }
  }
  return seen;
}

int64_t Passed(const VerdictCounts& counts) {
  const auto it = counts.find(Verdict::kPass);
  return it == counts.end() ? 0 : it->second;
}

std::string VerdictList(const VerdictCounts& counts) {
  std::string text;
  for (const auto& [verdict, n] : counts) {
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", Name(verdict), n);
  }
  return text;
}

// A matrix cell: held (green), held with losses its contract allows
// (amber), or violated (red).
Cell MatrixCell(const CellRow& cell) {
  const int64_t passed = Passed(cell.verdicts);
  std::string css = "held", word = "held";
  if (cell.violations > 0) {
    css = "violated";
    word = fmt::format("VIOLATED {}/{}", cell.violations, cell.cases);
  } else if (passed < cell.cases) {
    css = "loss";
    word = "held, losses allowed";
  }
  return Cell{
      fmt::format("{} <span class=\"muted\">({}, {} cases: {})</span>", Escape(word),
                  Escape(Name(cell.contract)), cell.cases, Escape(VerdictList(cell.verdicts))),
      std::to_string(cell.violations), css};
}

}  // namespace

std::string OverviewSection(const ReportData& d) {
  std::set<std::string> engines, variants;
  int64_t cases = 0, violations = 0;
  for (const CellRow& c : d.cells) {
    engines.insert(c.engine);
    variants.insert(c.engine + "/" + c.variant);
    cases += c.cases;
    violations += c.violations;
  }
  std::string html = fmt::format(
      "<h2 id=\"overview\">Overview</h2><p class=\"summary\"><b>{}</b> campaign(s), <b>{}</b> "
      "engine(s), <b>{}</b> variant(s), <b>{}</b> case(s) (crash states), <b>{}</b> "
      "violation(s).</p>",
      d.campaigns.size(), engines.size(), variants.size(), cases, violations);
  Table t;
  t.id = "campaigns";
  t.headers = {"id",    "started (UTC)", "machine", "duration s", "engine", "variants",
               "crash", "status",        "cases",   "violations", "command"};
  for (const CampaignRow& c : d.campaigns) {
    t.rows.push_back(
        {NumberCell(static_cast<double>(c.id)), TextCell(c.started_at), TextCell(c.host),
         Figure(c.seconds, 1), TextCell(c.engine), TextCell(c.variants), TextCell(c.crash_kind),
         TextCell(c.status), NumberCell(static_cast<double>(c.cases)),
         NumberCell(static_cast<double>(c.violations), 0, c.violations > 0 ? "violated" : ""),
         Cell{"<code>" + Escape(c.command_line) + "</code>", "", ""}});
  }
  return html + RenderTable(t);
}

std::string MatrixSection(const ReportData& d) {
  std::vector<CrashKind> kinds;
  for (const CellRow& c : d.cells) {
    if (std::find(kinds.begin(), kinds.end(), c.crash_kind) == kinds.end()) {
      kinds.push_back(c.crash_kind);
    }
  }
  std::sort(kinds.begin(), kinds.end());
  Table t;
  t.id = "matrix";
  t.headers = {"engine/variant"};
  for (CrashKind kind : kinds) t.headers.emplace_back(Name(kind));
  std::string last;
  for (const CellRow& c : d.cells) {
    const std::string name = c.engine + "/" + c.variant;
    if (name != last) {
      t.rows.push_back({TextCell(name)});
      t.rows.back().resize(kinds.size() + 1, Cell{"<span class=\"muted\">not run</span>", "", ""});
      last = name;
    }
    const auto k = std::find(kinds.begin(), kinds.end(), c.crash_kind) - kinds.begin();
    t.rows.back()[static_cast<std::size_t>(k) + 1] = MatrixCell(c);
  }
  return "<h2 id=\"matrix-title\">Variants &times; crash kind</h2><p>Green: every case kept "
         "its contract; amber: the contract held, with the losses it allows; red: "
         "violated.</p>" +
         RenderTable(t);
}

std::string VariantsSection(const ReportData& d) {
  std::string html =
      "<h2 id=\"variants\">Variants side by side</h2><p>Recovery time is the restart, recovery "
      "and read-back of a crash state; commits/s counts acknowledged transactions per second of "
      "workload in kill cases (the engine uninstrumented); syncs and bytes per transaction come "
      "from the traced runs, up to each crash point.</p>";
  const std::vector<Verdict> verdicts = VerdictsSeen(d);
  Table t;
  t.id = "variant-comparison";
  t.headers = {"engine/variant", "cases", "violations"};
  for (Verdict verdict : verdicts) t.headers.emplace_back(Name(verdict));
  for (const char* h : {"first violation s", "recovery median ms", "recovery p99 ms", "syncs/txn",
                        "bytes/txn", "commits/s"}) {
    t.headers.push_back(h);
  }
  std::vector<Point> points;
  for (const VariantRow& v : d.variants) {
    std::vector<Cell> row = {
        TextCell(v.engine + "/" + v.variant), NumberCell(static_cast<double>(v.cases)),
        NumberCell(static_cast<double>(v.violations), 0, v.violations > 0 ? "violated" : "held")};
    for (Verdict verdict : verdicts) {
      row.push_back(
          NumberCell(static_cast<double>(v.verdicts.count(verdict) ? v.verdicts.at(verdict) : 0)));
    }
    row.push_back(Figure(v.first_violation_s, 2));
    row.push_back(Figure(v.recovery_median_ms, 1));
    row.push_back(Figure(v.recovery_p99_ms, 1));
    row.push_back(Figure(v.syncs_per_txn, 2));
    row.push_back(Figure(v.bytes_per_txn, 0));
    row.push_back(Figure(v.commits_per_s, 0));
    t.rows.push_back(std::move(row));
    if (v.syncs_per_txn >= 0 && v.cases > 0) {
      const int64_t passed = Passed(v.verdicts);
      points.push_back({v.variant, v.syncs_per_txn,
                        100.0 * static_cast<double>(passed) / static_cast<double>(v.cases),
                        v.violations > 0 ? "#cf222e" : "#1a7f37"});
    }
  }
  html += RenderTable(t);

  std::vector<Bar> bars;
  for (const CellRow& c : d.cells) {
    Bar bar{c.engine + "/" + c.variant + " " + std::string(Name(c.crash_kind)), {}};
    for (const auto& [verdict, n] : c.verdicts) bar.segments.push_back(VerdictSegment(verdict, n));
    bars.push_back(std::move(bar));
  }
  html += "<h3>Verdicts per variant and crash kind</h3><div class=\"scroll\">" +
          StackedBars("verdict-bars", bars) + "</div>";

  Table faults;
  faults.id = "verdicts-by-fault";
  faults.headers = {"engine/variant", "fault", "cases", "verdicts"};
  for (const VariantRow& v : d.variants) {
    for (const auto& [fault, counts] : v.by_fault) {
      int64_t n = 0;
      for (const auto& [verdict, k] : counts) n += k;
      faults.rows.push_back({TextCell(v.engine + "/" + v.variant), TextCell(fault),
                             NumberCell(static_cast<double>(n)), TextCell(VerdictList(counts))});
    }
  }
  html += "<h3>Verdicts by fault</h3>" + RenderTable(faults);
  html += "<h3>Durability against cost</h3>";
  if (points.empty()) {
    html +=
        "<p class=\"muted\">No traced cases (power loss, --live or explore): no syncs "
        "measured.</p>";
  } else {
    html +=
        "<p>Each variant's share of crash states recovered with nothing lost, against the "
        "syncs it issues per transaction.</p><div class=\"scroll\">" +
        Scatter("durability-cost", points, "syncs per transaction",
                "% of crash states that lost nothing") +
        "</div>";
  }
  return html;
}

std::string TrendsSection(const ReportData& d) {
  std::vector<std::string> nights, engines;
  for (const TrendRow& r : d.trends) {
    if (std::find(nights.begin(), nights.end(), r.night) == nights.end()) nights.push_back(r.night);
    if (std::find(engines.begin(), engines.end(), r.engine) == engines.end()) {
      engines.push_back(r.engine);
    }
  }
  std::string html = "<h2 id=\"trends\">Trends per night</h2>";
  const std::vector<std::string> palette = {"#0969da", "#cf222e", "#1a7f37",
                                            "#8250df", "#bc4c00", "#57606a"};
  std::vector<Series> violations, throughput;
  for (std::size_t e = 0; e < engines.size(); ++e) {
    Series v{engines[e], palette[e % palette.size()],
             std::vector<double>(nights.size(), std::numeric_limits<double>::quiet_NaN())};
    Series t = v;
    for (const TrendRow& r : d.trends) {
      if (r.engine != engines[e]) continue;
      const auto n = std::find(nights.begin(), nights.end(), r.night) - nights.begin();
      v.values[static_cast<std::size_t>(n)] = static_cast<double>(r.violations);
      if (r.commits_per_s >= 0) t.values[static_cast<std::size_t>(n)] = r.commits_per_s;
    }
    violations.push_back(std::move(v));
    throughput.push_back(std::move(t));
  }
  html += "<h3>Violations</h3><div class=\"scroll\">" +
          Lines("trend-violations", nights, violations, "violations") + "</div>";
  html += "<h3>Commit throughput (kill cases)</h3><div class=\"scroll\">" +
          Lines("trend-throughput", nights, throughput, "commits/s") + "</div>";
  Table t;
  t.id = "trends-table";
  t.headers = {"night", "engine", "cases", "violations", "commits/s"};
  for (const TrendRow& r : d.trends) {
    t.rows.push_back(
        {TextCell(r.night), TextCell(r.engine), NumberCell(static_cast<double>(r.cases)),
         NumberCell(static_cast<double>(r.violations), 0, r.violations > 0 ? "violated" : ""),
         Figure(r.commits_per_s, 0)});
  }
  return html + RenderTable(t);
}

Result<std::string> RenderReport(const ReportOptions& o) {
  Result<ReportData> d = LoadReportData(o.db_path, o.campaigns);
  if (!d.ok()) return d.status();
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(o.db_path, ExistingStore());
  if (!store.ok()) return store.status();
  Result<std::string> failures = FailuresSection(*d, **store, o.failure_pages);
  if (!failures.ok()) return failures.status();
  const std::string body =
      fmt::format(
          "<header><h1>crashlab report</h1><p class=\"muted\">{} &middot; generated {} by "
          "crashlab {}</p><nav><a href=\"#overview\">Overview</a><a "
          "href=\"#matrix-title\">Matrix</a><a href=\"#variants\">Variants</a><a "
          "href=\"#failures\">Failures</a><a href=\"#trends\">Trends</a></nav></header><main>",
          Escape(o.db_path), Escape(o.generated_at), CRASHLAB_VERSION) +
      OverviewSection(*d) + MatrixSection(*d) + VariantsSection(*d) + *failures +
      TrendsSection(*d) + "</main>";
  return Page("crashlab report: " + o.db_path, body);
}

}  // namespace crashlab::report
