#include "framework/soak.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "framework/interrupt.h"
#include "framework/prng.h"

namespace crashlab {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// The rotation order's stream of the seed, apart from the cases' own streams
// (prng.h), so that the order never shifts what a case draws.
constexpr uint64_t kSoakOrderStream = 101;
// As in `crashlab run`: the first failures of each engine, variant and crash
// kind keep their traces for an exact replay; later ones repro by rerunning.
constexpr int64_t kTracesKeptPerTally = 20;
// How often the time spent is written to the soaks row: a killed controller
// loses at most this much of its accounting, and a resume gets it back.
constexpr milliseconds kElapsedEvery{1000};

// Whether `pid` on this host is a crashlab soak still running.
bool SoakControllerAlive(const StoredSoak& soak) {
  if (soak.host != Hostname() || soak.pid <= 0 || soak.pid == getpid()) return false;
  if (kill(static_cast<pid_t>(soak.pid), 0) != 0 && errno != EPERM) return false;
  std::ifstream in(fmt::format("/proc/{}/cmdline", soak.pid), std::ios::binary);
  std::stringstream cmdline;
  cmdline << in.rdbuf();
  return cmdline.str().find(std::string("soak") + '\0') != std::string::npos;
}

// "key value" lines into a map, for naming what differs.
std::map<std::string, std::string> SettingsMap(const std::string& settings) {
  std::map<std::string, std::string> map;
  std::istringstream in(settings);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t space = line.find(' ');
    map[line.substr(0, space)] = space == std::string::npos ? "" : line.substr(space + 1);
  }
  return map;
}

std::string SettingsDifference(const std::string& before, const std::string& now) {
  const auto a = SettingsMap(before), b = SettingsMap(now);
  std::string text;
  for (const auto& [key, value] : a) {
    const auto it = b.find(key);
    const std::string other = it == b.end() ? "(none)" : it->second;
    if (other != value) text += fmt::format("\n  {}: was {}, now {}", key, value, other);
  }
  for (const auto& [key, value] : b) {
    if (!a.contains(key)) text += fmt::format("\n  {}: was (none), now {}", key, value);
  }
  return text;
}

// The work directory: a fresh temporary one by default; a given one must be
// new or empty, except on a resume, where it may hold kept failing cases.
Result<std::string> PrepareSoakWorkdir(const std::string& requested, bool resume) {
  std::error_code ec;
  if (requested.empty()) {
    std::string tmpl = (fs::temp_directory_path(ec) / "crashlab-soak-XXXXXX").string();
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
    if (!resume && !fs::is_empty(requested, ec)) {
      return Status::Error("--workdir " + requested +
                           " is not empty; a soak writes its case directories only into a new "
                           "or empty directory (or, with --resume, its own): pass another");
    }
  } else if (!fs::create_directories(requested, ec)) {
    return Status::Error("cannot create --workdir " + requested + ": " + ec.message());
  }
  return fs::absolute(requested).string();
}

// Removes every empty directory under `dir` (not `dir` itself), deepest first.
void RemoveEmptyDirectories(const fs::path& dir) {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory(ec) || entry.is_symlink(ec)) continue;
    RemoveEmptyDirectories(entry.path());
    if (fs::is_empty(entry.path(), ec)) fs::remove(entry.path(), ec);
  }
}

struct Campaign {
  int64_t id = 0;
  std::string shape;
  CampaignOptions options;
};

struct Slot {
  std::size_t campaign = 0;  // index into the campaigns
  const VariantSpec* variant = nullptr;
  std::vector<std::string> points;  // the engine's named points (ProbeEngine)
  std::size_t first_tally = 0;      // tallies[first_tally + k] is for crashes[k]
  int64_t next_index = 0;
  fs::path dir;  // <workdir>/<engine>/<shape>/<variant>
};

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
  ResultsStore& store = **opened;
  const std::string settings = SoakSettings(o);
  SoakSummary summary;
  std::optional<StoredSoak> resumed;
  if (o.resume) {
    Result<std::optional<StoredSoak>> latest = store.LatestUnfinishedSoak();
    if (!latest.ok()) return latest.status();
    if (!latest->has_value()) {
      return Status::Error("--resume: " + o.base.db_path +
                           " holds no unfinished soak; drop --resume to start a new one");
    }
    resumed = std::move(**latest);
    if (resumed->settings != settings) {
      return Status::Error(fmt::format(
          "--resume: soak {} in {} ran with other settings; resume it with its own command "
          "line plus --resume:\n  {}\nWhat differs:{}",
          resumed->id, o.base.db_path, resumed->command_line,
          SettingsDifference(resumed->settings, settings)));
    }
    if (SoakControllerAlive(*resumed)) {
      return Status::Error(fmt::format(
          "--resume: soak {} is still running in process {}; wait for it or stop it first",
          resumed->id, resumed->pid));
    }
    if (Status s = store.ReopenSoak(resumed->id); !s.ok()) return s;
    summary.soak_id = resumed->id;
    summary.elapsed = milliseconds(resumed->elapsed_ms);
  } else {
    Result<int64_t> id =
        store.BeginSoak({o.command_line, settings, o.base.seed, o.duration.count()});
    if (!id.ok()) return id.status();
    summary.soak_id = *id;
  }
  std::vector<Campaign> campaigns;
  // From here on a setup failure leaves what was recorded and marks the soak
  // and its campaigns interrupted, so that a resume can pick it up.
  auto fail = [&](const Status& why) -> Status {
    for (const Campaign& c : campaigns) (void)store.FinishCampaign(c.id, "interrupted");
    (void)store.FinishSoak(summary.soak_id, "interrupted");
    return why;
  };
  Result<std::string> workdir = PrepareSoakWorkdir(o.base.workdir, o.resume);
  if (!workdir.ok()) return fail(workdir.status());

  // Campaigns, slots and tallies, in engine, shape, variant, crash order.
  std::vector<Slot> slots;
  for (const SoakEngine& engine : o.engines) {
    for (const SoakShape& shape : kSoakShapes) {
      Campaign c;
      c.shape = shape.name;
      c.options = o.base;
      c.options.engine = engine.spec;
      c.options.engine_arg = engine.arg;
      c.options.variants = engine.variants;
      c.options.txns = shape.txns;
      c.options.command_line = o.command_line;
      if (resumed) {
        for (const SoakCampaign& stored : resumed->campaigns) {
          if (stored.engine == engine.spec.name && stored.shape == shape.name)
            c.id = stored.campaign_id;
        }
        if (c.id == 0) {
          return fail(Status::Error(fmt::format("--resume: soak {} has no campaign for {} {}",
                                                summary.soak_id, engine.spec.name, shape.name)));
        }
      } else {
        CampaignInfo info;
        info.command_line = o.command_line;
        info.engine = engine.spec.name;
        for (const std::string& v : engine.variants) {
          info.variants += (info.variants.empty() ? "" : ",") + v;
        }
        info.crash_kind = CrashKindsName(o.base.crashes);
        info.seed = o.base.seed;
        info.cases_per_variant = 0;  // a time budget, not a count
        info.host = Hostname();
        info.crashlab_version = CRASHLAB_VERSION;
        if (o.base.shard_count > 1) {
          info.shard = fmt::format("{}/{}", o.base.shard_index, o.base.shard_count);
        }
        Result<int64_t> id = store.BeginCampaign(info);
        if (!id.ok()) return fail(id.status());
        c.id = *id;
      }
      campaigns.push_back(c);
      summary.campaigns[c.id] = c.options;
      if (!resumed) {
        if (Status s = store.AddCampaignToSoak(summary.soak_id, c.id, shape.name,
                                               static_cast<int64_t>(shape.txns));
            !s.ok()) {
          return fail(s);
        }
      }
    }
  }
  for (std::size_t e = 0; e < o.engines.size(); ++e) {
    const SoakEngine& engine = o.engines[e];
    for (const std::string& name : engine.variants) {
      const VariantSpec* variant = engine.spec.Find(name);
      for (CrashKind crash : o.base.crashes) {
        summary.tallies.push_back(
            {engine.spec.name + "/" + name, crash, variant->ContractFor(crash), 0, 0, {}});
      }
      const fs::path log = fs::path(*workdir) / engine.spec.name / (name + ".hello.stderr");
      std::error_code ec;
      fs::create_directories(log.parent_path(), ec);
      Result<std::vector<std::string>> points =
          ProbeEngine(engine.spec.name, *variant, log.string(), o.base.deadline, "");
      if (!points.ok()) return fail(points.status());
      fs::remove(log, ec);
      for (std::size_t s = 0; s < std::size(kSoakShapes); ++s) {
        Slot slot;
        slot.campaign = e * std::size(kSoakShapes) + s;
        slot.variant = variant;
        slot.points = *points;
        slot.first_tally = summary.tallies.size() - o.base.crashes.size();
        slot.next_index = o.base.shard_index;
        slot.dir = fs::path(*workdir) / engine.spec.name / kSoakShapes[s].name / name;
        slots.push_back(std::move(slot));
      }
    }
  }

  // What earlier runs recorded: the tallies, each slot's count and next case.
  SoakRotation rotation(slots.size(), o.base.seed);
  if (resumed) {
    Result<std::vector<CaseGroup>> groups = store.CaseGroupsOfSoak(summary.soak_id);
    if (!groups.ok()) return fail(groups.status());
    for (const CaseGroup& g : *groups) {
      for (std::size_t s = 0; s < slots.size(); ++s) {
        Slot& slot = slots[s];
        if (campaigns[slot.campaign].id != g.campaign_id || slot.variant->name != g.variant) {
          continue;
        }
        slot.next_index = std::max(slot.next_index, g.max_case_index + o.base.shard_count);
        for (std::size_t k = 0; k < o.base.crashes.size(); ++k) {
          if (Name(o.base.crashes[k]) != g.crash_kind) continue;
          VariantTally& t = summary.tallies[slot.first_tally + k];
          t.cases += g.cases;
          t.violations += g.violations;
          t.verdicts[*ParseVerdict(g.verdict)] += g.cases;
        }
        summary.cases += g.cases;
        summary.violations += g.violations;
      }
    }
    // Recorded cases of a slot have no gaps (each resume reruns the case in
    // flight), so its count follows from its next index.
    for (std::size_t s = 0; s < slots.size(); ++s) {
      rotation.SetCases(s, (slots[s].next_index - o.base.shard_index) / o.base.shard_count);
    }
  }

  const milliseconds budget = o.duration;
  fmt::print(out,
             "soak {}{}: {} engine(s), {} slot(s) (variant x shape short,long), crash {}, seed "
             "{}, {}\n",
             summary.soak_id, resumed ? " resumed" : "", o.engines.size(), slots.size(),
             CrashKindsName(o.base.crashes), o.base.seed,
             resumed ? fmt::format("{} of {} left ({} cases recorded)",
                                   FormatDuration(budget - summary.elapsed), FormatDuration(budget),
                                   summary.cases)
                     : FormatDuration(budget));
  if (o.base.shard_count > 1) {
    fmt::print(out, "shard {}/{}: case indexes {} modulo {} only\n", o.base.shard_index,
               o.base.shard_count, o.base.shard_index, o.base.shard_count);
  }
  summary.usage_start = ReadProcessUsage();
  fmt::print(out, "controller at start: {}\n", FormatUsage(summary.usage_start));
  std::fflush(out);

  SoakProgress progress(out, o.progress_in_place, budget, summary.elapsed);
  const milliseconds elapsed_before = summary.elapsed;
  const Clock::time_point start = Clock::now();
  auto here = [&] { return std::chrono::duration_cast<milliseconds>(Clock::now() - start); };
  milliseconds saved = here();
  while (elapsed_before + here() < budget) {
    const std::size_t s = rotation.Next();
    Slot& slot = slots[s];
    const Campaign& campaign = campaigns[slot.campaign];
    const int64_t i = slot.next_index;
    const std::string case_dir = (slot.dir / fmt::format("case-{}", i)).string();
    std::error_code ec;
    fs::remove_all(case_dir, ec);  // left by a killed controller: never recorded
    fs::create_directories(slot.dir, ec);
    Result<CaseOutcome> result =
        RunOneCase(campaign.options, *slot.variant, slot.points, i, case_dir);
    if (InterruptSignal() != 0) {
      // Cut short by crashlab's own interruption: its verdict would be false.
      fs::remove_all(case_dir, ec);
      summary.interrupted_by = InterruptSignal();
      break;
    }
    if (!result.ok()) return fail(result.status());
    CaseRecord& record = result->record;
    record.campaign_id = campaign.id;
    const CrashKind crash = campaign.options.CrashOfCase(i);
    const std::size_t k =
        std::find(o.base.crashes.begin(), o.base.crashes.end(), crash) - o.base.crashes.begin();
    VariantTally& tally = summary.tallies[slot.first_tally + k];
    if (record.failure && tally.violations >= kTracesKeptPerTally) record.failure->trace.clear();
    if (Status st = store.RecordCase(record); !st.ok()) return fail(st);
    rotation.CountCase(s);
    slot.next_index += o.base.shard_count;
    ++tally.cases;
    ++tally.verdicts[result->verdict];
    ++summary.cases;
    ++summary.cases_here;
    if (record.violation) {
      ++tally.violations;
      ++summary.violations;
      progress.Print(fmt::format(
          "VIOLATION {}/{} case {}: {} ({} contract, {}) - {}\n  case dir: {}\n  repro: {}\n",
          campaign.options.engine.name, slot.variant->name, i, record.verdict, record.contract,
          record.crash_plan, record.details, case_dir,
          ReproCommand(campaign.options, slot.variant->name, i)));
    } else {
      fs::remove_all(case_dir, ec);
    }
    if (here() - saved >= kElapsedEvery) {
      saved = here();
      if (Status st = store.SetSoakElapsed(summary.soak_id, (elapsed_before + saved).count());
          !st.ok()) {
        return fail(st);
      }
    }
    progress.Update(here(), {summary.cases, summary.cases_here, summary.violations});
  }
  progress.Finish();
  if (summary.interrupted_by == 0 && InterruptSignal() != 0)
    summary.interrupted_by = InterruptSignal();
  summary.elapsed_here = here();
  summary.elapsed = elapsed_before + summary.elapsed_here;
  const std::string status = summary.interrupted_by != 0 ? "interrupted" : "finished";
  if (Status st = store.SetSoakElapsed(summary.soak_id, summary.elapsed.count()); !st.ok()) {
    return fail(st);
  }
  for (const Campaign& c : campaigns) {
    if (Status st = store.FinishCampaign(c.id, status); !st.ok()) return fail(st);
  }
  if (Status st = store.FinishSoak(summary.soak_id, status); !st.ok()) return st;

  // Passing cases are gone already; what remains is failing cases (of this
  // run or, on a resume, of earlier ones) and the directories above them.
  std::error_code ec;
  RemoveEmptyDirectories(*workdir);
  if (!fs::is_empty(*workdir, ec)) {
    summary.kept_workdir = *workdir;
  } else if (o.base.workdir.empty()) {
    fs::remove(*workdir, ec);
  }
  summary.usage_end = ReadProcessUsage();
  return summary;
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
