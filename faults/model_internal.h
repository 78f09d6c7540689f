// Internal to faults/: the persistence model's last step, from a replayed
// state to a crash state, shared by the one-shot model (persistence_model.h)
// and the walk over every crash point (crash_walk.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "faults/persistence_model.h"
#include "faults/trace_replay.h"
#include "framework/base/status.h"

namespace crashlab::faults::internal {

// File images kept between crash points of one walk (crash_walk.h), so that
// a state costs the changes still undecided, not the file's whole history.
// One cache serves kill states, another power-loss states.
struct ImageCache {
  struct Entry {
    bool started = false;
    std::string image;
    uint64_t next_seq = 0;  // kill: the changes of events before this are applied
    std::size_t ops = 0;    // power loss: the first `ops` changes (all durable) are applied
    std::optional<uint64_t> digest;  // ContentDigest(image), once computed
    // ContentDigest of the image with a set of later changes applied, by the
    // changes' identities: power-loss outcomes at one crash point share
    // most files' outcomes. Cleared whenever `image` changes.
    std::unordered_map<std::string, uint64_t> outcomes;
  };
  std::map<int, Entry> nodes;
};

// The tree a kill leaves: every change in `state` applied. `cache` may be
// null; else it must only ever see states of one walk, in order. With
// `digest` not null, only the tree's FastDigest (fast_digest.h) is computed
// and an empty tree returned.
Result<DirTree> KillTree(const State& state, ImageCache* cache, uint64_t* digest);

// The tree a power loss under `plan` leaves; `state` was replayed with the
// event at plan.event in flight and settled. `cache` and `digest` as for
// KillTree; a digest needs plan.choices.
Result<DirTree> PowerLossTree(const State& state, const PowerLossPlan& plan, CrashReport* report,
                              ImageCache* cache, uint64_t* digest);

}  // namespace crashlab::faults::internal
