#include "framework/campaign/campaign_info.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace crashlab {

CampaignInfo CampaignInfoFor(const CampaignFacts& facts) {
  CampaignInfo info;
  info.command_line = facts.command_line;
  if (facts.recorder_asked == RecorderKind::kAuto && !facts.recorders.empty() &&
      std::all_of(facts.recorders.begin(), facts.recorders.end(), [&](const RecorderChoice& c) {
        return c.kind == facts.recorders.front().kind;
      })) {
    info.command_line += fmt::format(" --recorder {}", RecorderName(facts.recorders.front().kind));
  }
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

std::vector<RecorderChoice> RecordersFor(RecorderKind asked, const EngineSpec& engine,
                                         const std::vector<std::string>& variants) {
  std::vector<RecorderChoice> choices;
  for (const std::string& name : variants) {
    const VariantSpec* variant = engine.Find(name);
    choices.push_back(ChooseRecorder(asked, variant ? variant->argv : std::vector<std::string>{}));
  }
  return choices;
}

std::string RecorderLines(const CampaignFacts& facts) {
  // (kind, why) -> the variants that share it, in order of first appearance.
  std::vector<std::pair<const RecorderChoice*, std::vector<std::string>>> groups;
  for (std::size_t i = 0; i < facts.recorders.size() && i < facts.variants.size(); ++i) {
    const RecorderChoice& c = facts.recorders[i];
    auto same = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
      return g.first->kind == c.kind && g.first->why == c.why;
    });
    if (same == groups.end()) same = groups.insert(groups.end(), {&c, {}});
    same->second.push_back(facts.variants[i]);
  }
  std::string out;
  for (const auto& [choice, names] : groups) {
    out += fmt::format("recorder {}{}: {}\n", RecorderName(choice->kind),
                       groups.size() > 1 ? fmt::format(" ({})", fmt::join(names, ", ")) : "",
                       choice->why);
  }
  return out;
}

}  // namespace crashlab
