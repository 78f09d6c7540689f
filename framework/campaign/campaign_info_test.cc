#include "framework/campaign/campaign_info.h"

#include <gtest/gtest.h>

namespace crashlab {
namespace {

TEST(CampaignInfoTest, SpellsVariantsCrashKindsAndShardAsTheStoreDoes) {
  const CampaignInfo info = CampaignInfoFor({
      .command_line = "crashlab run --engine toykv --shard 2/3",
      .engine = "toykv",
      .variants = {"fsync", "nosync"},
      .crashes = {CrashKind::kKill, CrashKind::kPowerLoss},
      .seed = 42,
      .cases_per_variant = 7,
      .shard_index = 2,
      .shard_count = 3,
  });
  EXPECT_EQ(info.command_line, "crashlab run --engine toykv --shard 2/3");
  EXPECT_EQ(info.engine, "toykv");
  EXPECT_EQ(info.variants, "fsync,nosync");
  EXPECT_EQ(info.crash_kind, "kill,power-loss");
  EXPECT_EQ(info.seed, 42u);
  EXPECT_EQ(info.cases_per_variant, 7);
  EXPECT_EQ(info.shard, "2/3");
  EXPECT_EQ(info.host, Hostname());
  EXPECT_EQ(info.crashlab_version, CRASHLAB_VERSION);
  EXPECT_EQ(info.workload, "");  // drawn from the seed: NULL in the store
}

TEST(CampaignInfoTest, AnUnshardedCampaignHasNoShardAndAGivenWorkloadIsStoredAsText) {
  Workload workload = GenerateWorkload(5, 0, 3);
  const CampaignInfo info = CampaignInfoFor({
      .command_line = "crashlab shrink 3",
      .engine = "toykv",
      .variants = {"fsync"},
      .crashes = {CrashKind::kPowerLoss},
      .workload = &workload,
  });
  EXPECT_EQ(info.variants, "fsync");
  EXPECT_EQ(info.crash_kind, "power-loss");
  EXPECT_EQ(info.shard, "");
  EXPECT_EQ(info.workload, WorkloadText(workload));
  EXPECT_FALSE(info.workload.empty());
}

TEST(CampaignInfoTest, AutoChoosingOneRecorderForEveryVariantSaysSoInTheCommandLine) {
  const RecorderChoice ptrace{RecorderKind::kPtrace, "engine is statically linked"};
  const RecorderChoice preload{RecorderKind::kPreload, "engine2 is dynamically linked"};
  CampaignFacts facts{.command_line = "crashlab run --engine e --crash power-loss",
                      .engine = "e",
                      .variants = {"a", "b"},
                      .crashes = {CrashKind::kPowerLoss},
                      .recorder_asked = RecorderKind::kAuto,
                      .recorders = {ptrace, ptrace}};
  EXPECT_EQ(CampaignInfoFor(facts).command_line,
            "crashlab run --engine e --crash power-loss --recorder ptrace");
  EXPECT_EQ(RecorderLines(facts), "recorder ptrace: engine is statically linked\n");

  facts.recorders = {ptrace, preload};  // no one choice: auto chooses again on a rerun
  EXPECT_EQ(CampaignInfoFor(facts).command_line, "crashlab run --engine e --crash power-loss");
  EXPECT_EQ(RecorderLines(facts),
            "recorder ptrace (a): engine is statically linked\n"
            "recorder preload (b): engine2 is dynamically linked\n");

  facts.recorder_asked = RecorderKind::kPtrace;  // as typed: the line says it already
  facts.recorders = {ptrace, ptrace};
  EXPECT_EQ(CampaignInfoFor(facts).command_line, "crashlab run --engine e --crash power-loss");

  facts.recorders = {};  // an untraced campaign
  EXPECT_EQ(RecorderLines(facts), "");
}

}  // namespace
}  // namespace crashlab
