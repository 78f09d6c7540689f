#include "framework/campaign/campaign.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "framework/base/shell_words.h"
#include "framework/campaign/campaign_info.h"
#include "framework/case/case_steps.h"
#include "framework/engine/interrupt.h"

namespace crashlab {
namespace {

namespace fs = std::filesystem;

// One line per variant (and crash kind, when the campaign mixes them).
std::string Tally(const VariantTally& t, bool name_crash) {
  std::string verdicts;
  for (const auto& [verdict, count] : t.verdicts) {
    verdicts += fmt::format("{}{} {}", verdicts.empty() ? "" : ", ", Name(verdict), count);
  }
  const std::string name =
      name_crash ? fmt::format("{} ({})", t.variant, Name(t.crash)) : t.variant;
  return fmt::format("{:<{}} {:>5} cases  contract {:<8} {:<40} {}", name, name_crash ? 40 : 28,
                     t.cases, Name(t.contract), verdicts,
                     t.violations == 0 ? "held" : fmt::format("VIOLATED {}x", t.violations));
}

// A case that ran out of space judged how the engine handles ENOSPC, not how
// it recovers from a crash: an error, so that no verdict of it is recorded.
// The traced run says so itself (faults::kNoSpaceSuffix); this also covers
// the untraced runs (a kill case, every recovery).
Status RoomLeftAfterCase(const std::string& case_dir, const std::string& what) {
  const std::optional<uint64_t> free_bytes = FreeBytes(case_dir);
  if (!free_bytes || *free_bytes >= kFullBelowBytes) return Status::Ok();  // or the case removed it
  return Status::Error(fmt::format(
      "the file system of {} was full after {} ({} KiB free, below crashlab's {} KiB): the "
      "case's verdict would judge how the engine copes with a full disk, not its recovery, so it "
      "was not recorded; it needs more than the {} KiB it holds: free space there or give "
      "--workdir a file system with room",
      case_dir, what, *free_bytes / 1024, kFullBelowBytes / 1024,
      (DiskFootprint(case_dir) + 1023) / 1024));
}

}  // namespace

Status RoomForNextCase(const std::string& dir, uint64_t largest_footprint) {
  const std::optional<uint64_t> free_bytes = FreeBytes(dir);
  if (!free_bytes) return Status::Ok();  // the case itself will say what is wrong with `dir`
  const uint64_t needed = std::max(2 * largest_footprint, kFullBelowBytes);
  if (*free_bytes >= needed) return Status::Ok();
  return Status::Error(fmt::format(
      "the file system of {} has {} KiB free, and a case needs about {} KiB ({}): a case that "
      "ran out of space would judge how the engine copes with a full disk, not its recovery, so "
      "crashlab stops before it; free space there or give --workdir a file system with room",
      dir, *free_bytes / 1024, (needed + 1023) / 1024,
      needed > kFullBelowBytes
          ? fmt::format("twice the {} KiB of the largest case directory so far",
                        (largest_footprint + 1023) / 1024)
          : "crashlab's minimum"));
}

Result<std::string> MemoryWorkdir(const std::string& what) {
  std::error_code ec;
  const bool shm = fs::is_directory("/dev/shm", ec) && access("/dev/shm", W_OK) == 0;
  std::string tmpl = ((shm ? fs::path("/dev/shm") : fs::temp_directory_path(ec)) /
                      ("crashlab-" + what + "-XXXXXX"))
                         .string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return Status::Error("cannot create a temporary work directory " + tmpl + ": " +
                         std::strerror(errno) + "; set TMPDIR to a writable directory");
  }
  return tmpl;
}

Result<std::string> PrepareWorkdir(const std::string& requested, bool may_hold_earlier_cases) {
  std::error_code ec;
  if (requested.empty()) {
    std::string tmpl = (fs::temp_directory_path(ec) / "crashlab-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      return Status::Error("cannot create a temporary work directory " + tmpl +
                           "; set TMPDIR or pass --workdir");
    }
    return tmpl;
  }
  if (fs::exists(requested, ec)) {
    if (!fs::is_directory(requested, ec)) {
      return Status::Error("--workdir " + requested +
                           " is not a directory; pass a new or empty one");
    }
    if (!may_hold_earlier_cases && !fs::is_empty(requested, ec)) {
      return Status::Error("--workdir " + requested +
                           " is not empty; crashlab writes its case directories only into a new "
                           "or empty directory (a resumed soak: its own): pass another or empty "
                           "it");
    }
    if (access(requested.c_str(), W_OK | X_OK) != 0) {
      return Status::Error("--workdir " + requested + " is not writable (" + std::strerror(errno) +
                           "); pass a directory crashlab may create case directories in");
    }
    return fs::absolute(requested).string();
  }
  if (!fs::create_directories(requested, ec)) {
    return Status::Error("cannot create --workdir " + requested + ": " + ec.message() +
                         "; pass a --workdir whose parent is a writable directory");
  }
  return fs::absolute(requested).string();
}

bool CampaignOptions::Traced() const {
  return live || std::find(crashes.begin(), crashes.end(), CrashKind::kPowerLoss) != crashes.end();
}

std::string ReproCommand(const CampaignOptions& o, const std::string& variant, int64_t case_index) {
  const CrashKind crash = o.CrashOfCase(case_index);
  std::string extra = fmt::format(" --crash {}", Name(crash));
  if (o.live) extra += " --live";
  if (crash == CrashKind::kPowerLoss && o.recorder.kind == RecorderKind::kBlock) {
    extra += fmt::format(" --recorder block --fs {}", faults::FileSystemName(o.recorder.fs));
  } else if (crash == CrashKind::kPowerLoss) {
    extra += fmt::format(" --profile {} --atomic-unit {}", faults::ProfileName(o.profile),
                         o.atomic_unit);
  }
  if (!o.point.empty()) extra += " --point " + ShellWord(o.point);
  if (o.txns != 0) extra += fmt::format(" --txns {}", o.txns);
  return fmt::format("crashlab repro --engine {} --variant {} --seed {} --case {} --db {}{}",
                     ShellWord(o.engine_arg), ShellWord(variant), o.seed, case_index,
                     ShellWord(o.db_path), extra);
}

TracedCaseSpec TracedSpecFor(const CampaignOptions& o, const VariantSpec& variant, int64_t i,
                             const std::string& case_dir) {
  TracedCaseSpec spec;
  spec.variant = &variant;
  spec.crash = o.CrashOfCase(i);
  spec.live = o.live;
  spec.point = o.point;
  spec.seed = o.seed;
  spec.case_index = static_cast<uint64_t>(i);
  spec.txns = o.txns;
  spec.case_dir = case_dir;
  spec.recorder = o.recorder;
  spec.profile = o.profile;
  spec.atomic_unit = o.atomic_unit;
  spec.deadline = o.deadline;
  return spec;
}

Result<CaseOutcome> RunOneCase(const CampaignOptions& o, const VariantSpec& variant,
                               const std::vector<std::string>& points, int64_t i,
                               const std::string& case_dir) {
  const CrashKind crash = o.CrashOfCase(i);
  const std::string what = fmt::format("{}/{} case {}", o.engine.name, variant.name, i);
  // The same ending for both kinds of case: a full disk is crashlab's own
  // error, never a verdict, and so is a case directory left without room.
  auto conclude = [&](const auto& r) -> Result<CaseOutcome> {
    if (IsFullDiskError(r.status())) return r.status();
    if (Status room = RoomLeftAfterCase(case_dir, what); !room.ok()) return room;
    if (!r.ok()) return r.status();
    CaseOutcome out;
    out.record = ToCaseRecord(*r, o.engine.name, variant.name, o.seed, i);
    out.verdict = r->judgement.verdict;
    out.footprint = DiskFootprint(case_dir);
    return out;
  };
  if (crash == CrashKind::kPowerLoss || o.live) {
    return conclude(RunTracedCase(TracedSpecFor(o, variant, i, case_dir)));
  }
  KillCaseSpec spec;
  spec.variant = &variant;
  spec.seed = o.seed;
  spec.case_index = static_cast<uint64_t>(i);
  spec.txns = o.txns;
  spec.case_dir = case_dir;
  spec.deadline = o.deadline;
  spec.point = o.point;
  spec.engine_points = points;
  return conclude(RunKillCase(spec));
}

Result<CampaignSummary> RunCampaign(const CampaignOptions& o, std::FILE* out) {
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(o.db_path);
  if (!store.ok()) return store.status();
  Result<std::string> workdir = PrepareWorkdir(o.workdir);
  if (!workdir.ok()) return workdir.status();

  const CampaignFacts facts{
      .command_line = o.command_line,
      .engine = o.engine.name,
      .variants = o.variants,
      .crashes = o.crashes,
      .seed = o.seed,
      .cases_per_variant = o.cases,
      .shard_index = o.shard_index,
      .shard_count = o.shard_count,
      .recorder_asked = o.recorder.kind,
      .recorders = o.Traced() ? RecordersFor(o.recorder.kind, o.engine, o.variants)
                              : std::vector<RecorderChoice>{},
  };
  Result<int64_t> campaign = (*store)->BeginCampaign(CampaignInfoFor(facts));
  if (!campaign.ok()) return campaign.status();

  CampaignSummary summary;
  summary.campaign_id = *campaign;
  if (o.matrix_id != 0) {
    if (Status s = (*store)->AddCampaignToMatrix(o.matrix_id, *campaign); !s.ok()) return s;
  }
  bool kept_any = false;
  // A failure mid-campaign leaves the recorded cases and marks the campaign
  // `error` (a setup failure, a full disk, an engine that fails before any
  // crash) or `interrupted` (a signal to crashlab); a temporary workdir goes
  // unless it holds the case directory of a violation.
  auto stop = [&](const Status& why, const char* status) -> Status {
    (void)(*store)->FinishCampaign(summary.campaign_id, status);
    std::error_code ec;
    if (o.workdir.empty() && !kept_any && !o.keep_cases) fs::remove_all(*workdir, ec);
    return why;
  };
  auto failed = [&](const Status& why) { return stop(why, "error"); };
  int64_t recorded = 0;
  uint64_t largest_footprint = 0;  // of the case directories so far (RoomForNextCase)
  fmt::print(out, "campaign {}: engine {}, {} variant(s) x {} cases, crash {}{}{}, seed {}\n",
             summary.campaign_id, o.engine.name, o.variants.size(), o.cases,
             CrashKindsName(o.crashes), o.live ? " (live)" : "",
             o.Traced() ? fmt::format(" (profile {})", faults::ProfileName(o.profile)) : "",
             o.seed);
  fmt::print(out, "{}", RecorderLines(facts));
  if (o.shard_count > 1) {
    fmt::print(out, "shard {}/{}: case indexes {} modulo {} only\n", o.shard_index, o.shard_count,
               o.shard_index, o.shard_count);
  }
  std::fflush(out);
  for (const std::string& variant_name : o.variants) {
    const VariantSpec* variant = o.engine.Find(variant_name);
    // One tally per crash kind: each kind has its own contract.
    std::vector<VariantTally> tallies;
    for (CrashKind crash : o.crashes) {
      tallies.push_back({variant_name, crash, variant->ContractFor(crash), 0, 0, {}});
    }
    const fs::path variant_dir = fs::path(*workdir) / variant_name;
    std::error_code ec;
    fs::create_directories(variant_dir, ec);
    Result<std::vector<std::string>> points = ProbeEngine(
        o.engine.name, *variant, (variant_dir / "hello.stderr").string(), o.deadline, o.point);
    if (!points.ok()) return failed(points.status());
    for (int64_t i = o.shard_index; i < o.cases; i += o.shard_count) {
      const std::string case_dir = (variant_dir / fmt::format("case-{}", i)).string();
      if (Status room = RoomForNextCase(variant_dir.string(), largest_footprint); !room.ok()) {
        return failed(room);
      }
      Result<CaseOutcome> result = RunOneCase(o, *variant, *points, i, case_dir);
      if (InterruptSignal() != 0) {
        // The case in flight was cut short by crashlab's own interruption:
        // its verdict would be false, so it is not recorded.
        return stop(
            Status::Error(fmt::format(
                "interrupted by signal {} during {}/{} case {}; that case was not recorded, the {} "
                "before it are in {}",
                InterruptSignal(), o.engine.name, variant_name, i, recorded, o.db_path)),
            "interrupted");
      }
      if (!result.ok()) return failed(result.status());
      largest_footprint = std::max(largest_footprint, result->footprint);
      CaseRecord& record = result->record;
      record.campaign_id = summary.campaign_id;
      VariantTally& tally =
          tallies[std::find(o.crashes.begin(), o.crashes.end(), o.CrashOfCase(i)) -
                  o.crashes.begin()];
      // Past the first failures of its variant and kind (campaign.h).
      if (record.failure && tally.violations >= kTracesKeptPerTally) {
        record.failure->trace.clear();
        record.failure->crash_files.clear();
      }
      if (Status s = (*store)->RecordCase(record); !s.ok()) return failed(s);
      ++tally.cases;
      ++recorded;
      ++tally.verdicts[result->verdict];
      if (record.violation) {
        ++tally.violations;
        kept_any = true;
        fmt::print(
            out,
            "VIOLATION {}/{} case {}: {} ({} contract, {}) - {}\n  case dir: {}\n  repro: {}\n",
            o.engine.name, variant_name, i, Name(record.verdict), Name(record.contract),
            record.crash_plan, record.details, case_dir, ReproCommand(o, variant_name, i));
        std::fflush(out);
      } else if (!o.keep_cases) {
        fs::remove_all(case_dir, ec);
      }
    }
    for (VariantTally& tally : tallies) {
      summary.violations += tally.violations;
      fmt::print(out, "{}\n", Tally(tally, o.crashes.size() > 1));
      summary.tallies.push_back(std::move(tally));
    }
    std::fflush(out);
  }
  if (Status s = (*store)->FinishCampaign(summary.campaign_id, "finished"); !s.ok()) return s;
  std::error_code ec;
  if (o.keep_cases || kept_any) {
    summary.workdir = *workdir;
  } else if (o.workdir.empty()) {
    fs::remove_all(*workdir, ec);
  } else {
    for (const std::string& v : o.variants) fs::remove_all(fs::path(*workdir) / v, ec);
  }
  return summary;
}

}  // namespace crashlab
