// The campaigns row of a new campaign, filled in one place for every command
// that begins one (run, soak, explore, shrink), so that they all record the
// same things the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/base/vocabulary.h"
#include "framework/engine/recorder.h"
#include "framework/engine/variants_file.h"
#include "framework/plan/workload.h"
#include "framework/store/results_store.h"

namespace crashlab {

// What the command knows about the campaign it begins.
struct CampaignFacts {
  std::string command_line;           // the crashlab command as typed
  std::string engine;                 // engine name
  std::vector<std::string> variants;  // the variants the campaign covers, in order
  std::vector<CrashKind> crashes;     // its crash kinds, in the order cases take them
  uint64_t seed = 0;
  int64_t cases_per_variant = 0;  // 0: a time budget rather than a count (a soak)
  // The shard of the campaign this command runs (--shard i/n); 1: all of it.
  int64_t shard_index = 0, shard_count = 1;
  // The workload every case runs when it was given rather than drawn from
  // the seed (a case `crashlab shrink` made); null otherwise.
  const Workload* workload = nullptr;
  // Traced campaigns: the recorder the command asked for, and what it chose
  // for each variant's program, in `variants` order (empty: no traced case).
  RecorderKind recorder_asked = RecorderKind::kAuto;
  std::vector<RecorderChoice> recorders = {};
};

// What `asked` chooses for each of `variants` of `engine` (ChooseRecorder).
std::vector<RecorderChoice> RecordersFor(RecorderKind asked, const EngineSpec& engine,
                                         const std::vector<std::string>& variants);

// The header lines that say how the traced cases of `facts` record, one per
// distinct choice: "recorder ptrace (v1, v2): PROGRAM is statically linked:
// ...", each ending in '\n'; "" for an untraced campaign.
std::string RecorderLines(const CampaignFacts& facts);

// The row for ResultsStore::BeginCampaign: `facts` as the store spells them,
// and the host and crashlab version this runs on. When auto chose one
// recorder for every variant, the command line gets ` --recorder KIND`, so
// that a rerun by failure id records the same way even if a program changes.
CampaignInfo CampaignInfoFor(const CampaignFacts& facts);

}  // namespace crashlab
