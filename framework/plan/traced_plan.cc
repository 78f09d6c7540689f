#include "framework/plan/traced_plan.h"

#include <regex>

#include <fmt/format.h>

namespace crashlab {

Status ParseStoredPlan(const std::string& text, TracedPlan& r) {
  static const std::regex kPlan(
      "(live kill-at=(\\d+)( \\(run ended first\\))? )?"
      "(explore workload=(\\d+|stored) txns=(\\d+) )?"
      "(kill event=(\\d+)|power-loss event=(\\d+)/\\d+ profile=(\\S+) unit=(\\d+) "
      "seed=(\\d+)( keep=0x([0-9a-f]+)( tear=([NOZG]+)(@(\\d+))?)?)?)");
  std::smatch m;
  if (!std::regex_match(text, m, kPlan)) {
    return Status::Error("cannot read the stored crash plan \"" + text +
                         "\": it was written by another crashlab version");
  }
  r.live = m[1].matched;
  if (r.live) r.kill_at = std::stoull(m[2]);
  r.killed = r.live && !m[3].matched;
  r.explore = m[4].matched;
  if (r.explore) {
    r.explore_workload = m[5] == "stored" ? -1 : std::stoll(m[5]);
    r.explore_txns = std::stoull(m[6]);
  }
  if ((r.crash == CrashKind::kKill) != m[8].matched) {
    return Status::Error("the stored crash plan \"" + text + "\" is not a " +
                         std::string(Name(r.crash)) + " plan: pass the case's own --crash");
  }
  if (m[8].matched) {
    r.plan.event = std::stoull(m[8]);
    return Status::Ok();
  }
  Result<faults::Profile> profile = faults::ParseProfile(m[10].str());
  if (!profile.ok()) return profile.status();
  r.plan.event = std::stoull(m[9]);
  r.plan.profile = *profile;
  r.plan.atomic_unit = static_cast<uint32_t>(std::stoul(m[11]));
  r.plan.seed = std::stoull(m[12]);
  if (m[13].matched) {
    r.plan.choices = faults::PowerLossChoices{std::stoull(m[14], nullptr, 16), m[16].str()};
    if (m[18].matched) r.plan.choices->torn_event = std::stoull(m[18]);
  }
  return Status::Ok();
}

std::string TracedPlan::PlanText() const {
  std::string text;
  if (live) text = fmt::format("live kill-at={}{} ", kill_at, killed ? "" : " (run ended first)");
  if (explore) {
    text += fmt::format("explore workload={} txns={} ",
                        explore_workload < 0 ? "stored" : std::to_string(explore_workload),
                        explore_txns);
  }
  if (crash == CrashKind::kKill) return text + fmt::format("kill event={}", plan.event);
  text += fmt::format("power-loss event={}/{} profile={} unit={} seed={}", plan.event, trace_events,
                      faults::ProfileName(plan.profile), plan.atomic_unit, plan.seed);
  if (plan.choices) {
    text += fmt::format(" keep={:#x}", plan.choices->keep);
    if (!plan.choices->tear.empty()) text += " tear=" + plan.choices->tear;
    if (plan.choices->torn_event) text += fmt::format("@{}", *plan.choices->torn_event);
  }
  return text;
}

}  // namespace crashlab
