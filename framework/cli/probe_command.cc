// crashlab probe: platform experiments that tell whether an engine's I/O
// assumptions hold on this kernel and file system. `probe coherence` runs
// faults/coherence_probe.h: are O_DIRECT|O_DSYNC writes visible through a
// shared mapping of the same file as soon as they return?
#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "faults/coherence_probe.h"
#include "framework/cli/common.h"

namespace crashlab::cli {
namespace {

void PrintReport(const faults::CoherenceOptions& options, const faults::CoherenceResult& r) {
  fmt::print("coherence probe in {}\n", options.directory);
  fmt::print("  platform: {}, {}, {}\n", r.kernel, r.fs_type, faults::WriteModeName(r.mode));
  fmt::print("  setup:    {:.2f} MiB file, {} KiB writes, {} reader thread(s), {:.1f} s\n",
             static_cast<double>(r.file_bytes) / (1 << 20), options.write_bytes >> 10,
             options.readers, r.elapsed_seconds);
  fmt::print("  writes:   {} ({} pass(es) over the file)\n", r.writes, r.passes);
  fmt::print("  checked:  {} page reads through the mapping right after a write\n",
             r.pages_checked);
  fmt::print("  readers:  {} page reads racing with the writes\n", r.reader_page_reads);
  fmt::print("  faults:   {} major (page read from the device), {} minor\n", r.major_faults,
             r.minor_faults);
  fmt::print("  stale:    {}\n", r.stale_pages);
  for (const faults::StalePage& s : r.first_stale) {
    const std::string seen =
        s.seen_pass < 0 ? "no pattern word" : fmt::format("pass {}", s.seen_pass);
    fmt::print("    offset {:#x}: wrote pass {}, mapping showed {}; a second read {}\n", s.offset,
               s.pass, seen, s.fresh_on_reread ? "saw the new data" : "still saw old data");
  }
  if (r.coherent()) {
    fmt::print("coherent: no stale read in {} checks\n", r.pages_checked);
  } else {
    fmt::print("NOT coherent: {} of {} page reads after a write returned saw old data\n",
               r.stale_pages, r.pages_checked);
  }
}

void AddCoherenceCommand(CLI::App& probe, int& exit_code) {
  struct Args {
    std::string dir;
    double seconds = 5;
    uint64_t file_mib = 64;
    uint64_t write_kib = 12;
    int readers = 1;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = probe.add_subcommand(
      "coherence",
      "Write a file with O_DIRECT|O_DSYNC while reading it through a shared mapping, and count "
      "pages the mapping shows stale right after their write returned (exit 0 coherent, 1 stale "
      "reads seen, 2 setup error)");
  cmd->add_option("--dir", a->dir,
                  "Directory on the file system to probe (one file is created "
                  "there and removed)")
      ->required();
  cmd->add_option("--seconds", a->seconds, "How long to write")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 86400.0));
  cmd->add_option("--file-mib", a->file_mib, "Size of the probe file in MiB")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20));
  cmd->add_option("--write-kib", a->write_kib,
                  "Bytes per write in KiB, a multiple of the page size (12 = 3 pages, as in the "
                  "experiment this reproduces)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{4}, uint64_t{1} << 20));
  cmd->add_option("--readers", a->readers, "Threads reading the mapping around the writer")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  cmd->callback([a, &exit_code] {
    faults::CoherenceOptions options;
    options.directory = a->dir;
    options.file_bytes = a->file_mib << 20;
    options.write_bytes = a->write_kib << 10;
    options.duration = std::chrono::milliseconds(std::llround(a->seconds * 1000));
    options.readers = a->readers;
    Result<faults::CoherenceResult> r = faults::RunCoherenceProbe(options);
    if (!r.ok()) {
      fmt::print(stderr, "crashlab: {}\n", r.status().message());
      exit_code = kExitUsage;
      return;
    }
    PrintReport(options, *r);
    exit_code = r->coherent() ? kExitHeld : kExitViolations;
  });
}

}  // namespace

void AddProbeCommand(CLI::App& app, int& exit_code) {
  CLI::App* probe = app.add_subcommand(
      "probe", "Platform experiments: check an I/O assumption of the engines on this machine");
  probe->require_subcommand(1);
  AddCoherenceCommand(*probe, exit_code);
}

}  // namespace crashlab::cli
