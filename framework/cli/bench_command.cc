// crashlab bench: what each variant of an engine costs — commits per second
// and syncs per commit, measured side by side in one run.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "framework/cli/common.h"
#include "framework/engine/engine_bench.h"

namespace crashlab::cli {
namespace {

namespace fs = std::filesystem;

struct BenchArgs {
  std::string engine, engines_dir, dir;
  std::vector<std::string> variants;
  uint64_t seed = 1;
  int64_t txns = 500;
  int64_t deadline_ms = 10000;
  int64_t rounds = 1;
  bool tracer = false;
};

int Bench(const BenchArgs& a) {
  EngineSpec engine;
  std::vector<std::string> variants;
  if (!ChooseVariants(a.engine, a.engines_dir, a.variants, engine, variants)) return kExitUsage;
  std::error_code ec;
  std::string dir = a.dir;
  if (dir.empty()) {
    dir = (fs::temp_directory_path(ec) / "crashlab-bench-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) {
      fmt::print(stderr, "crashlab: cannot create a temporary directory {}; pass --dir\n", dir);
      return kExitUsage;
    }
  }
  fmt::print("engine {}: {} transactions per variant (workload seed {}), directory {}{}\n",
             engine.name, a.txns, a.seed, dir,
             a.rounds > 1 ? fmt::format("; median of {} interleaved rounds", a.rounds) : "");
  const Recorder recorders = RecorderOf({});
  fmt::print("{:<44} {:>8} {:>10} {:>13}{}\n", "variant", "seconds", "commits/s", "syncs/commit",
             a.tracer ? fmt::format(" {:>10} {:>8} {:>10} {:>8}", "preload s", "ratio", "ptrace s",
                                    "ratio")
                      : "");
  for (const std::string& name : variants) {
    Result<BenchResult> r =
        BenchVariant(*engine.Find(name), a.seed, a.txns, dir, Millis(a.deadline_ms),
                     a.tracer ? &recorders : nullptr, static_cast<int>(a.rounds));
    if (!r.ok()) {
      fmt::print(stderr, "crashlab: {}/{}: {}\n", engine.name, name, r.status().message());
      return kExitUsage;
    }
    auto column = [&](const std::optional<double>& seconds) {
      if (!seconds) return fmt::format(" {:>10} {:>8}", "n/a", "");
      return fmt::format(" {:>10.2f} {:>7.2f}x", *seconds, *seconds / std::max(r->seconds, 1e-9));
    };
    fmt::print(
        "{:<44} {:>8.2f} {:>10.0f} {:>13}{}\n", engine.name + "/" + name, r->seconds,
        r->commits_per_second,
        r->syncs_per_commit ? fmt::format("{:.2f}", *r->syncs_per_commit) : "n/a (no strace)",
        a.tracer ? column(r->traced_seconds) + column(r->ptrace_seconds) : "");
    if (a.rounds > 1) {
      // The spread says how far the medians can be trusted on this machine.
      std::string spread =
          fmt::format("  plain {:.2f}-{:.2f} s", r->plain.fastest, r->plain.slowest);
      for (const auto& [label, t] : {std::pair{"preload", &r->preload}, {"ptrace", &r->ptrace}}) {
        if (!t->runs.empty()) {
          spread += fmt::format(", {} {:.2f}-{:.2f} s", label, t->fastest, t->slowest);
        }
      }
      fmt::print("{:<44}{}\n", "", spread);
    }
    std::fflush(stdout);
  }
  if (a.dir.empty()) fs::remove_all(dir, ec);
  return kExitHeld;
}

}  // namespace

void AddBenchCommand(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Measure each variant's commits per second, and its syncs per commit under strace "
      "(fsync, fdatasync, msync MS_SYNC, sync_file_range, O_DSYNC/O_SYNC writes)");
  cmd->add_option("--engine", a->engine, "Engine name or path to a variants.ini")->required();
  cmd->add_option("--variant", a->variants, "Variant (repeatable); all when absent");
  cmd->add_option("--txns", a->txns, "Transactions per variant")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  cmd->add_option("--seed", a->seed, "Workload seed")->capture_default_str();
  cmd->add_option("--dir", a->dir, "Directory for the databases; default a temporary one, removed");
  cmd->add_option("--rounds", a->rounds,
                  "Time each pass this many times, plain and traced interleaved, and print the "
                  "medians (and each kind's fastest and slowest run)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{99}));
  AddDeadlineOption(*cmd, a->deadline_ms);
  cmd->add_flag(
      "--tracer", a->tracer,
      "Also time each variant under each recorder (libcrashlab_preload.so where it reaches "
      "the program, and crashlab-ptrace), as traced cases run them, and print the ratios");
  AddEnginesDirOption(*cmd, a->engines_dir);
  cmd->callback([a, &exit_code] { exit_code = Bench(*a); });
}

}  // namespace crashlab::cli
