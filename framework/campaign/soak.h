// A soak (crashlab soak): cases over a time budget rather than a count, for
// nightly CI. It rotates through every engine, variant, workload shape and
// crash kind, so that each gets cases early and keeps getting them; it can be
// resumed after its controller was killed, losing at most the case in flight.
//
// Rotation: one campaign per (engine, shape), every variant of the engine in
// it. A slot is (engine, shape, variant); the next case goes to the slot
// with the fewest cases so far, ties broken in an order drawn from the seed,
// so slots take turns (round robin) and a resume continues where the
// recorded cases say the rotation was. A slot's cases are its campaign's
// case indexes for that variant, in order (shard i/n: i, i+n, i+2n, ...);
// each case's crash kind is CrashOfCase(index), as in `crashlab run`.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "framework/campaign/campaign.h"
#include "framework/campaign/soak_progress.h"

namespace crashlab {

// A workload shape: how many transactions each case's workload has.
struct SoakShape {
  const char* name;
  std::size_t txns;  // 0: drawn by the seed (4 to 24)
};
inline constexpr SoakShape kSoakShapes[] = {{"short", 0}, {"long", 100}};

struct SoakEngine {
  std::string arg;  // --engine as typed, for repro commands
  EngineSpec spec;
  std::vector<std::string> variants;  // checked against `spec`
};

struct SoakOptions {
  std::vector<SoakEngine> engines;
  // What every campaign shares: seed, crashes, db_path, workdir (when set,
  // new or empty; with `resume` it may hold the earlier runs' kept cases),
  // deadline, profile, atomic unit, preload, shard.
  CampaignOptions base;
  std::chrono::seconds duration{0};
  // Continue the most recent unfinished soak in base.db_path; its settings
  // (SoakSettings) must equal these.
  bool resume = false;
  std::string command_line;
  bool progress_in_place = false;  // stdout is a terminal
};

// The options that decide which cases a soak runs and how they are judged,
// one "key value" per line. Paths (database, work directory, tracer,
// engines directory) and reporting options (--junit) are not in it: a soak
// may be resumed from another checkout or with another report file.
std::string SoakSettings(const SoakOptions& options);

// The slot that gets the next case: fewest cases so far, ties in an order
// drawn from the seed.
class SoakRotation {
 public:
  SoakRotation(std::size_t slots, uint64_t seed);
  void SetCases(std::size_t slot, int64_t cases) { cases_[slot] = cases; }
  void CountCase(std::size_t slot) { ++cases_[slot]; }
  std::size_t Next() const;

 private:
  std::vector<std::size_t> order_;
  std::vector<int64_t> cases_;
};

struct SoakSummary {
  int64_t soak_id = 0;
  // Per engine, variant and crash kind (shapes summed); `variant` reads
  // "engine/variant". Includes the cases of earlier runs of a resumed soak.
  std::vector<VariantTally> tallies;
  int64_t cases = 0, violations = 0;  // the whole soak
  int64_t cases_here = 0;             // this run of the controller
  std::chrono::milliseconds elapsed{0}, elapsed_here{0};
  // 0, or the signal (SIGINT, SIGTERM, SIGHUP) that interrupted the soak: the
  // case in flight was not recorded and the soak is marked interrupted.
  int interrupted_by = 0;
  // Each campaign's options, for repro commands of its cases.
  std::map<int64_t, CampaignOptions> campaigns;
  std::string kept_workdir;  // where failing cases remain; empty if none
  ProcessUsage usage_start, usage_end;
};

// Runs (or, with options.resume, continues) a soak, printing its header,
// progress and violations to `out`. An interruption by a signal is a
// summary (interrupted_by), not an error. Errors are setup failures: the
// database or work directory cannot be used, an engine cannot be started,
// nothing to resume or a resume with other settings; the soak is then
// marked interrupted.
[[nodiscard]] Result<SoakSummary> RunSoak(const SoakOptions& options, std::FILE* out);

// The summary's closing lines: one tally per engine, variant and crash kind,
// then the totals.
std::string FormatSoakSummary(const SoakSummary& summary);

}  // namespace crashlab
