#include "framework/campaign/soak_setup.h"

#include <iterator>
#include <system_error>

#include <fmt/format.h>

#include "framework/campaign/campaign_info.h"
#include "framework/case/kill_case.h"

namespace crashlab::soak_internal {
namespace {

namespace fs = std::filesystem;

// What the campaign of `engine` and `shape` runs: the soak's shared options,
// the engine with all its variants, the shape's transactions.
CampaignOptions SoakCampaignOptions(const SoakOptions& o, const SoakEngine& engine,
                                    const SoakShape& shape) {
  CampaignOptions options = o.base;
  options.engine = engine.spec;
  options.engine_arg = engine.arg;
  options.variants = engine.variants;
  options.txns = shape.txns;
  options.command_line = o.command_line;
  return options;
}

// The campaigns row of a new soak's campaign for `engine`.
CampaignInfo SoakCampaignInfo(const SoakOptions& o, const SoakEngine& engine) {
  return CampaignInfoFor({
      .command_line = o.command_line,
      .engine = engine.spec.name,
      .variants = engine.variants,
      .crashes = o.base.crashes,
      .seed = o.base.seed,
      .cases_per_variant = 0,  // a time budget, not a count
      .shard_index = o.base.shard_index,
      .shard_count = o.base.shard_count,
      .workload = nullptr,
      .recorder_asked = o.base.recorder.kind,
      .recorders = o.base.Traced()
                       ? RecordersFor(o.base.recorder.kind, engine.spec, engine.variants)
                       : std::vector<RecorderChoice>{},
  });
}

// The campaign the resumed soak recorded for `engine` and `shape`.
Result<int64_t> FindResumedCampaign(const SoakRun& run, const SoakEngine& engine,
                                    const SoakShape& shape) {
  int64_t id = 0;
  for (const SoakCampaign& stored : run.resumed->campaigns) {
    if (stored.engine == engine.spec.name && stored.shape == shape.name) id = stored.campaign_id;
  }
  if (id == 0) {
    return Status::Error(fmt::format("--resume: soak {} has no campaign for {} {}",
                                     run.summary.soak_id, engine.spec.name, shape.name));
  }
  return id;
}

// The campaign of `engine` and `shape`: found on a resume; otherwise begun
// and linked to the soak, in that order, so that a failure to link still
// finds it among the campaigns to mark interrupted.
Status AddCampaign(SoakRun& run, const SoakEngine& engine, const SoakShape& shape) {
  Campaign c{0, shape.name, SoakCampaignOptions(run.options, engine, shape)};
  Result<int64_t> id = run.resumed ? FindResumedCampaign(run, engine, shape)
                                   : run.store.BeginCampaign(SoakCampaignInfo(run.options, engine));
  if (!id.ok()) return id.status();
  c.id = *id;
  run.campaigns.push_back(c);
  run.summary.campaigns[c.id] = c.options;
  if (run.resumed) return Status::Ok();
  return run.store.AddCampaignToSoak(run.summary.soak_id, c.id, shape.name,
                                     static_cast<int64_t>(shape.txns));
}

Status AddCampaigns(SoakRun& run) {
  for (const SoakEngine& engine : run.options.engines) {
    for (const SoakShape& shape : kSoakShapes) {
      if (Status s = AddCampaign(run, engine, shape); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

// The engine's named points, from a hello to `variant`; its stderr goes to
// <workdir>/<engine>/<variant>.hello.stderr, removed once the probe succeeds.
Result<std::vector<std::string>> ProbeVariant(const SoakRun& run, const SoakEngine& engine,
                                              const std::string& name, const VariantSpec& variant) {
  const fs::path log = fs::path(run.workdir) / engine.spec.name / (name + ".hello.stderr");
  std::error_code ec;
  fs::create_directories(log.parent_path(), ec);
  Result<std::vector<std::string>> points =
      ProbeEngine(engine.spec.name, variant, log.string(), run.options.base.deadline, "");
  if (!points.ok()) return points;
  fs::remove(log, ec);
  return points;
}

// The tallies of variant `name` of engine `e` (one per crash kind), then,
// once the variant answers a probe, its slots (one per shape).
Status AddVariantSlots(SoakRun& run, std::size_t e, const std::string& name) {
  const SoakOptions& o = run.options;
  const SoakEngine& engine = o.engines[e];
  const VariantSpec* variant = engine.spec.Find(name);
  for (CrashKind crash : o.base.crashes) {
    run.summary.tallies.push_back(
        {engine.spec.name + "/" + name, crash, variant->ContractFor(crash), 0, 0, {}});
  }
  Result<std::vector<std::string>> points = ProbeVariant(run, engine, name, *variant);
  if (!points.ok()) return points.status();
  for (std::size_t s = 0; s < std::size(kSoakShapes); ++s) {
    Slot slot;
    slot.campaign = e * std::size(kSoakShapes) + s;
    slot.variant = variant;
    slot.points = *points;
    slot.first_tally = run.summary.tallies.size() - o.base.crashes.size();
    slot.next_index = o.base.shard_index;
    slot.dir = fs::path(run.workdir) / engine.spec.name / kSoakShapes[s].name / name;
    run.slots.push_back(std::move(slot));
  }
  return Status::Ok();
}

Status AddSlotsAndTallies(SoakRun& run) {
  for (std::size_t e = 0; e < run.options.engines.size(); ++e) {
    for (const std::string& name : run.options.engines[e].variants) {
      if (Status s = AddVariantSlots(run, e, name); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

}  // namespace

Status FailSoak(SoakRun& run, const Status& why) {
  for (const Campaign& c : run.campaigns) (void)run.store.FinishCampaign(c.id, "interrupted");
  (void)run.store.FinishSoak(run.summary.soak_id, "interrupted");
  return why;
}

Status SetUpSoak(SoakRun& run) {
  Result<std::string> workdir =
      run.options.base.workdir.empty()
          ? SoakTemporaryWorkdir(run)
          : PrepareWorkdir(run.options.base.workdir, /*may_hold_earlier_cases=*/run.options.resume);
  if (!workdir.ok()) return workdir.status();
  run.workdir = *workdir;
  // Campaigns, slots and tallies, in engine, shape, variant, crash order.
  if (Status s = AddCampaigns(run); !s.ok()) return s;
  return AddSlotsAndTallies(run);
}

}  // namespace crashlab::soak_internal
