// The codec of crash plans (crash_plan.h): their text, written and read back.
// The reader walks the text token by token with std::from_chars, so a
// malformed or overlong number is an error value, never an exception.
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "framework/plan/crash_plan.h"

namespace crashlab {
namespace {

constexpr std::string_view kModelToken = " model=";

// A cursor over a plan text. Each method consumes what it reads and returns
// false, consuming nothing, when the text does not continue that way.
class PlanReader {
 public:
  explicit PlanReader(std::string_view text) : rest_(text) {}

  bool Literal(std::string_view s) {
    if (!rest_.starts_with(s)) return false;
    rest_.remove_prefix(s.size());
    return true;
  }

  // Unsigned digits (base 10 or 16), at least one, that fit in T.
  template <typename T>
  bool Number(T& value, int base = 10) {
    // from_chars takes a '-' for a signed T: a plan's numbers have no sign.
    if (rest_.empty() || rest_.front() == '-') return false;
    T parsed{};
    const auto [end, ec] = std::from_chars(rest_.data(), rest_.data() + rest_.size(), parsed, base);
    if (ec != std::errc() || end == rest_.data()) return false;
    value = parsed;
    rest_.remove_prefix(static_cast<std::size_t>(end - rest_.data()));
    return true;
  }

  // Up to the next space or the end; at least one byte.
  bool Word(std::string_view& word) {
    const std::size_t n = std::min(rest_.find(' '), rest_.size());
    if (n == 0) return false;
    word = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }

  bool Done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

// Splits `text` into the plan and its model version (kUnversionedModel
// without a token). False when the token is there but is not " model=N",
// N >= 1.
bool SplitModel(std::string_view text, std::string_view& plan, int& model) {
  const std::size_t at = text.rfind(kModelToken);
  plan = text;
  model = kUnversionedModel;
  if (at == std::string_view::npos) return true;
  PlanReader version(text.substr(at + kModelToken.size()));
  if (!version.Number(model) || !version.Done() || model < 1) return false;
  plan = text.substr(0, at);
  return true;
}

Status Unreadable(std::string_view text, std::string_view why) {
  return Status::Error(fmt::format(
      "cannot read the stored crash plan \"{}\": {}; no crashlab release writes such a plan, so "
      "the results database is damaged or was edited",
      text, why));
}

// The block-level part after "power-loss block=": FS point=C/N sector=U
// seed=S fates=F.
Status ReadBlockPowerLoss(PlanReader& in, std::string_view text, TracedPlan& p) {
  std::string_view fs_name, fates;
  if (!in.Word(fs_name) || !(p.block_fs = faults::FileSystemFromName(fs_name))) {
    return Unreadable(text, "expected 'block=ext4', 'block=xfs' or 'block=btrfs'");
  }
  if (!in.Literal(" point=") || !in.Number(p.plan.event) || !in.Literal("/") ||
      !in.Number(p.trace_events) || !in.Literal(" sector=") || !in.Number(p.plan.atomic_unit) ||
      p.plan.atomic_unit == 0 || !in.Literal(" seed=") || !in.Number(p.plan.seed) ||
      !in.Literal(" fates=") || !in.Word(fates)) {
    return Unreadable(text, "expected ' point=C/N sector=U seed=S fates=F' after the file system");
  }
  Result<faults::BlockCrashChoices> choices =
      faults::BlockCrashChoices::Parse(fates == "none" ? "" : std::string(fates));
  if (!choices.ok()) return Unreadable(text, choices.status().message());
  p.block_fates = std::move(*choices);
  return Status::Ok();
}

// The power-loss part after "power-loss ": event=C/N profile=P unit=U
// seed=S [keep=0xK [tear=UNITS][@E]].
Status ReadPowerLoss(PlanReader& in, std::string_view text, TracedPlan& p) {
  if (in.Literal("block=")) return ReadBlockPowerLoss(in, text, p);
  std::string_view profile_name;
  if (!in.Literal("event=") || !in.Number(p.plan.event) || !in.Literal("/") ||
      !in.Number(p.trace_events) || !in.Literal(" profile=") || !in.Word(profile_name)) {
    return Unreadable(text, "expected 'power-loss event=C/N profile=P'");
  }
  Result<faults::Profile> profile = faults::ParseProfile(std::string(profile_name));
  if (!profile.ok()) return Unreadable(text, profile.status().message());
  p.plan.profile = *profile;
  if (!in.Literal(" unit=") || !in.Number(p.plan.atomic_unit) || p.plan.atomic_unit == 0 ||
      !in.Literal(" seed=") || !in.Number(p.plan.seed)) {
    return Unreadable(text, "expected ' unit=U seed=S' (U from 1 to 2^32-1, S below 2^64)");
  }
  if (!in.Literal(" keep=")) return Status::Ok();
  faults::PowerLossChoices choices;
  if (!in.Literal("0x") || !in.Number(choices.keep, 16)) {
    return Unreadable(text, "expected ' keep=0x' and hexadecimal bits");
  }
  if (in.Literal(" tear=")) {
    std::string_view tear;
    if (!in.Word(tear)) return Unreadable(text, "expected the units of ' tear='");
    const std::size_t at = tear.find('@');
    choices.tear = std::string(tear.substr(0, at));
    if (choices.tear.empty() || choices.tear.find_first_not_of("NOZG") != std::string::npos) {
      return Unreadable(text, "a tear is one letter per unit: N, O, Z or G");
    }
    if (at != std::string_view::npos) {
      PlanReader event(tear.substr(at + 1));
      uint64_t torn = 0;
      if (!event.Number(torn) || !event.Done()) {
        return Unreadable(text, "expected the torn write's event after '@'");
      }
      choices.torn_event = torn;
    }
  }
  p.plan.choices = std::move(choices);
  return Status::Ok();
}

}  // namespace

std::string KillPlan::ToString() const {
  if (at_point()) return fmt::format("kill point={} hit={} model={}", point, hit, model);
  return fmt::format("kill txn={} delay_us={} model={}", txn, delay_us, model);
}

Result<KillPlan> KillPlan::Parse(std::string_view text) {
  const Status bad = Status::Error(fmt::format(
      "not a kill plan: '{}'; expected 'kill txn=N delay_us=N' or 'kill point=NAME hit=N', "
      "optionally followed by ' model=N'",
      text));
  KillPlan p;
  std::string_view body;
  if (!SplitModel(text, body, p.model)) return bad;
  PlanReader in(body);
  if (in.Literal("kill txn=")) {
    if (in.Number(p.txn) && in.Literal(" delay_us=") && in.Number(p.delay_us) && in.Done()) {
      return p;
    }
    return bad;
  }
  // A point name runs up to the last " hit=".
  constexpr std::string_view kPoint = "kill point=";
  const std::size_t hit_at = body.rfind(" hit=");
  if (!body.starts_with(kPoint) || hit_at == std::string_view::npos || hit_at <= kPoint.size()) {
    return bad;
  }
  PlanReader hit(body.substr(hit_at + 5));
  if (!hit.Number(p.hit) || !hit.Done() || p.hit <= 0) return bad;
  p.point = std::string(body.substr(kPoint.size(), hit_at - kPoint.size()));
  return p;
}

std::string TracedPlan::PlanText() const {
  std::string text;
  if (live) text = fmt::format("live kill-at={}{} ", kill_at, killed ? "" : " (run ended first)");
  if (explore) {
    text += fmt::format("explore workload={} txns={} ",
                        explore_workload < 0 ? "stored" : std::to_string(explore_workload),
                        explore_txns);
  }
  if (crash == CrashKind::kKill) {
    text += fmt::format("kill event={}", plan.event);
  } else if (block_fs) {
    const std::string fates = block_fates.ToString();
    text += fmt::format("power-loss block={} point={}/{} sector={} seed={} fates={}",
                        faults::FileSystemName(*block_fs), plan.event, trace_events,
                        plan.atomic_unit, plan.seed, fates.empty() ? "none" : fates);
  } else {
    text +=
        fmt::format("power-loss event={}/{} profile={} unit={} seed={}", plan.event, trace_events,
                    faults::ProfileName(plan.profile), plan.atomic_unit, plan.seed);
    if (plan.choices) {
      text += fmt::format(" keep={:#x}", plan.choices->keep);
      if (!plan.choices->tear.empty()) text += " tear=" + plan.choices->tear;
      if (plan.choices->torn_event) text += fmt::format("@{}", *plan.choices->torn_event);
    }
  }
  return text + fmt::format("{}{}", kModelToken, model);
}

bool operator==(const TracedPlan& a, const TracedPlan& b) {
  const faults::PowerLossPlan& x = a.plan;
  const faults::PowerLossPlan& y = b.plan;
  return a.crash == b.crash && a.live == b.live && a.explore == b.explore &&
         a.explore_workload == b.explore_workload && a.explore_txns == b.explore_txns &&
         a.trace_events == b.trace_events && a.kill_at == b.kill_at && a.killed == b.killed &&
         a.model == b.model && x.event == y.event && x.seed == y.seed &&
         x.atomic_unit == y.atomic_unit && x.profile == y.profile && x.choices == y.choices &&
         a.block_fs == b.block_fs && a.block_fates == b.block_fates;
}

Result<TracedPlan> ParseTracedPlan(std::string_view text, CrashKind crash) {
  TracedPlan p;
  std::string_view body;
  if (!SplitModel(text, body, p.model)) {
    return Unreadable(text, "expected ' model=N' (N from 1) at its end");
  }
  PlanReader in(body);
  if (in.Literal("live kill-at=")) {
    p.live = true;
    if (!in.Number(p.kill_at)) return Unreadable(text, "expected the event after 'kill-at='");
    p.killed = !in.Literal(" (run ended first)");
    if (!in.Literal(" ")) return Unreadable(text, "expected a crash after 'live kill-at=N'");
  }
  if (in.Literal("explore workload=")) {
    p.explore = true;
    if (in.Literal("stored")) {
      p.explore_workload = -1;
    } else if (!in.Number(p.explore_workload)) {
      return Unreadable(text, "expected a case index or 'stored' after 'workload='");
    }
    if (!in.Literal(" txns=") || !in.Number(p.explore_txns) || !in.Literal(" ")) {
      return Unreadable(text, "expected ' txns=N ' after the explored workload");
    }
  }
  if (in.Literal("kill event=")) {
    p.crash = CrashKind::kKill;
    if (!in.Number(p.plan.event)) return Unreadable(text, "expected the event after 'event='");
  } else if (in.Literal("power-loss ")) {
    p.crash = CrashKind::kPowerLoss;
    if (Status s = ReadPowerLoss(in, text, p); !s.ok()) return s;
  } else {
    return Unreadable(text, "expected 'kill event=' or 'power-loss '");
  }
  if (!in.Done()) return Unreadable(text, "unexpected bytes after the plan");
  if (p.crash != crash) {
    return Status::Error(
        fmt::format("the stored crash plan \"{}\" is not a {} plan: pass the case's own --crash",
                    text, Name(crash)));
  }
  return p;
}

Result<int> ModelVersionOf(std::string_view text) {
  std::string_view body;
  int model = kUnversionedModel;
  if (!SplitModel(text, body, model)) {
    return Unreadable(text, "expected ' model=N' (N from 1) at its end");
  }
  return model;
}

std::string_view WithoutModelToken(std::string_view text) {
  std::string_view body;
  int model = 0;
  return SplitModel(text, body, model) ? body : text;
}

}  // namespace crashlab
