// A campaign: N seeded cases on each chosen variant of one engine, each case
// crashed by one of the campaign's crash kinds (see CrashOfCase),
// every case recorded in the results store as it finishes.
#pragma once

#include <bit>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "framework/campaign/case_record.h"
#include "framework/case/kill_case.h"
#include "framework/case/traced_case.h"
#include "framework/engine/engine_process.h"
#include "framework/engine/recorder.h"
#include "framework/engine/variants_file.h"
#include "framework/store/results_store.h"

namespace crashlab {

// A trace is 0.1 to a few MB, crash files up to 4 MiB: the first this many
// failures of each variant and crash kind in a campaign keep theirs for an
// exact replay (and `crashlab explain`), later ones repro by rerunning.
inline constexpr int64_t kTracesKeptPerTally = 20;

struct CampaignOptions {
  EngineSpec engine;
  std::string engine_arg;             // --engine as typed: a name or a path, for repro commands
  std::vector<std::string> variants;  // names, already checked against `engine`
  uint64_t seed = 0;
  int64_t cases = 0;     // per variant
  std::size_t txns = 0;  // transactions per workload (--txns); 0: drawn by the seed
  std::string db_path = "crashlab.db";
  // Where case directories go; empty means a fresh temporary directory. It
  // must be empty or absent: crashlab never mixes its cases with other files.
  std::string workdir;
  bool keep_cases = false;  // keep every case directory, not just failing ones
  Millis deadline{10000};
  // Case i is crashed by crashes[i % crashes.size()]; see CrashOfCase.
  std::vector<CrashKind> crashes = {CrashKind::kKill};
  // Live mode (traced_case.h): the tracer kills the engine for real at a
  // traced event; kill cases verify what it left, power-loss cases a state
  // derived from its trace, and both check the model against the kernel.
  bool live = false;
  // Kill only (not live). Empty for timed kills; else kill at this named point of the
  // engine, or "any" for a point chosen by the seed (crash_plan.h).
  std::string point;
  // Power loss only: the persistence profile, the atomic write unit and the
  // tracer (libcrashlab_preload.so).
  faults::Profile profile = faults::Profile::kPosix;
  uint32_t atomic_unit = 512;
  Recorder recorder;  // how traced runs record (engine/recorder.h)
  std::string command_line;  // as typed, for the campaigns table
  int64_t matrix_id = 0;     // when not 0, the campaign is linked to this matrix
  // Run only the cases whose index is shard_index modulo shard_count
  // (--shard i/n), so that n machines split one campaign; merged, the shards'
  // databases hold the cases of the whole campaign.
  int64_t shard_index = 0, shard_count = 1;

  // With two kinds, case i takes the parity of its index's 1 bits (the
  // Thue-Morse sequence): each pair 2j, 2j+1 has one case of each kind, so
  // any even count is split evenly, and so is every --shard i/n, even for an
  // even n (plain alternation would give each such shard one kind only).
  CrashKind CrashOfCase(int64_t i) const {
    const auto bits = static_cast<std::size_t>(std::popcount(static_cast<uint64_t>(i)));
    return crashes[bits % crashes.size()];
  }
  // Whether any case needs libcrashlab_preload.so.
  bool Traced() const;
};

struct VariantTally {
  std::string variant;
  CrashKind crash = CrashKind::kKill;
  Contract contract = Contract::kDurable;
  int64_t cases = 0;
  int64_t violations = 0;
  std::map<Verdict, int64_t> verdicts;
};

struct CampaignSummary {
  int64_t campaign_id = 0;
  std::vector<VariantTally> tallies;
  int64_t violations = 0;
  std::string workdir;  // where failing (or, with keep_cases, all) cases remain; empty if none
};

// The work directory: created fresh under TMPDIR when `requested` is empty;
// an existing one must be empty unless `may_hold_earlier_cases` (a resumed
// soak's own, holding the failures it kept). Returns its absolute path.
[[nodiscard]] Result<std::string> PrepareWorkdir(const std::string& requested,
                                                 bool may_hold_earlier_cases = false);

// A new directory named crashlab-`what`-XXXXXX in memory (/dev/shm), for
// work written and removed thousands of times (crash states, trial
// databases); under TMPDIR where /dev/shm is not writable. The caller
// removes it.
[[nodiscard]] Result<std::string> MemoryWorkdir(const std::string& what);

// Runs the campaign, printing one line per violation and per finished variant
// to `out`. Errors are setup failures (the database or the work directory
// cannot be used, an engine cannot be started), never verdicts.
[[nodiscard]] Result<CampaignSummary> RunCampaign(const CampaignOptions& options, std::FILE* out);

struct CaseOutcome {
  CaseRecord record;
  Verdict verdict = Verdict::kPass;
  // What the case's directory held on disk when it ended (DiskFootprint):
  // the room the next case is expected to need (RoomForNextCase).
  uint64_t footprint = 0;
};

// Whether the file system of `dir` has room for another case, when the
// largest case directory so far took `largest_footprint` bytes (0 before the
// first case). Cases differ in size with their seeds, so twice that is asked
// for, and never less than kFullBelowBytes. An error names the directory,
// what is free and what is needed: a case that runs out of space mid-way
// judges the disk, not the engine (the traced run reports it when it
// happens anyway).
[[nodiscard]] Status RoomForNextCase(const std::string& dir, uint64_t largest_footprint);

// Runs case `i` of `variant`, crashed by o.CrashOfCase(i), in `case_dir` (new);
// `points` are the engine's named points (ProbeEngine). Errors are setup
// failures, a full file system, or an engine that failed before any crash,
// never verdicts.
[[nodiscard]] Result<CaseOutcome> RunOneCase(const CampaignOptions& o, const VariantSpec& variant,
                                             const std::vector<std::string>& points, int64_t i,
                                             const std::string& case_dir);

// The spec of traced case `i` of `variant` (power loss, or live mode).
TracedCaseSpec TracedSpecFor(const CampaignOptions& o, const VariantSpec& variant, int64_t i,
                             const std::string& case_dir);

// The command that reruns case `case_index` of `variant` (with the case's own
// crash kind); o.engine_arg is --engine as the user gave it.
std::string ReproCommand(const CampaignOptions& o, const std::string& variant, int64_t case_index);

}  // namespace crashlab
