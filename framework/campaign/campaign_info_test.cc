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

}  // namespace
}  // namespace crashlab
