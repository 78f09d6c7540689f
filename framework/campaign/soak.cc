#include "framework/campaign/soak.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>

#include <fmt/format.h>

#include "framework/base/prng.h"
#include "framework/campaign/soak_cases.h"
#include "framework/campaign/soak_setup.h"
#include "framework/engine/interrupt.h"

namespace crashlab {
namespace {

namespace fs = std::filesystem;
using soak_internal::FailSoak;
using soak_internal::SoakRun;
using std::chrono::milliseconds;

// The rotation order's stream of the seed, apart from the cases' own streams
// (prng.h), so that the order never shifts what a case draws.
constexpr uint64_t kSoakOrderStream = 101;

// Removes every empty directory under `dir` (not `dir` itself), deepest first.
void RemoveEmptyDirectories(const fs::path& dir) {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory(ec) || entry.is_symlink(ec)) continue;
    RemoveEmptyDirectories(entry.path());
    if (fs::is_empty(entry.path(), ec)) fs::remove(entry.path(), ec);
  }
}

// The header: what the soak covers, its budget (on a resume, what is left of
// it), its shard, and the controller's footprint at start, which it records
// in the summary.
void PrintSoakHeader(SoakRun& run, std::FILE* out) {
  const SoakOptions& o = run.options;
  SoakSummary& summary = run.summary;
  const milliseconds budget = o.duration;
  fmt::print(out,
             "soak {}{}: {} engine(s), {} slot(s) (variant x shape short,long), crash {}, seed "
             "{}, {}\n",
             summary.soak_id, run.resumed ? " resumed" : "", o.engines.size(), run.slots.size(),
             CrashKindsName(o.base.crashes), o.base.seed,
             run.resumed ? fmt::format("{} of {} left ({} cases recorded)",
                                       FormatDuration(budget - summary.elapsed),
                                       FormatDuration(budget), summary.cases)
                         : FormatDuration(budget));
  if (o.base.shard_count > 1) {
    fmt::print(out, "shard {}/{}: case indexes {} modulo {} only\n", o.base.shard_index,
               o.base.shard_count, o.base.shard_index, o.base.shard_count);
  }
  summary.usage_start = ReadProcessUsage();
  fmt::print(out, "controller at start: {}\n", FormatUsage(summary.usage_start));
  std::fflush(out);
}

// After the last case: writes the time spent, then marks the campaigns and
// the soak finished, or interrupted after a signal. Errors: the database;
// one before the soak's own row is written also marks the soak and its
// campaigns interrupted (FailSoak).
Status RecordSoakEnd(SoakRun& run, milliseconds elapsed_here) {
  SoakSummary& summary = run.summary;
  if (summary.interrupted_by == 0 && InterruptSignal() != 0)
    summary.interrupted_by = InterruptSignal();
  summary.elapsed_here = elapsed_here;
  summary.elapsed += summary.elapsed_here;
  const std::string status = summary.interrupted_by != 0 ? "interrupted" : "finished";
  if (Status st = run.store.SetSoakElapsed(summary.soak_id, summary.elapsed.count()); !st.ok()) {
    return FailSoak(run, st);
  }
  for (const soak_internal::Campaign& c : run.campaigns) {
    if (Status st = run.store.FinishCampaign(c.id, status); !st.ok()) return FailSoak(run, st);
  }
  return run.store.FinishSoak(summary.soak_id, status);
}

// Passing cases are gone already; what remains is failing cases (of this
// run or, on a resume, of earlier ones) and the directories above them.
void KeepOnlyFailingCases(SoakRun& run) {
  std::error_code ec;
  RemoveEmptyDirectories(run.workdir);
  if (!fs::is_empty(run.workdir, ec)) {
    run.summary.kept_workdir = run.workdir;
  } else if (run.options.base.workdir.empty()) {
    fs::remove(run.workdir, ec);
  }
}

}  // namespace

std::string SoakSettings(const SoakOptions& o) {
  std::string text;
  for (const SoakEngine& e : o.engines) {
    std::string variants;
    for (const std::string& v : e.variants) variants += (variants.empty() ? "" : ",") + v;
    text += fmt::format("engine {}: {}\n", e.spec.name, variants);
  }
  std::string shapes;
  for (const SoakShape& s : kSoakShapes) {
    shapes += fmt::format("{}{}={}", shapes.empty() ? "" : ",", s.name, s.txns);
  }
  text += fmt::format("shapes {}\ncrash {}\nseed {}\nduration {}s\ndeadline {}ms\n", shapes,
                      CrashKindsName(o.base.crashes), o.base.seed, o.duration.count(),
                      o.base.deadline.count());
  if (o.base.Traced()) {
    text += fmt::format("profile {}\natomic-unit {}\n", faults::ProfileName(o.base.profile),
                        o.base.atomic_unit);
  }
  text += fmt::format("shard {}/{}\n", o.base.shard_index, o.base.shard_count);
  return text;
}

SoakRotation::SoakRotation(std::size_t slots, uint64_t seed) : order_(slots), cases_(slots, 0) {
  for (std::size_t i = 0; i < slots; ++i) order_[i] = i;
  Prng prng = Prng::ForCase(seed, kSoakOrderStream, 0);
  for (std::size_t i = slots; i > 1; --i) std::swap(order_[i - 1], order_[prng.Below(i)]);
}

std::size_t SoakRotation::Next() const {
  std::size_t best = order_.front();
  for (std::size_t slot : order_) {
    if (cases_[slot] < cases_[best]) best = slot;
  }
  return best;
}

Result<SoakSummary> RunSoak(const SoakOptions& o, std::FILE* out) {
  Result<std::unique_ptr<ResultsStore>> opened = ResultsStore::Open(o.base.db_path);
  if (!opened.ok()) return opened.status();
  SoakRun run(o, **opened);
  if (Status s = soak_internal::OpenSoakRow(run); !s.ok()) return s;
  // From here on a setup failure leaves what was recorded and marks the soak
  // and its campaigns interrupted, so that a resume can pick it up.
  if (Status s = soak_internal::SetUpSoak(run); !s.ok()) return FailSoak(run, s);

  // What earlier runs recorded: the tallies, each slot's count and next case.
  SoakRotation rotation(run.slots.size(), o.base.seed);
  if (run.resumed) {
    if (Status s = soak_internal::RestoreResumedCounts(run, rotation); !s.ok()) {
      return FailSoak(run, s);
    }
  }

  PrintSoakHeader(run, out);
  SoakProgress progress(out, o.progress_in_place, o.duration, run.summary.elapsed);
  soak_internal::SoakCaseLoop cases(run, rotation, progress);
  if (Status s = cases.Run(); !s.ok()) return FailSoak(run, s);
  progress.Finish();
  if (Status s = RecordSoakEnd(run, cases.Here()); !s.ok()) return s;
  KeepOnlyFailingCases(run);
  run.summary.usage_end = ReadProcessUsage();
  return std::move(run.summary);
}

std::string FormatSoakSummary(const SoakSummary& s) {
  // The columns of `crashlab run`'s tally lines, the name column as wide as
  // the longest "engine/variant (crash)".
  std::size_t width = 0;
  for (const VariantTally& t : s.tallies) {
    width = std::max(width, t.variant.size() + Name(t.crash).size() + 3);
  }
  std::string text;
  for (const VariantTally& t : s.tallies) {
    std::string verdicts;
    for (const auto& [verdict, count] : t.verdicts) {
      verdicts += fmt::format("{}{} {}", verdicts.empty() ? "" : ", ", Name(verdict), count);
    }
    text += fmt::format("{:<{}} {:>6} cases  contract {:<8} {:<40} {}\n",
                        fmt::format("{} ({})", t.variant, Name(t.crash)), width, t.cases,
                        Name(t.contract), verdicts,
                        t.violations == 0 ? "held" : fmt::format("VIOLATED {}x", t.violations));
  }
  const double seconds = static_cast<double>(s.elapsed_here.count()) / 1000;
  text += fmt::format(
      "{} cases ({} in this run, {:.1f} crash states/s), {} violation(s), in {} of soak time\n",
      s.cases, s.cases_here, seconds > 0 ? static_cast<double>(s.cases_here) / seconds : 0.0,
      s.violations, FormatDuration(s.elapsed));
  return text;
}

}  // namespace crashlab
