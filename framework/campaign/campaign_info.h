// The campaigns row of a new campaign, filled in one place for every command
// that begins one (run, soak, explore, shrink), so that they all record the
// same things the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/base/vocabulary.h"
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
};

// The row for ResultsStore::BeginCampaign: `facts` as the store spells them,
// and the host and crashlab version this runs on.
CampaignInfo CampaignInfoFor(const CampaignFacts& facts);

}  // namespace crashlab
