// crashlab repro: reruns one case of a campaign from its seed and shows the
// verdict with the expected-versus-recovered difference. A traced failure
// whose trace is in the results store is replayed from that trace, and a
// real kill's failure whose crash files are there is recovered from those
// files, so its crash state is rebuilt byte for byte whatever the engine's
// threads do.
#include <filesystem>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "faults/crash_state.h"
#include "faults/persistence_model.h"
#include "faults/trace_file.h"
#include "framework/base/shell_words.h"
#include "framework/campaign/campaign.h"
#include "framework/case/case_steps.h"
#include "framework/case/crash_files.h"
#include "framework/case/traced_case.h"
#include "framework/cli/common.h"
#include "framework/engine/interrupt.h"
#include "framework/protocol/protocol.h"

namespace crashlab::cli {
namespace {

namespace fs = std::filesystem;

struct ReproArgs {
  std::string engine, variant, db = "crashlab.db", engines_dir, point;
  std::string crash = "kill", profile = "posix", preload;
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
  if (text.empty()) return true;
  Result<Workload> w = ParseWorkloadText(text, "the workload stored in " + a.db);
  if (!w.ok()) {
    fmt::print(stderr, "crashlab: {}\n", w.status().message());
    return false;
  }
  a.workload = std::move(*w);
  return true;
}

// The recorded case: the failure's, when repro was given its id; else the
// case with these coordinates in --db (in --campaign, or the most recent).
// A failure comes with its artifacts, loaded once, and sets a.workload;
// `unusable` is set (having said why) when its stored workload is damaged.
std::optional<CaseRecord> FindRecorded(ReproArgs& a, const std::string& engine_name,
                                       bool& unusable) {
  if (a.stored) return a.stored->c;
  std::error_code ec;
  if (!fs::exists(a.db, ec)) return std::nullopt;
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(a.db, ExistingStore());
  if (!store.ok()) {
    fmt::print("(cannot read {}: {})\n", a.db, store.status().message());
    return std::nullopt;
  }
  std::optional<CaseRecord> found;
  if (a.campaign != 0) {
    Result<std::vector<CaseRecord>> cases = (*store)->CasesOfCampaign(a.campaign);
    if (!cases.ok()) {
      fmt::print("(cannot read {}: {})\n", a.db, cases.status().message());
      return std::nullopt;
    }
    for (CaseRecord& c : *cases) {
      if (c.case_index == a.case_index && c.crash_kind == a.crash) found = std::move(c);
    }
  } else {
    auto recorded = (*store)->FindCase(engine_name, a.variant, a.seed, a.case_index, a.crash);
    if (!recorded.ok()) {
      fmt::print("(cannot read {}: {})\n", a.db, recorded.status().message());
      return std::nullopt;
    }
    found = std::move(*recorded);
  }
  if (!found || !found->failure) return found;
  // The failure with its trace or files, and its campaign's stored workload.
  Result<std::optional<StoredFailure>> f = (*store)->FindFailure(found->failure->id);
  if (!f.ok() || !f->has_value()) {
    fmt::print("(cannot read {}: {})\n", a.db,
               f.ok() ? "the failure vanished" : f.status().message());
    return found;
  }
  unusable = !SetStoredWorkload((*f)->campaign_workload, a);
  return std::move((*f)->c);
}

void PrintRecorded(const ReproArgs& a, const std::optional<CaseRecord>& recorded,
                   const CaseRecord& rerun) {
  if (!recorded) {
    fmt::print("recorded:  none in {}\n", a.db);
    return;
  }
  const CaseRecord& c = *recorded;
  fmt::print("recorded:  {} ({}) in {}, plan {}, {} sent, {} acknowledged\n", c.verdict,
             c.violation ? "violation" : "contract held", a.db, c.crash_plan, c.txns_sent,
             c.txns_acked);
  // Plans that differ only in their model version name the same crash.
  if (WithoutModelToken(c.crash_plan) != WithoutModelToken(rerun.crash_plan)) {
    fmt::print(
        "           (that case ran another plan: pass the --point, --live, --profile and "
        "--atomic-unit its campaign used; a traced rerun records a new trace, and thread "
        "timing can move its events)\n");
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
  if (HasFlag(line, "--live")) a.live = true;
  if (!SetStoredWorkload(f.campaign_workload, a)) return false;
  fmt::print("failure {}: {}/{} seed {} case {} ({}), campaign {}: {}\n", a.failure, f.c.engine,
             a.variant, a.seed, a.case_index, a.crash, a.campaign, line);
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

// The crash state a traced case's trace and plan rebuild.
Result<faults::DirTree> TracedCrashState(const std::string& trace_bytes,
                                         const std::string& plan_text, CrashKind crash) {
  Result<faults::Trace> trace = faults::ParseTrace(trace_bytes, "the case's trace");
  if (!trace.ok()) return trace.status();
  Result<TracedPlan> plan = ParseTracedPlan(plan_text, crash);
  if (!plan.ok()) return plan.status();
  return crash == CrashKind::kKill ? faults::ModelKill(*trace, plan->plan.event, {})
                                   : faults::ModelPowerLoss(*trace, plan->plan, {}, nullptr);
}

// The crash state --keep writes, as the crash left it: the `stored` files a
// replay recovered, the state a trace rebuilds (`replayed_trace`, else the
// one a traced rerun recorded in `case_dir`), or the files a real kill
// rerun kept for its violation. nullopt when there is none: a real kill
// that held its contract or left more than kCrashFilesLimit bytes.
Result<std::optional<faults::DirTree>> StateToKeep(std::optional<faults::DirTree> stored,
                                                   std::string trace, const std::string& case_dir,
                                                   const CaseRecord& r, CrashKind crash) {
  if (stored) return stored;
  if (trace.empty()) {
    std::error_code ec;
    const std::string live = case_dir + "/live/trace.bin";
    Result<std::string> bytes =
        ReadWholeFile(fs::exists(live, ec) ? live : case_dir + "/trace.bin");
    if (bytes.ok()) trace = std::move(*bytes);
  }
  if (trace.empty() && !(r.failure && !r.failure->crash_files.empty())) {
    return std::optional<faults::DirTree>();
  }
  Result<faults::DirTree> tree =
      !trace.empty() ? TracedCrashState(trace, r.crash_plan, crash)
                     : UnpackDirTree(r.failure->crash_files, "the crash files of this rerun");
  if (!tree.ok()) return tree.status();
  return std::optional<faults::DirTree>(std::move(*tree));
}

int Repro(ReproArgs a) {
  if (a.failure != 0 && !FromStoredFailure(a)) return kExitUsage;
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
  o.crashes = {*ParseCrashKind(a.crash)};
  o.live = a.live;
  o.point = a.point;
  o.db_path = a.db;
  if (o.Traced() && !SetPowerLossOptions(a.profile, a.atomic_unit, a.preload, o)) {
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
  bool unusable = false;
  const std::optional<CaseRecord> recorded = FindRecorded(a, engine.name, unusable);
  if (unusable) return kExitUsage;
  if (!a.rerun && recorded && recorded->failure && !recorded->failure->damaged.empty()) {
    fmt::print(stderr, "crashlab: {}; repro --rerun runs the workload again\n",
               recorded->failure->damaged);
    return kExitUsage;
  }
  const bool replay =
      !a.rerun && recorded && recorded->failure && !recorded->failure->trace.empty();
  // A real kill's failure keeps the files the kill left (when they were
  // small enough): recovering those is exact where a rerun is not.
  std::optional<faults::DirTree> stored_state;
  if (!a.rerun && !replay && recorded && recorded->crash_kind == "kill" && recorded->failure &&
      !recorded->failure->crash_files.empty()) {
    Result<faults::DirTree> tree = UnpackDirTree(
        recorded->failure->crash_files,
        fmt::format("the crash files of failure {} in {}", recorded->failure->id, a.db));
    if (!tree.ok()) {
      fmt::print(stderr, "crashlab: {}\n", tree.status().message());
      return kExitUsage;
    }
    stored_state = std::move(*tree);
  }
  if (recorded && recorded->crash_plan.rfind("explore ", 0) == 0 && !replay) {
    fmt::print(stderr,
               "crashlab: case {} of campaign {} is a state `crashlab explore` built from its "
               "trace, and {} keeps no trace for it (only the first failures keep one): rerun "
               "the explore command\n",
               a.case_index, recorded->campaign_id, a.db);
    return kExitUsage;
  }
  InstallInterruptHandlers();
  auto run = [&]() -> Result<CaseOutcome> {
    if (stored_state) {
      fmt::print("replaying the crash state stored in {} (--rerun runs the workload again)\n",
                 a.db);
      KillCaseSpec spec;
      spec.variant = &variant;
      spec.seed = a.seed;
      spec.case_index = static_cast<uint64_t>(a.case_index);
      spec.txns = a.txns;
      spec.case_dir = case_dir;
      spec.deadline = o.deadline;
      spec.point = a.point;
      spec.engine_points = *points;
      Result<KillCaseResult> r =
          ReplayKillCase(spec, *stored_state, static_cast<std::size_t>(recorded->txns_sent),
                         static_cast<std::size_t>(recorded->txns_acked));
      if (!r.ok()) return r.status();
      return CaseOutcome{ToCaseRecord(*r, engine.name, a.variant, a.seed, a.case_index),
                         r->judgement.verdict};
    }
    if (!replay) return RunOneCase(o, variant, *points, a.case_index, case_dir);
    fmt::print("replaying the trace stored in {} (--rerun runs the workload again)\n", a.db);
    TracedCaseSpec spec = TracedSpecFor(o, variant, a.case_index, case_dir);
    if (a.workload) spec.workload = &*a.workload;
    Result<TracedCaseResult> r =
        ReplayTracedCase(spec, recorded->failure->trace, recorded->crash_plan);
    if (!r.ok()) return r.status();
    return CaseOutcome{ToCaseRecord(*r, engine.name, a.variant, a.seed, a.case_index),
                       r->judgement.verdict};
  };
  Result<CaseOutcome> result = run();
  if (InterruptSignal() != 0) {
    fs::remove_all(tmpl, ec);
    ReraiseInterrupt();
  }
  if (!result.ok()) {
    fmt::print(stderr, "crashlab: {}\n", result.status().message());
    return kExitUsage;
  }
  const CaseRecord& r = result->record;
  fmt::print("case:      {}/{} seed {} case {}\n", engine.name, a.variant, a.seed, a.case_index);
  fmt::print("plan:      {} ({} sent, {} acknowledged)\n", r.crash_plan, r.txns_sent, r.txns_acked);
  fmt::print("verdict:   {} ({} contract: {})\n", r.verdict, r.contract,
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
  if (!a.keep.empty()) {
    Result<std::optional<faults::DirTree>> state =
        StateToKeep(std::move(stored_state), replay ? recorded->failure->trace : "", case_dir, r,
                    *ParseCrashKind(a.crash));
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
  cmd->add_option("--crash", a->crash,
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
  cmd->add_option("--preload", a->preload,
                  "Power loss: path to libcrashlab_preload.so; default the build's faults/");
  AddTxnsOption(*cmd, a->txns);
  AddEnginesDirOption(*cmd, a->engines_dir);
  cmd->callback([a, seed, case_option, &exit_code] {
    a->coordinates_given = seed->count() > 0 && case_option->count() > 0;
    exit_code = Repro(*a);
  });
}

}  // namespace crashlab::cli
