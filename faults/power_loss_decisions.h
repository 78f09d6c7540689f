// Internal to faults/: what a power loss decides before it decides any
// file's content — the stream of decisions a plan's seed or explicit choices
// give (Decider), and the namespace after the loss with, for ext4-ordered,
// the journal's cut and the data a kept rename forced out (ResolveNames).
// The rules are in docs/persistence-model.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "faults/persistence_model.h"
#include "faults/trace_replay.h"
#include "framework/base/prng.h"

namespace crashlab::faults::internal {

// Decides which pending changes survive: seeded draws, or a plan's explicit
// choices, consumed in the order the model asks.
class Decider {
 public:
  explicit Decider(const PowerLossPlan& plan)
      : prng_(plan.seed), choices_(plan.choices ? &*plan.choices : nullptr) {}
  bool Keep() {
    if (choices_ == nullptr) return prng_.Chance(1, 2);
    const bool keep = next_ >= 64 || ((choices_->keep >> next_) & 1) != 0;
    ++next_;
    return keep;
  }
  // Whether `op` is the write the choices tear: the first pending piece of
  // the torn event (the write in flight when none is named). Asked once per
  // pending content change, in the model's order.
  bool TearTarget(uint64_t seq, uint64_t crash_point) {
    if (choices_ == nullptr || choices_->tear.empty() || tear_seen_) return false;
    if (seq != choices_->torn_event.value_or(crash_point)) return false;
    tear_seen_ = true;
    return true;
  }
  const PowerLossChoices* choices() const { return choices_; }
  Prng& prng() { return prng_; }

 private:
  Prng prng_;
  const PowerLossChoices* choices_;
  int next_ = 0;
  bool tear_seen_ = false;
};

// What a power loss decided before content: the namespace, and for ext4
// the journal's cut and the data a kept rename forced out.
struct Resolution {
  std::map<std::string, int> names;
  uint64_t journal_cut = 0;              // ext4: metadata ordinals below this survive
  std::map<int, uint64_t> flush_before;  // ext4 auto_da_alloc: node -> changes before this event
  uint64_t FlushBefore(int node) const {
    auto it = flush_before.find(node);
    return it == flush_before.end() ? 0 : it->second;
  }
};

// The namespace after the power loss: the starting tree with every durable
// change and the seeded subset (posix) or the journal's prefix (ext4) of the
// others; a change whose premise was reverted does not happen either. Under
// ext4-ordered, draws the journal's cut first. Adds each name change that
// was not durable to `report`, when not null.
Resolution ResolveNames(const State& state, Profile profile, Decider& decider, CrashReport* report);

}  // namespace crashlab::faults::internal
