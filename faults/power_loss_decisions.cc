#include "faults/power_loss_decisions.h"

#include <algorithm>

namespace crashlab::faults::internal {

Resolution ResolveNames(const State& state, Profile profile, Decider& decider,
                        CrashReport* report) {
  Prng& prng = decider.prng();
  Resolution r;
  if (profile == Profile::kExt4Ordered) {
    r.journal_cut = static_cast<uint64_t>(prng.Range(static_cast<int64_t>(state.journal_floor),
                                                     static_cast<int64_t>(state.journal_ops)));
  }
  std::map<std::string, int>& names = r.names;
  names = state.base_names;
  for (const NameOp& op : state.name_ops) {
    bool keep = op.durable;
    if (!keep) {
      keep = profile == Profile::kExt4Ordered ? op.journal_ordinal < r.journal_cut : decider.Keep();
    }
    // A change whose premise was reverted (its directory, or the name it
    // moves) cannot happen either.
    auto parent = names.find(
        Parent(op.kind == EventKind::kRename || op.kind == EventKind::kLink ? op.path2 : op.path));
    bool possible = parent != names.end() && state.nodes[parent->second].dir;
    if (op.kind != EventKind::kOpen && op.kind != EventKind::kMkdir) {
      auto source = names.find(op.path);
      possible = possible && source != names.end() && source->second == op.node;
    }
    const bool applied = keep && possible;
    if (applied) {
      switch (op.kind) {
        case EventKind::kRename:
          MoveTree(names, op.path, op.path2);
          // DURABILITY (ext4 auto_da_alloc): replace-via-rename flushes the
          // renamed file's data before the rename commits.
          if (profile == Profile::kExt4Ordered && op.replaces) {
            r.flush_before[op.node] = std::max(r.FlushBefore(op.node), op.seq);
          }
          break;
        case EventKind::kLink:
          names[op.path2] = op.node;
          break;
        case EventKind::kUnlink:
        case EventKind::kRmdir:
          EraseTree(names, op.path);
          break;
        default:
          names[op.path] = op.node;
          break;
      }
    }
    if (report != nullptr && !op.durable) {
      report->names.push_back(NameOutcome{op.seq, op.kind, op.path, op.path2, applied});
    }
  }
  return r;
}

}  // namespace crashlab::faults::internal
