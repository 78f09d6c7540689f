#include "framework/explore/explore_states.h"

#include "faults/fast_digest.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "faults/durability_rules.h"
#include "framework/base/prng.h"
#include "framework/plan/plan_draws.h"

namespace crashlab {
namespace {

using faults::EventKind;

// Events after which a kill leaves a different directory.
bool ChangesFiles(const faults::Event& e) {
  switch (e.kind) {
    case EventKind::kOpen:
      return (e.flags & faults::kOpenCreated) != 0 || (e.flags & faults::kOpenTrunc) != 0;
    case EventKind::kWrite:
    case EventKind::kTruncate:
    case EventKind::kFallocate:
    case EventKind::kMapWrite:
    case EventKind::kRename:
    case EventKind::kUnlink:
    case EventKind::kLink:
    case EventKind::kMkdir:
    case EventKind::kRmdir:
      return true;
    default:
      return false;
  }
}

}  // namespace

TracedPlan ExplorePlan(const Candidate& c, const ExploreOptions& o, uint64_t trace_events) {
  TracedPlan p;
  p.crash = c.crash;
  p.explore = true;
  p.explore_workload = o.given_workload ? -1 : o.workload;
  p.explore_txns = o.given_workload ? o.given_workload->txns.size() : o.txns;
  p.plan.event = c.event;
  if (c.crash == CrashKind::kKill) return p;
  p.trace_events = trace_events;
  if (c.seeded) {
    p.plan.profile = o.profile;
    p.plan.atomic_unit = o.atomic_unit;
    p.plan.seed = c.seed;
    return p;
  }
  if (c.block_fates) {
    p.block_fs = o.recorder.fs;
    p.block_fates = *c.block_fates;
    p.plan.atomic_unit = faults::kBlockSector;
    return p;
  }
  p.plan.profile = faults::Profile::kPosix;
  p.plan.atomic_unit = o.atomic_unit;
  p.plan.seed = c.seed;
  p.plan.choices = c.choices;
  return p;
}

std::string PlanText(const Candidate& c, const ExploreOptions& o, uint64_t trace_events) {
  return ExplorePlan(c, o, trace_events).PlanText();
}

StateEnumerator::StateEnumerator(const faults::Trace& trace, const ExploreOptions& o, Sink sink)
    : trace_(trace), o_(o), sink_(std::move(sink)), walk_(trace, {}, o.profile, o.atomic_unit) {}

Status StateEnumerator::Visit(uint64_t c, bool mine, int context) {
  if (walk_.point() != c) {
    return Status::Error(fmt::format("exploration visited crash point {} out of order", c));
  }
  const bool want_kill =
      std::find(o_.crashes.begin(), o_.crashes.end(), CrashKind::kKill) != o_.crashes.end();
  const bool want_power_loss =
      std::find(o_.crashes.begin(), o_.crashes.end(), CrashKind::kPowerLoss) != o_.crashes.end();
  const bool changed = c == 0 || ChangesFiles(trace_.events[c - 1]);
  if (changed) last_kill_.reset();
  if (mine && want_kill && (!last_kill_ || last_kill_context_ != context)) {
    if (Status s = OfferKill(c, context); !s.ok()) return s;
  }
  if (mine && want_power_loss) {
    const bool last = c == trace_.events.size();
    // Just before a call that asks for durability (with it in flight) the
    // most changes are pending.
    if (last || faults::AsksForDurability(trace_.events[c])) {
      if (Status s = OfferPowerLoss(c, context); !s.ok()) return s;
    }
    const bool write = !last && (trace_.events[c].kind == EventKind::kWrite ||
                                 trace_.events[c].kind == EventKind::kMapWrite);
    if (write && o_.profile == faults::Profile::kPosix) {
      Result<faults::PendingChanges> pending = walk_.Pending();
      if (!pending.ok()) return pending.status();
      if (pending->in_flight_units > 0) {
        if (Status s = OfferTears(c, context, pending->in_flight_units); !s.ok()) return s;
      }
    }
  }
  return walk_.Next();
}

Status StateEnumerator::OfferKill(uint64_t c, int context) {
  if (!last_kill_) {
    Result<uint64_t> digest = walk_.KillDigest();
    if (!digest.ok()) return digest.status();
    last_kill_ = *digest;
  }
  last_kill_context_ = context;
  Candidate candidate;
  candidate.crash = CrashKind::kKill;
  candidate.event = c;
  candidate.context = context;
  return sink_(candidate, *last_kill_, [this] { return walk_.Kill(); });
}

Status StateEnumerator::OfferChoices(uint64_t c, int context, faults::PowerLossChoices choices) {
  Candidate candidate;
  candidate.crash = CrashKind::kPowerLoss;
  candidate.event = c;
  candidate.context = context;
  candidate.seed = ExploreStateSeed(o_.seed, c);
  candidate.choices = std::move(choices);
  faults::PowerLossPlan plan;
  plan.seed = candidate.seed;
  plan.choices = candidate.choices;
  Result<uint64_t> digest = walk_.PowerLossDigest(plan);
  if (!digest.ok()) return digest.status();
  return sink_(std::move(candidate), *digest, [&] { return walk_.PowerLoss(plan, nullptr); });
}

Status StateEnumerator::OfferSeeded(uint64_t c, int context) {
  Prng prng = ExploreSubsetDraws(o_.seed, c);
  for (int i = 0; i < std::max(o_.samples, 1); ++i) {
    Candidate candidate;
    candidate.crash = CrashKind::kPowerLoss;
    candidate.event = c;
    candidate.context = context;
    candidate.seeded = true;
    candidate.seed = prng.Next();
    faults::PowerLossPlan plan;
    plan.event = c;
    plan.seed = candidate.seed;
    plan.profile = o_.profile;
    plan.atomic_unit = o_.atomic_unit;
    // No digest without building the tree: a seeded state is drawn whole.
    Result<faults::DirTree> tree = walk_.PowerLoss(plan, nullptr);
    if (!tree.ok()) return tree.status();
    const uint64_t digest = faults::FastDigest(*tree);
    if (Status s = sink_(std::move(candidate), digest,
                         [&]() -> Result<faults::DirTree> { return std::move(*tree); });
        !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

Status StateEnumerator::OfferPowerLoss(uint64_t c, int context) {
  if (o_.profile != faults::Profile::kPosix) return OfferSeeded(c, context);
  Result<faults::PendingChanges> pending = walk_.Pending();
  if (!pending.ok()) return pending.status();
  if (Status s = OfferSubsets(c, context, pending->changes); !s.ok()) return s;
  return OfferPendingTears(c, context, pending->writes);
}

Status StateEnumerator::OfferSubsets(uint64_t c, int context, int n) {
  if (n <= o_.subset_limit) {
    for (uint64_t keep = 0; keep < (uint64_t{1} << n); ++keep) {
      if (Status s = OfferChoices(c, context, {keep, ""}); !s.ok()) return s;
    }
    return Status::Ok();
  }
  // Too many for every subset: everything kept, nothing kept, each change
  // lost alone (where "this one write had to be durable" bugs show), and
  // seeded subsets.
  const uint64_t all = ~uint64_t{0};
  if (Status s = OfferChoices(c, context, {all, ""}); !s.ok()) return s;
  if (Status s = OfferChoices(c, context, {0, ""}); !s.ok()) return s;
  for (int j = 0; j < std::min(n, 64); ++j) {
    if (Status s = OfferChoices(c, context, {all & ~(uint64_t{1} << j), ""}); !s.ok()) return s;
  }
  Prng prng = ExploreSubsetDraws(o_.seed, c);
  for (int i = 0; i < o_.samples; ++i) {
    if (Status s = OfferChoices(c, context, {prng.Next(), ""}); !s.ok()) return s;
  }
  return Status::Ok();
}

Status StateEnumerator::OfferTears(uint64_t c, int context, uint64_t units) {
  // Everything else kept, the write in flight half written either way, or
  // with garbage past the old end of file (units inside it read as old).
  const uint64_t half = std::max<uint64_t>(1, units / 2);
  std::vector<std::string> tears;
  if (units == 1) {
    tears = {"O", "G"};
  } else {
    tears = {std::string(half, 'N') + std::string(units - half, 'O'),
             std::string(half, 'O') + std::string(units - half, 'N'),
             std::string(half, 'N') + std::string(units - half, 'G')};
  }
  for (std::string& tear : tears) {
    if (Status s = OfferChoices(c, context, {~uint64_t{0}, std::move(tear)}); !s.ok()) return s;
  }
  return Status::Ok();
}

Status StateEnumerator::OfferPendingTears(uint64_t c, int context,
                                          std::vector<faults::PendingChanges::Write> writes) {
  // The write in flight has its own tears (OfferTears); these are the writes
  // that completed and were never synced, which may reach the disk torn too.
  std::erase_if(writes, [c](const faults::PendingChanges::Write& w) { return w.event == c; });
  if (writes.empty()) return Status::Ok();
  // A stream apart from the subsets' samples (plan_draws.h).
  Prng prng = ExploreTearDraws(o_.seed, c);
  // Beyond `tear_writes` of them, a seeded choice (in trace order).
  while (writes.size() > static_cast<std::size_t>(std::max(o_.tear_writes, 0))) {
    writes.erase(writes.begin() + static_cast<std::ptrdiff_t>(prng.Below(writes.size())));
  }
  auto offer = [&](uint64_t event, std::string tear) {
    faults::PowerLossChoices choices{~uint64_t{0}, std::move(tear), event};
    return OfferChoices(c, context, std::move(choices));
  };
  for (const faults::PendingChanges::Write& w : writes) {
    // Everything kept, this write's first unit old, its last unit old
    // (zeros past the old end of file) or garbage: a record whose header or
    // commit marker was written after it is then whole but for its edge.
    const std::string body(w.units - 1, 'N');
    std::vector<std::string> tears = {"O" + body, body + "G"};
    if (w.units > 1) tears.push_back(body + "O");
    for (std::string& tear : tears) {
      if (Status s = offer(w.event, std::move(tear)); !s.ok()) return s;
    }
  }
  // Seeded tears: a pending write, each of its units new, old or garbage.
  for (int i = 0; i < o_.tear_samples; ++i) {
    const faults::PendingChanges::Write& w = writes[prng.Below(writes.size())];
    std::string tear(w.units, 'N');
    for (char& unit : tear) unit = "NNOG"[prng.Below(4)];
    if (tear.find_first_not_of('N') == std::string::npos) tear[prng.Below(w.units)] = 'O';
    if (Status s = offer(w.event, std::move(tear)); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace crashlab
