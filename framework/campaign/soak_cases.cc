#include "framework/campaign/soak_cases.h"

#include <malloc.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "faults/block/file_system.h"
#include "framework/engine/interrupt.h"

namespace crashlab::soak_internal {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// As in `crashlab run`, the first kTracesKeptPerTally failures of each
// engine, variant and crash kind keep their traces (campaign.h).
// How often the time spent is written to the soaks row: a killed controller
// loses at most this much of its accounting, and a resume gets it back.
constexpr milliseconds kElapsedEvery{1000};

}  // namespace

SoakCaseLoop::SoakCaseLoop(SoakRun& run, SoakRotation& rotation, SoakProgress& progress)
    : run_(run),
      rotation_(rotation),
      progress_(progress),
      elapsed_before_(run.summary.elapsed),
      start_(Clock::now()),
      saved_(Here()) {}

milliseconds SoakCaseLoop::Here() const {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start_);
}

Status SoakCaseLoop::Run() {
  const milliseconds budget = run_.options.duration;
  while (elapsed_before_ + Here() < budget) {
    if (Status s = RunNextCase(); !s.ok()) return s;
    // A 100-transaction power-loss case holds a trace of several MB, and
    // glibc keeps freed heap: without this the controller's resident memory
    // would sit at the largest case's high-water mark for the rest of an
    // 8-hour soak, hiding a real leak behind it.
    malloc_trim(0);
    if (run_.summary.interrupted_by != 0) break;
    if (Status s = SaveElapsedWhenDue(); !s.ok()) return s;
    const SoakSummary& summary = run_.summary;
    progress_.Update(Here(), {summary.cases, summary.cases_here, summary.violations});
  }
  return Status::Ok();
}

Status SoakCaseLoop::RunNextCase() {
  const std::size_t s = rotation_.Next();
  const Slot& slot = run_.slots[s];
  const int64_t i = slot.next_index;
  const std::string case_dir = (slot.dir / fmt::format("case-{}", i)).string();
  std::error_code ec;
  // Left by a killed controller: never recorded (and, from the block-level
  // recorder, perhaps still mounted).
  faults::UnmountEverythingUnder(case_dir);
  fs::remove_all(case_dir, ec);
  fs::create_directories(slot.dir, ec);
  Result<CaseOutcome> result =
      RunOneCase(run_.campaigns[slot.campaign].options, *slot.variant, slot.points, i, case_dir);
  if (InterruptSignal() != 0) {
    // Cut short by crashlab's own interruption: its verdict would be false.
    fs::remove_all(case_dir, ec);
    run_.summary.interrupted_by = InterruptSignal();
    return Status::Ok();
  }
  if (!result.ok()) return result.status();
  return RecordCase(s, *result, case_dir);
}

Status SoakCaseLoop::RecordCase(std::size_t s, CaseOutcome& outcome, const std::string& case_dir) {
  Slot& slot = run_.slots[s];
  const Campaign& campaign = run_.campaigns[slot.campaign];
  const int64_t i = slot.next_index;
  CaseRecord& record = outcome.record;
  record.campaign_id = campaign.id;
  VariantTally& tally = TallyOf(slot, campaign.options.CrashOfCase(i));
  // Artifacts (a trace, crash files) for the first failures of a tally only:
  // the rest replay by rerunning, and the database stays small.
  if (record.failure && tally.violations >= kTracesKeptPerTally) {
    record.failure->trace.clear();
    record.failure->crash_files.clear();
  }
  if (!record.violation) {
    // A passing case's directory goes before its row is written: a
    // controller killed between the two would otherwise leave the
    // directory of a recorded case, which no resume removes (it removes
    // only what no run recorded). Killed after this, the case is simply
    // unrecorded and runs again.
    std::error_code ec;
    fs::remove_all(case_dir, ec);
  }
  if (Status st = run_.store.RecordCase(record); !st.ok()) return st;
  rotation_.CountCase(s);
  slot.next_index += run_.options.base.shard_count;
  ++tally.cases;
  ++tally.verdicts[outcome.verdict];
  ++run_.summary.cases;
  ++run_.summary.cases_here;
  if (record.violation) {
    ++tally.violations;
    ++run_.summary.violations;
    ReportViolation(campaign, slot, i, record, case_dir);
  }
  return Status::Ok();
}

VariantTally& SoakCaseLoop::TallyOf(const Slot& slot, CrashKind crash) {
  const std::vector<CrashKind>& crashes = run_.options.base.crashes;
  const std::size_t k = std::find(crashes.begin(), crashes.end(), crash) - crashes.begin();
  return run_.summary.tallies[slot.first_tally + k];
}

void SoakCaseLoop::ReportViolation(const Campaign& campaign, const Slot& slot, int64_t i,
                                   const CaseRecord& record, const std::string& case_dir) {
  progress_.Print(fmt::format(
      "VIOLATION {}/{} case {}: {} ({} contract, {}) - {}\n  case dir: {}\n  repro: {}\n",
      campaign.options.engine.name, slot.variant->name, i, Name(record.verdict),
      Name(record.contract), record.crash_plan, record.details, case_dir,
      ReproCommand(campaign.options, slot.variant->name, i)));
}

Status SoakCaseLoop::SaveElapsedWhenDue() {
  if (Here() - saved_ < kElapsedEvery) return Status::Ok();
  saved_ = Here();
  return run_.store.SetSoakElapsed(run_.summary.soak_id, (elapsed_before_ + saved_).count());
}

}  // namespace crashlab::soak_internal
