// The report's failures: a sortable list of them all, then a section per
// failure told in full — verdict, signature, contract, the repro command, the shrunk
// case, the expected-versus-recovered difference, the engine's stderr and
// the I/O timeline around the crash point.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "faults/crash_state.h"
#include "faults/trace_file.h"
#include "framework/base/shell_words.h"
#include "framework/base/vocabulary.h"
#include "framework/plan/crash_plan.h"
#include "framework/store/signature.h"
#include "reports/html.h"
#include "reports/report.h"
#include "reports/timeline.h"

namespace crashlab::report {
namespace {

std::string Link(int64_t failure) {
  return fmt::format("<a href=\"#failure-{0}\">{0}</a>", failure);
}

// Which failures get a section: every one a shrink made or started from,
// then the first of each (engine, variant, crash kind, signature): one per
// bug, then the rest in order, up to `pages`.
std::set<int64_t> Told(const ReportData& d, int pages) {
  std::set<int64_t> told;
  auto add = [&](int64_t id) {
    if (static_cast<int>(told.size()) < pages) told.insert(id);
  };
  for (const FailureRow& f : d.failures) {
    if (f.c.failure->shrunk_from != 0 || !f.shrunk_to.empty()) add(f.id);
  }
  std::set<std::string> seen;
  for (const FailureRow& f : d.failures) {
    const std::string key = f.c.engine + "/" + f.c.variant + "/" +
                            std::string(Name(f.c.crash_kind)) + "/" + SignatureOf(f.c).Text();
    if (seen.insert(key).second) add(f.id);
  }
  for (const FailureRow& f : d.failures) add(f.id);
  return told;
}

// The timeline of a failure with a stored trace, or a sentence saying why
// there is none.
std::string TimelineOf(const FailureRow& f, const CaseRecord& c) {
  if (!c.failure->damaged.empty()) {
    return "<p class=\"violated damaged\">Damaged: " + Escape(c.failure->damaged) +
           ". The rest of this failure is as recorded; <code>crashlab repro --rerun</code> runs "
           "its workload again.</p>";
  }
  if (c.failure->trace.empty()) {
    return "<p class=\"muted\">No trace is stored for this failure (a real kill, or past the "
           "first 20 failures of its variant in a campaign), so there is no timeline; "
           "<code>crashlab repro</code> reruns it.</p>";
  }
  Result<faults::Trace> trace = faults::ParseTrace(c.failure->trace, "the stored trace");
  Result<TracedPlan> plan =
      trace.ok() ? ParseTracedPlan(c.crash_plan, c.crash_kind) : trace.status();
  if (!plan.ok()) {
    return "<p class=\"muted\">No timeline: " + Escape(plan.status().message()) + "</p>";
  }
  TimelineOptions o;
  o.crash_point = plan->plan.event;
  faults::CrashReport report;
  if (plan->crash == CrashKind::kPowerLoss) {
    Result<faults::CrashReport> described = faults::DescribePowerLoss(*trace, plan->plan, "");
    if (described.ok()) {
      report = std::move(*described);
      o.power_loss = &report;
    }
  }
  return "<h4>I/O around the crash point</h4><div class=\"scroll\">" +
         Timeline(fmt::format("timeline-{}", f.id), *trace, o) + "</div>";
}

std::string FailurePage(const FailureRow& f, const CaseRecord& c, const std::string& db) {
  std::string html = fmt::format(
      "<section class=\"failure\" id=\"failure-{0}\"><h3>Failure {0}: {1}/{2}, {3} under a "
      "{4} contract: <span class=\"violated\">{5}</span></h3>",
      f.id, Escape(c.engine), Escape(c.variant), Escape(Name(c.crash_kind)),
      Escape(Name(c.contract)), Escape(Name(c.verdict)));
  html += fmt::format(
      "<p>{}</p><p class=\"signature\">Signature (what shrinking keeps): <code>{}</code></p>"
      "<p>Campaign {}, seed {}, case {}; {} transactions sent, {} acknowledged before "
      "the crash. Plan: <code>{}</code></p>",
      Escape(c.details), Escape(SignatureOf(c).Text()), c.campaign_id, c.seed, c.case_index,
      c.txns_sent, c.txns_acked, Escape(c.crash_plan));
  html += fmt::format(
      "<p>Reproduce it:</p><pre class=\"repro\">crashlab repro {0} --db {1}\ncrashlab explain "
      "{0} --db {1}</pre>",
      f.id, Escape(ShellWord(db)));
  if (c.failure->shrunk_from != 0) {
    html += "<p>Shrunk from failure " + Link(c.failure->shrunk_from) + ".</p>";
  }
  if (!f.shrunk_to.empty()) {
    std::string links;
    for (int64_t id : f.shrunk_to) links += (links.empty() ? "" : ", ") + Link(id);
    html += "<p class=\"shrunk\">Shrunk case: failure " + links + ".</p>";
  } else if (c.failure->shrunk_from == 0) {
    html += fmt::format(
        "<p class=\"muted\">Not shrunk yet: <code>crashlab shrink {} --db {}</code></p>", f.id,
        Escape(ShellWord(db)));
  }
  if (!c.failure->difference.empty()) {
    html += "<h4>Expected versus recovered</h4><pre class=\"difference\">" +
            Escape(c.failure->difference) + "</pre>";
  }
  html += TimelineOf(f, c);
  if (!c.failure->engine_stderr.empty()) {
    html += "<h4>Engine stderr</h4><pre class=\"stderr\">" + Escape(c.failure->engine_stderr) +
            "</pre>";
  }
  return html + "</section>\n";
}

}  // namespace

Result<std::string> FailuresSection(const ReportData& d, ResultsStore& store, int pages) {
  std::string html = "<h2 id=\"failures\">Failures</h2>";
  if (d.failures.empty()) return html + "<p>No failures: every contract held.</p>";
  const std::set<int64_t> told = Told(d, pages);
  Table t;
  t.id = "failure-list";
  t.headers = {"id", "engine/variant", "crash", "contract", "verdict", "sent", "acked", "shrunk"};
  constexpr std::size_t kListed = 1000;
  for (std::size_t i = 0; i < d.failures.size() && i < kListed; ++i) {
    const FailureRow& f = d.failures[i];
    std::string shrunk;
    for (int64_t id : f.shrunk_to) shrunk += (shrunk.empty() ? "to " : ", ") + Link(id);
    if (f.c.failure->shrunk_from != 0) shrunk = "from " + Link(f.c.failure->shrunk_from);
    t.rows.push_back(
        {Cell{told.count(f.id) ? Link(f.id) : std::to_string(f.id), std::to_string(f.id), "num"},
         TextCell(f.c.engine + "/" + f.c.variant), TextCell(Name(f.c.crash_kind)),
         TextCell(Name(f.c.contract)), TextCell(Name(f.c.verdict), "violated"),
         NumberCell(static_cast<double>(f.c.txns_sent)),
         NumberCell(static_cast<double>(f.c.txns_acked)), Cell{shrunk, "", ""}});
  }
  html += fmt::format(
      "<p>{} failure(s); {} told in full below{}.</p>", d.failures.size(), told.size(),
      d.failures.size() > kListed ? fmt::format(" (the list shows the first {})", kListed) : "");
  html += RenderTable(t);
  for (const FailureRow& f : d.failures) {
    if (!told.count(f.id)) continue;
    Result<std::optional<StoredFailure>> full = store.FindFailure(f.id);
    if (!full.ok()) return full.status();
    if (!full->has_value()) continue;
    html += FailurePage(f, (*full)->c, d.db_path);
  }
  return html;
}

}  // namespace crashlab::report
