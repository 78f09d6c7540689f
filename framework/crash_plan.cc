#include "framework/crash_plan.h"

#include <cstdio>

#include "framework/prng.h"

namespace crashlab {

std::string KillPlan::ToString() const {
  return "kill txn=" + std::to_string(txn) + " delay_us=" + std::to_string(delay_us);
}

Result<KillPlan> KillPlan::Parse(const std::string& text) {
  unsigned long long txn = 0;
  long long delay = 0;
  int end = 0;
  if (std::sscanf(text.c_str(), "kill txn=%llu delay_us=%lld%n", &txn, &delay, &end) != 2 ||
      static_cast<std::size_t>(end) != text.size() || delay < 0) {
    return Status::Error("not a kill plan: '" + text + "'; expected 'kill txn=N delay_us=N'");
  }
  return KillPlan{static_cast<std::size_t>(txn), delay};
}

KillPlan PlanKill(uint64_t campaign_seed, uint64_t case_index, std::size_t txn_count) {
  Prng prng = Prng::ForCase(campaign_seed, kCrashPlanStream, case_index);
  KillPlan plan;
  plan.txn = static_cast<std::size_t>(prng.Below(txn_count));
  switch (prng.Below(4)) {
    case 0:
      plan.delay_us = 0;
      break;
    case 1:
      plan.delay_us = prng.Range(1, 200);
      break;
    case 2:
      plan.delay_us = prng.Range(201, 2000);
      break;
    default:
      plan.delay_us = prng.Range(2001, 20000);
      break;
  }
  return plan;
}

}  // namespace crashlab
