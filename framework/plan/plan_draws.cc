#include "framework/plan/plan_draws.h"

namespace crashlab {

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

KillPlan DrawKillPlan(uint64_t campaign_seed, uint64_t case_index, std::size_t txn_count,
                      const std::string& point, const std::vector<std::string>& points) {
  if (point.empty()) return PlanKill(campaign_seed, case_index, txn_count);
  return PlanPointKill(campaign_seed, case_index, txn_count, point, points);
}

namespace {

Result<uint64_t> DrawCrashEvent(const faults::Trace& trace, const std::string& point, Prng& prng) {
  if (!point.empty()) {
    std::vector<uint64_t> hits;
    for (const faults::Event& e : trace.events) {
      if (e.kind == faults::EventKind::kPoint && (point == "any" || e.name == point)) {
        hits.push_back(e.seq);
      }
    }
    if (hits.empty()) {
      return Status::Error("the traced run never reached point " + point +
                           "; `crashlab probe` lists the points an engine declares");
    }
    return hits[prng.Below(hits.size())];
  }
  std::vector<uint64_t> writes, stores;
  for (const faults::Event& e : trace.events) {
    if (e.kind == faults::EventKind::kWrite) writes.push_back(e.seq);
    if (e.kind == faults::EventKind::kMapWrite) stores.push_back(e.seq);
  }
  // Stores through a shared mapping are writes too, and a memory-mapped
  // engine (LMDB with MDB_WRITEMAP) makes almost no write() calls: when the
  // trace has both, a third of the points go to each, so that neither kind
  // drowns the other (pagejournal's few header writes among its many scratch
  // page stores).
  if (!stores.empty()) {
    const uint64_t third = prng.Below(3);
    if (third == 1 && !writes.empty()) return writes[prng.Below(writes.size())];
    if (third == 2) return stores[prng.Below(stores.size())];
    return prng.Below(trace.events.size() + 1);
  }
  if (!writes.empty() && prng.Chance(1, 2)) return writes[prng.Below(writes.size())];
  return prng.Below(trace.events.size() + 1);
}

}  // namespace

Result<TracedCrashDraw> DrawTracedCrash(const faults::Trace& trace, uint64_t campaign_seed,
                                        uint64_t case_index, const std::string& point) {
  Prng prng = Prng::ForCase(campaign_seed, kCrashPlanStream, case_index);
  Result<uint64_t> event = DrawCrashEvent(trace, point, prng);
  if (!event.ok()) return event.status();
  // The seed is drawn after the event, from the same stream.
  return TracedCrashDraw{*event, prng.Next() >> 1};
}

uint64_t ExploreStateSeed(uint64_t explore_seed, uint64_t c) {
  return Prng::ForCase(explore_seed, kExploreStream, c).Next() >> 1;
}

Prng ExploreSubsetDraws(uint64_t explore_seed, uint64_t c) {
  return Prng::ForCase(explore_seed, kExploreStream, c);
}

Prng ExploreTearDraws(uint64_t explore_seed, uint64_t c) {
  return Prng::ForCase(explore_seed, kExploreStream, c | (uint64_t{1} << 63));
}

}  // namespace crashlab
