#include "framework/campaign/campaign_info.h"

#include <fmt/format.h>

namespace crashlab {

CampaignInfo CampaignInfoFor(const CampaignFacts& facts) {
  CampaignInfo info;
  info.command_line = facts.command_line;
  info.engine = facts.engine;
  for (const std::string& v : facts.variants) {
    info.variants += (info.variants.empty() ? "" : ",") + v;
  }
  info.crash_kind = CrashKindsName(facts.crashes);
  info.seed = facts.seed;
  info.cases_per_variant = facts.cases_per_variant;
  info.host = Hostname();
  info.crashlab_version = CRASHLAB_VERSION;
  if (facts.shard_count > 1)
    info.shard = fmt::format("{}/{}", facts.shard_index, facts.shard_count);
  if (facts.workload != nullptr) info.workload = WorkloadText(*facts.workload);
  return info;
}

}  // namespace crashlab
