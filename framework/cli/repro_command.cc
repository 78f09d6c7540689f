// crashlab repro: reruns one case of a campaign from its seed, or replays a
// failure from what the results store kept of it (framework/campaign/repro.h),
// and shows the verdict with the expected-versus-recovered difference.
#include <filesystem>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "faults/crash_state.h"
#include "faults/persistence_model.h"
#include "framework/base/shell_words.h"
#include "framework/campaign/campaign.h"
#include "framework/campaign/repro.h"
#include "framework/cli/common.h"
#include "framework/engine/interrupt.h"
#include "framework/plan/crash_plan.h"
#include "framework/protocol/protocol.h"

namespace crashlab::cli {
namespace {

namespace fs = std::filesystem;

struct ReproArgs {
  std::string engine, variant, db = "crashlab.db", engines_dir, point;
  std::string crash_word = "kill";  // --crash as typed; `crash` once Repro has read it
  CrashKind crash = CrashKind::kKill;
  std::string profile = "posix";
  RecorderArgs recorder;
  bool live = false, rerun = false;
  uint32_t atomic_unit = 512;
  std::size_t txns = 0;
  uint64_t seed = 0;
  int64_t case_index = 0;
  int64_t campaign = 0;  // 0: the most recent case with these coordinates
  int64_t failure = 0;   // a failure id: every coordinate comes from the store
  int64_t deadline_ms = 10000;
  bool keep_cases = false;
  std::string keep;  // write the crash state here, and say how to start the engine on it
  bool coordinates_given = false;       // --seed and --case
  std::optional<Workload> workload;     // the campaign's stored workload, if it has one
  std::optional<StoredFailure> stored;  // the failure given by id, artifacts loaded
};

// The campaign's stored workload (CampaignInfo::workload) into a.workload;
// false, having said why, if it cannot be read.
bool SetStoredWorkload(const std::string& text, ReproArgs& a) {
  Result<std::optional<Workload>> w = StoredWorkload(text, a.db);
  if (!w.ok()) {
    fmt::print(stderr, "crashlab: {}\n", w.status().message());
    return false;
  }
  if (*w) a.workload = std::move(*w);
  return true;
}

void PrintRecorded(const ReproArgs& a, const std::optional<CaseRecord>& recorded,
                   const CaseRecord& rerun) {
  if (!recorded) {
    fmt::print("recorded:  none in {}\n", a.db);
    return;
  }
  const CaseRecord& c = *recorded;
  fmt::print("recorded:  {} ({}) in {}, plan {}, {} sent, {} acknowledged\n", Name(c.verdict),
             c.violation ? "violation" : "contract held", a.db, c.crash_plan, c.txns_sent,
             c.txns_acked);
  // Plans that differ only in their model version name the same crash.
  if (WithoutModelToken(c.crash_plan) != WithoutModelToken(rerun.crash_plan)) {
    if (rerun.crash_plan.find("power-loss block=") != std::string::npos) {
      fmt::print(
          "           (that case ran another plan: a block-level rerun records a new block "
          "log, and the kernel's writeback and journal timers move its records; the stored log "
          "replays the recorded state: drop --rerun)\n");
    } else {
      fmt::print(
          "           (that case ran another plan: pass the --point, --live, --profile and "
          "--atomic-unit its campaign used; a traced rerun records a new trace, and thread "
          "timing can move its events)\n");
    }
  }
  if (!c.crash_state.empty() && !rerun.crash_state.empty() &&
      c.crash_state.rfind(faults::kDigestScheme, 0) != 0) {
    fmt::print(
        "crash state: digest {}; the recorded {} was computed by an older crashlab and "
        "cannot be compared (compare the verdicts)\n",
        rerun.crash_state, c.crash_state);
  } else if (!c.crash_state.empty() && !rerun.crash_state.empty()) {
    fmt::print(
        "{}\n",
        c.crash_state == rerun.crash_state
            ? "crash state: rebuilt byte for byte (digest " + c.crash_state + ", as recorded)"
            : "crash state: DIFFERS from the recorded one (digest " + rerun.crash_state +
                  ", recorded " + c.crash_state + "): " +
                  (c.crash_plan.rfind("kill ", 0) == 0 ? "thread timing moved the real kill"
                                                       : "the rerun's trace differs") +
                  ", so this is another case");
  }
}

// The case's verdict, compared with the recorded one.
void PrintOutcome(const ReproArgs& a, const std::string& engine,
                  const std::optional<CaseRecord>& recorded, const CaseRecord& r) {
  fmt::print("case:      {}/{} seed {} case {}\n", engine, a.variant, a.seed, a.case_index);
  fmt::print("plan:      {} ({} sent, {} acknowledged)\n", r.crash_plan, r.txns_sent, r.txns_acked);
  fmt::print("verdict:   {} ({} contract: {})\n", Name(r.verdict), Name(r.contract),
             r.violation ? "VIOLATED" : "held");
  fmt::print("details:   {}\n", r.details);
  if (!r.crash_state.empty()) fmt::print("state:     digest {}\n", r.crash_state);
  PrintRecorded(a, recorded, r);
  if (r.failure && !r.failure->difference.empty()) {
    fmt::print("expected versus recovered:\n{}", r.failure->difference);
  }
  if (r.failure && !r.failure->engine_stderr.empty()) {
    // Escaped as every engine text crashlab shows (protocol::Readable), a
    // line at a time: raw, an engine's escape sequences reached the terminal.
    fmt::print("engine stderr (tail):\n");
    std::istringstream lines(r.failure->engine_stderr);
    for (std::string line; std::getline(lines, line);) {
      fmt::print("{}\n", protocol::Readable(line));
    }
  }
}

// Fills every coordinate of failure `a.failure` from --db: engine (unless
// --engine was given), variant, seed, case, crash kind, campaign, and the
// campaign options that shaped it.
bool FromStoredFailure(ReproArgs& a) {
  a.stored = LoadFailure(a.db, a.failure);
  if (!a.stored) return false;
  const StoredFailure& f = *a.stored;
  const std::string& line = f.campaign_command_line;
  if (a.engine.empty()) a.engine = StoredEngineArg(f, a.engines_dir);
  a.variant = f.c.variant;
  a.seed = f.c.seed;
  a.case_index = f.c.case_index;
  a.crash = f.c.crash_kind;
  a.campaign = f.c.campaign_id;
  a.live = f.c.crash_plan.rfind("live ", 0) == 0;
  if (const std::string txns = FlagValue(line, "--txns"); !txns.empty()) {
    a.txns = std::stoul(txns);
  }
  if (f.soak_txns >= 0) a.txns = static_cast<std::size_t>(f.soak_txns);
  if (const std::string point = FlagValue(line, "--point"); !point.empty()) a.point = point;
  if (const std::string profile = FlagValue(line, "--profile"); !profile.empty()) {
    a.profile = profile;
  }
  if (const std::string unit = FlagValue(line, "--atomic-unit"); !unit.empty()) {
    a.atomic_unit = static_cast<uint32_t>(std::stoul(unit));
  }
  TakeStoredRecorder(line, a.recorder);
  if (HasFlag(line, "--live")) a.live = true;
  if (!SetStoredWorkload(f.campaign_workload, a)) return false;
  fmt::print("failure {}: {}/{} seed {} case {} ({}), campaign {}: {}\n", a.failure, f.c.engine,
             a.variant, a.seed, a.case_index, Name(a.crash), a.campaign, line);
  return true;
}

// --keep DIR: writes `tree`, the crash state as the crash left it (before
// any recovery touched it), to `dir`, and prints how to start the engine on
// it by hand and under gdb.
bool KeepCrashState(const std::string& dir, const faults::DirTree& tree,
                    const VariantSpec& variant) {
  if (Status written = faults::WriteDirTree(tree, dir); !written.ok()) {
    fmt::print(stderr, "crashlab: --keep {}: {}\n", dir, written.message());
    return false;
  }
  std::error_code ec;
  const std::string abs = fs::absolute(dir, ec).string();
  fmt::print("crash state kept in {} (digest {}), as the crash left it.\n", abs,
             faults::DigestDirTree(tree));
  fmt::print(
      "start the engine on it by hand (recovery runs at open; it changes the "
      "directory, so copy it first to keep this state):\n  {}\n  then type:  hello,  "
      "open {},  dump,  check,  close\n",
      ShellLine(variant.argv), ShellLine({abs}));
  std::vector<std::string> gdb = {"gdb", "--args"};
  gdb.insert(gdb.end(), variant.argv.begin(), variant.argv.end());
  fmt::print("under gdb:\n  {}\n", ShellLine(gdb));
  return true;
}

int Repro(ReproArgs a) {
  if (a.failure != 0 && !FromStoredFailure(a)) return kExitUsage;
  if (a.failure == 0) {
    const std::optional<CrashKind> crash = ParseCrashKind(a.crash_word);
    if (!crash) {
      fmt::print(stderr, "crashlab: --crash {}: use kill or power-loss\n", a.crash_word);
      return kExitUsage;
    }
    a.crash = *crash;
  }
  if (a.failure == 0 && (a.engine.empty() || a.variant.empty() || !a.coordinates_given)) {
    fmt::print(stderr,
               "crashlab: repro needs a failure id (crashlab repro ID --db FILE) or --engine, "
               "--variant, --seed and --case\n");
    return kExitUsage;
  }
  EngineSpec engine;
  std::vector<std::string> variants;
  if (!ChooseVariants(a.engine, a.engines_dir, {a.variant}, engine, variants)) return kExitUsage;
  std::error_code ec;
  std::string tmpl = (fs::temp_directory_path() / "crashlab-repro-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    fmt::print(stderr, "crashlab: cannot create a temporary directory {}; set TMPDIR\n", tmpl);
    return kExitUsage;
  }
  // Removed on every way out but those that say they keep it: an error
  // left crashlab-repro-* directories behind in $TMPDIR.
  struct RemovedOnExit {
    std::string dir;
    bool keep = false;
    ~RemovedOnExit() {
      std::error_code ignored;
      if (!keep) fs::remove_all(dir, ignored);
    }
  } temporary{tmpl};
  CampaignOptions o;
  o.engine = engine;
  o.engine_arg = a.engine;
  o.seed = a.seed;
  o.txns = a.txns;
  o.deadline = Millis(a.deadline_ms);
  o.crashes = {a.crash};
  o.live = a.live;
  o.point = a.point;
  o.db_path = a.db;
  if (o.Traced() && !SetPowerLossOptions(a.profile, a.atomic_unit, a.recorder, o)) {
    return kExitUsage;
  }
  const VariantSpec& variant = *engine.Find(a.variant);
  Result<std::vector<std::string>> points =
      ProbeEngine(engine.name, variant, tmpl + "/hello.stderr", o.deadline, a.point);
  if (!points.ok()) {
    fmt::print(stderr, "crashlab: {}\n", points.status().message());
    return kExitUsage;
  }
  const std::string case_dir = tmpl + "/case";
  ReproLookup lookup;
  lookup.db = a.db;
  lookup.failure = a.stored ? &*a.stored : nullptr;
  lookup.engine = engine.name;
  lookup.variant = a.variant;
  lookup.crash = a.crash;
  lookup.seed = a.seed;
  lookup.case_index = a.case_index;
  lookup.campaign = a.campaign;
  Result<RecordedCase> found = FindRecordedCase(lookup);
  if (!found.ok()) {
    fmt::print(stderr, "crashlab: {}\n", found.status().message());
    return kExitUsage;
  }
  if (!found->unreadable.empty()) fmt::print("(cannot read {}: {})\n", a.db, found->unreadable);
  if (found->workload) a.workload = std::move(found->workload);
  const std::optional<CaseRecord>& recorded = found->c;
  Result<ReproChoice> choice = ChooseReproSource(recorded, a.rerun, a.db, a.case_index);
  if (!choice.ok()) {
    fmt::print(stderr, "crashlab: {}\n", choice.status().message());
    return kExitUsage;
  }
  const bool replay = choice->source == ReproSource::kStoredTrace;
  InstallInterruptHandlers();
  if (choice->source == ReproSource::kStoredFiles) {
    fmt::print("replaying the crash state stored in {} (--rerun runs the workload again)\n", a.db);
  } else if (replay) {
    fmt::print("replaying the trace stored in {} (--rerun runs the workload again)\n", a.db);
    if (const std::string note = ModelVersionNote(recorded->crash_plan); !note.empty()) {
      fmt::print("model:     {}\n", note);
    }
  }
  ReproCase repro;
  repro.options = &o;
  repro.variant = &variant;
  repro.points = *points;
  repro.case_index = a.case_index;
  repro.case_dir = case_dir;
  repro.recorded = recorded ? &*recorded : nullptr;
  repro.workload = a.workload ? &*a.workload : nullptr;
  Result<CaseOutcome> result = RunRepro(repro, *choice);
  if (InterruptSignal() != 0) {
    fs::remove_all(tmpl, ec);
    ReraiseInterrupt();
  }
  if (!result.ok()) {
    fmt::print(stderr, "crashlab: {}\n", result.status().message());
    return kExitUsage;
  }
  const CaseRecord& r = result->record;
  PrintOutcome(a, engine.name, recorded, r);
  if (!a.keep.empty()) {
    Result<std::optional<faults::DirTree>> state =
        StateToKeep(std::move(choice->stored_state), replay ? recorded->failure->trace : "",
                    case_dir, r, a.crash);
    if (!state.ok()) {
      fmt::print(stderr, "crashlab: --keep {}: {}\n", a.keep, state.status().message());
      return kExitUsage;
    }
    if (!*state) {
      fmt::print(
          "--keep: a timed or point kill records no trace, and keeps the files it left only "
          "when it violates its contract (up to 4 MiB of them), so this case's crash state "
          "cannot be rebuilt; the recovered case directory is kept in {}\n",
          case_dir);
      temporary.keep = true;
      return r.violation ? kExitViolations : kExitHeld;
    }
    if (!KeepCrashState(a.keep, **state, variant)) return kExitUsage;
  }
  if (a.keep_cases) {
    fmt::print("case directory kept: {}\n", case_dir);
    temporary.keep = true;
  }
  return r.violation ? kExitViolations : kExitHeld;
}

}  // namespace

void AddReproCommand(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ReproArgs>();
  CLI::App* cmd = app.add_subcommand(
      "repro",
      "Rerun one case exactly as its campaign ran it and print the verdict with the "
      "expected-versus-recovered difference");
  AddFailureIdOption(*cmd, a->failure, ": replays it with every coordinate taken from the store");
  cmd->add_option("--engine", a->engine,
                  "Engine name or path to a variants.ini (with a failure id: default the "
                  "campaign's)");
  cmd->add_option("--variant", a->variant, "Variant");
  CLI::Option* seed = AddSeedOption(*cmd, a->seed)->required(false);
  CLI::Option* case_option =
      cmd->add_option("--case", a->case_index, "Case index within the campaign")
          ->check(CLI::Range(int64_t{0}, int64_t{INT64_MAX}));
  cmd->add_option("--db", a->db, "Results database to compare with, if it exists")
      ->capture_default_str();
  AddDeadlineOption(*cmd, a->deadline_ms);
  cmd->add_flag("--keep-cases", a->keep_cases, "Keep the case directory and print its path");
  cmd->add_option("--keep", a->keep,
                  "Write the case's crash state (rebuilt from its trace, or the files a real "
                  "kill's failure stored, as the crash left it) to this new or empty directory "
                  "and print how to start the engine on it by hand and under gdb");
  cmd->add_option("--point", a->point, "The --point the campaign ran with, if any");
  cmd->add_option("--crash", a->crash_word,
                  "The case's crash kind (in a kill,power-loss campaign, the one its `repro` line "
                  "names)")
      ->capture_default_str()
      ->check(CLI::IsMember({"kill", "power-loss"}));
  cmd->add_flag("--live", a->live, "The campaign ran with --live");
  cmd->add_option("--campaign", a->campaign,
                  "Look the case up in this campaign of --db (as `explore` prints it) rather "
                  "than take the most recent case with these coordinates")
      ->check(CLI::Range(int64_t{1}, int64_t{INT64_MAX}));
  cmd->add_flag("--rerun", a->rerun,
                "Run the workload again even when --db holds the failure's trace or crash files "
                "(by default such a case is replayed from them)");
  cmd->add_option("--profile", a->profile, "Power loss: the campaign's persistence profile")
      ->capture_default_str();
  cmd->add_option("--atomic-unit", a->atomic_unit, "Power loss: the campaign's atomic unit")
      ->capture_default_str();
  AddRecorderOptions(*cmd, a->recorder);
  AddTxnsOption(*cmd, a->txns);
  AddEnginesDirOption(*cmd, a->engines_dir);
  cmd->callback([a, seed, case_option, &exit_code] {
    a->coordinates_given = seed->count() > 0 && case_option->count() > 0;
    exit_code = Repro(*a);
  });
}

}  // namespace crashlab::cli
