#include "framework/plan/crash_plan.h"

#include <cstdio>

#include "framework/base/prng.h"

namespace crashlab {

std::string KillPlan::ToString() const {
  if (at_point()) return "kill point=" + point + " hit=" + std::to_string(hit);
  return "kill txn=" + std::to_string(txn) + " delay_us=" + std::to_string(delay_us);
}

Result<KillPlan> KillPlan::Parse(const std::string& text) {
  unsigned long long a = 0;
  long long b = 0;
  int end = 0;
  if (std::sscanf(text.c_str(), "kill txn=%llu delay_us=%lld%n", &a, &b, &end) == 2 &&
      static_cast<std::size_t>(end) == text.size() && b >= 0) {
    return KillPlan{static_cast<std::size_t>(a), b, "", 0};
  }
  const std::string prefix = "kill point=";
  const std::size_t hit_at = text.rfind(" hit=");
  if (text.rfind(prefix, 0) == 0 && hit_at != std::string::npos && hit_at > prefix.size()) {
    char* tail = nullptr;
    const long long hit = std::strtoll(text.c_str() + hit_at + 5, &tail, 10);
    if (hit > 0 && tail != nullptr && *tail == '\0') {
      return KillPlan{0, 0, text.substr(prefix.size(), hit_at - prefix.size()), hit};
    }
  }
  return Status::Error("not a kill plan: '" + text +
                       "'; expected 'kill txn=N delay_us=N' or 'kill point=NAME hit=N'");
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

KillPlan PlanPointKill(uint64_t campaign_seed, uint64_t case_index, std::size_t txn_count,
                       const std::string& requested, const std::vector<std::string>& points) {
  Prng prng = Prng::ForCase(campaign_seed, kCrashPlanStream, case_index);
  KillPlan plan;
  plan.point = requested;
  if (requested == "any" && !points.empty()) plan.point = points[prng.Below(points.size())];
  const uint64_t spread = prng.Below(txn_count) + 1;
  plan.hit = static_cast<int64_t>(prng.Below(spread)) + 1;
  return plan;
}

}  // namespace crashlab
