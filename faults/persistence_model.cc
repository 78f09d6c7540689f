#include "faults/persistence_model.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "faults/ext4_ordered.h"
#include "faults/fast_digest.h"
#include "faults/model_internal.h"
#include "faults/power_loss_decisions.h"
#include "faults/torn_write.h"
#include "faults/trace_file.h"
#include "faults/trace_replay.h"
#include "framework/base/prng.h"

namespace crashlab::faults {
namespace {

using internal::ApplyChange;
using internal::ChosenTear;
using internal::ContentOp;
using internal::Decider;
using internal::DrawTear;
using internal::Ext4GrowthKept;
using internal::Ext4StaleTails;
using internal::GrowsFile;
using internal::ImageCache;
using internal::kExt4Block;
using internal::kTearOneIn;
using internal::Node;
using internal::Parent;
using internal::Replay;
using internal::Resolution;
using internal::ResolveNames;
using internal::SizeAfter;
using internal::State;
using internal::UnitCount;

void AddAncestors(const std::string& path, std::set<std::string>& dirs) {
  for (std::string p = Parent(path); !p.empty(); p = Parent(p)) dirs.insert(p);
}

// Brings `entry` up to date with the changes every later state shares: for a
// kill every change so far (tracked by event, since a later sync may split a
// write into pieces of one event), for a power loss the durable prefix of the
// node's changes (which no later event alters). Returns how many of node.ops
// the entry's image covers.
std::size_t AdvanceCache(const Node& node, bool kill, ImageCache::Entry& entry, Prng& unused) {
  if (!entry.started) {
    entry.image = node.base;
    entry.started = true;
  }
  if (kill) {
    uint64_t next = entry.next_seq;
    for (const ContentOp& op : node.ops) {
      if (op.seq < entry.next_seq) continue;
      ApplyChange(op, "", 1, unused, entry.image);
      entry.digest.reset();
      entry.outcomes.clear();
      next = op.seq + 1;
    }
    entry.next_seq = next;
    return node.ops.size();
  }
  while (entry.ops < node.ops.size() && node.ops[entry.ops].durable) {
    ApplyChange(node.ops[entry.ops++], "", 1, unused, entry.image);
    entry.digest.reset();
    entry.outcomes.clear();
  }
  return entry.ops;
}

uint64_t CachedDigest(ImageCache::Entry& entry) {
  if (!entry.digest) entry.digest = ContentDigest(entry.image);
  return *entry.digest;
}

// One file's content after the crash, and its ContentDigest when `digest`
// is not null. With `want_image` false the image may be left empty.
struct NodeResult {
  std::string image;
  uint64_t digest = 0;
};

// Marks old every unit of `op` that starts in the block holding its file's
// old end (Ext4StaleTails): a snapshot of the block, zeros past the old end.
void MarkStaleTail(const ContentOp& op, uint32_t unit, std::string& fate) {
  if (fate.empty()) fate.assign(UnitCount(op, unit), 'N');
  const uint64_t block_end = (op.size_before / kExt4Block + 1) * kExt4Block;
  const uint64_t first = op.offset / unit;
  for (std::size_t u = 0; u < fate.size() && (first + u) * unit < block_end; ++u) fate[u] = 'O';
}

// ext4-ordered: one file's pending changes (docs/persistence-model.md). The
// file's on-disk size moves only by journaled metadata: truncates and
// fallocates by their place before the journal's cut, growing writes by
// Ext4GrowthKept; a write that did not grow the file cannot move it, so one
// that reaches past the size on disk (an earlier growth was lost) is lost too.
Result<NodeResult> Ext4Content(const Resolution& resolution, int id, const Node& node,
                               std::string image, std::size_t first, const PowerLossPlan& plan,
                               Decider& decider, CrashReport* report) {
  Prng& prng = decider.prng();
  const uint64_t flush_before = resolution.FlushBefore(id);
  const std::size_t kept_growth =
      Ext4GrowthKept(node, first, resolution.journal_cut, flush_before, prng);
  const std::vector<bool> stale =
      Ext4StaleTails(node, first, kept_growth, flush_before, kTearOneIn, prng);
  std::size_t growth = 0;
  for (std::size_t i = first; i < node.ops.size(); ++i) {
    const ContentOp& op = node.ops[i];
    if (op.durable) {
      ApplyChange(op, "", 1, prng, image);
      continue;
    }
    const bool forced = op.seq < flush_before;
    bool keep = forced;
    if (op.kind == EventKind::kTruncate || op.kind == EventKind::kFallocate) {
      keep = keep || op.journal_ordinal < resolution.journal_cut;
    } else if (GrowsFile(op)) {
      keep = growth++ < kept_growth;
    } else {
      keep = (keep || decider.Keep()) && op.offset + op.data.size() <= image.size();
    }
    WriteOutcome outcome{op.seq, op.kind, op.file,
                         keep ? WriteFate::kSurvived : WriteFate::kVanished, ""};
    if (keep) {
      std::string fate;
      const bool can_tear = op.kind == EventKind::kWrite || op.kind == EventKind::kMapWrite;
      const uint64_t one_in = op.seq == plan.event ? kTearOneIn / 2 : kTearOneIn;
      if (can_tear && !forced && prng.Chance(1, one_in)) {
        fate = DrawTear(op, image.size(), plan, prng);
      }
      if (stale[i]) MarkStaleTail(op, plan.atomic_unit, fate);
      if (!fate.empty()) {
        outcome.fate = WriteFate::kTorn;
        outcome.units = fate;
      }
      ApplyChange(op, fate, plan.atomic_unit, prng, image);
    }
    if (report != nullptr) report->writes.push_back(outcome);
  }
  return NodeResult{std::move(image), 0};
}

// The seeded path: decisions and garbage bytes interleave in one stream, in
// the order every earlier crashlab drew them, so stored plans rebuild the
// same bytes.
Result<NodeResult> SeededContent(const Resolution* resolution, int id, const Node& node,
                                 std::string image, std::size_t first, const PowerLossPlan* plan,
                                 Decider* decider, CrashReport* report) {
  if (plan != nullptr && plan->profile == Profile::kExt4Ordered) {
    return Ext4Content(*resolution, id, node, std::move(image), first, *plan, *decider, report);
  }
  for (std::size_t i = first; i < node.ops.size(); ++i) {
    const ContentOp& op = node.ops[i];
    if (op.durable || plan == nullptr) {
      ApplyChange(op, "", 1, decider->prng(), image);
      continue;
    }
    // Only ext4's replace-via-rename forces a change (ResolveNames).
    const bool forced = op.seq < resolution->FlushBefore(id);
    const bool keep = forced || decider->Keep();
    WriteOutcome outcome{op.seq, op.kind, op.file,
                         keep ? WriteFate::kSurvived : WriteFate::kVanished, ""};
    if (keep) {
      std::string fate;
      const bool can_tear = op.kind == EventKind::kWrite || op.kind == EventKind::kMapWrite;
      // The write in flight at the crash point is the one the device was
      // busy with: it tears twice as often as one merely pending.
      const uint64_t one_in = op.seq == plan->event ? kTearOneIn / 2 : kTearOneIn;
      if (can_tear && !forced && decider->prng().Chance(1, one_in)) {
        fate = DrawTear(op, image.size(), *plan, decider->prng());
      }
      if (!fate.empty()) {
        outcome.fate = WriteFate::kTorn;
        outcome.units = fate;
      }
      ApplyChange(op, fate, plan->atomic_unit, decider->prng(), image);
    }
    if (report != nullptr) report->writes.push_back(outcome);
  }
  return NodeResult{std::move(image), 0};
}

// The path of explicit choices (posix): every decision first, from the
// choices alone, then the kept changes applied — so that a state whose
// pending changes to this file were all lost costs no copy at all.
Result<NodeResult> ChosenContent(const Node& node, ImageCache::Entry* entry, std::size_t first,
                                 const PowerLossPlan& plan, Decider& decider, CrashReport* report,
                                 bool want_image) {
  const std::string& start = entry != nullptr ? entry->image : node.base;
  std::vector<std::pair<std::size_t, std::string>> kept;  // op index, tear
  uint64_t size = start.size();
  for (std::size_t i = first; i < node.ops.size(); ++i) {
    const ContentOp& op = node.ops[i];
    if (op.durable) {
      kept.emplace_back(i, "");
      size = SizeAfter(op, size);
      continue;
    }
    WriteOutcome outcome{op.seq, op.kind, op.file, WriteFate::kVanished, ""};
    const bool is_write = op.kind == EventKind::kWrite || op.kind == EventKind::kMapWrite;
    const bool target = is_write && decider.TearTarget(op.seq, plan.event);
    if (decider.Keep()) {
      outcome.fate = WriteFate::kSurvived;
      std::string fate;
      if (target) {
        Result<std::string> chosen = ChosenTear(op, size, plan);
        if (!chosen.ok()) return chosen.status();
        fate = std::move(*chosen);
      }
      if (!fate.empty()) {
        outcome.fate = WriteFate::kTorn;
        outcome.units = fate;
      }
      kept.emplace_back(i, std::move(fate));
      size = SizeAfter(op, size);
    }
    if (report != nullptr) report->writes.push_back(outcome);
  }
  NodeResult result;
  if (kept.empty() && entry != nullptr) {
    result.digest = CachedDigest(*entry);
    if (want_image) result.image = start;
    return result;
  }
  // The outcome's identity: which changes (event, range) apply, torn how.
  // Garbage units draw from the plan's seed, so a tear with G is its own.
  std::string key;
  const bool memo = entry != nullptr && !want_image;
  if (memo) {
    for (const auto& [i, fate] : kept) {
      const ContentOp& op = node.ops[i];
      const uint64_t id[3] = {op.seq, op.offset, op.data.size()};
      key.append(reinterpret_cast<const char*>(id), sizeof id);
      key += fate;
      key += '/';
      if (fate.find('G') != std::string::npos) key += std::to_string(plan.seed);
    }
    if (auto it = entry->outcomes.find(key); it != entry->outcomes.end()) {
      result.digest = it->second;
      return result;
    }
  }
  result.image = start;
  for (const auto& [i, fate] : kept) {
    ApplyChange(node.ops[i], fate, plan.atomic_unit, decider.prng(), result.image);
  }
  result.digest = ContentDigest(result.image);
  if (memo) entry->outcomes.emplace(std::move(key), result.digest);
  return result;
}

// The tree the namespace `names` and the nodes' content give; with `digest`
// not null, only its FastDigest (no file is copied that the crash left as the
// cache holds it). `cache` may be null; explicit choices or a kill may use it.
Result<DirTree> Materialize(const State& state, const std::map<std::string, int>& names,
                            const Resolution* resolution, const PowerLossPlan* plan,
                            Decider* decider, CrashReport* report, ImageCache* cache,
                            uint64_t* digest) {
  DirTree tree;
  std::vector<int> wanted;
  for (const auto& [path, node] : names) {
    if (path.empty()) continue;
    if (state.nodes[node].dir) {
      tree.dirs.insert(path);
    } else {
      wanted.push_back(node);
    }
  }
  // Content is computed per node, in node order, so that a file's bytes do
  // not depend on how many names it has.
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  const bool chosen = plan != nullptr && plan->choices;
  std::map<int, NodeResult> contents;
  for (int id : wanted) {
    const Node& node = state.nodes[id];
    ImageCache::Entry* entry = cache != nullptr ? &cache->nodes[id] : nullptr;
    const std::size_t first =
        entry != nullptr ? AdvanceCache(node, plan == nullptr, *entry, decider->prng()) : 0;
    Result<NodeResult> content = Status::Ok();
    if (chosen) {
      content = ChosenContent(node, entry, first, *plan, *decider, report, digest == nullptr);
    } else if (plan == nullptr && entry != nullptr) {
      content = NodeResult{digest == nullptr ? entry->image : std::string(), CachedDigest(*entry)};
    } else {
      content = SeededContent(resolution, id, node, entry != nullptr ? entry->image : node.base,
                              first, plan, decider, report);
      if (content.ok() && digest != nullptr) content->digest = ContentDigest(content->image);
    }
    if (!content.ok()) return content.status();
    contents[id] = std::move(*content);
  }
  for (const auto& [path, content] : tree.files) AddAncestors(path, tree.dirs);
  for (const auto& [path, node] : names) {
    if (!path.empty() && !state.nodes[node].dir) AddAncestors(path, tree.dirs);
  }
  for (const std::string& dir : std::set<std::string>(tree.dirs)) AddAncestors(dir, tree.dirs);
  if (digest != nullptr) {
    TreeDigest d;
    for (const std::string& dir : tree.dirs) d.AddDir(dir);
    for (const auto& [path, node] : names) {
      if (!path.empty() && !state.nodes[node].dir) d.AddFile(path, contents[node].digest);
    }
    *digest = d.value();
    return DirTree{};
  }
  for (const auto& [path, node] : names) {
    if (!path.empty() && !state.nodes[node].dir) tree.files[path] = contents[node].image;
  }
  return tree;
}

}  // namespace

std::string_view ProfileName(Profile profile) {
  return profile == Profile::kPosix ? "posix" : "ext4-ordered";
}

Result<Profile> ParseProfile(std::string_view name) {
  if (name == "posix") return Profile::kPosix;
  if (name == "ext4-ordered") return Profile::kExt4Ordered;
  return Status::Error("unknown persistence profile '" + std::string(name) +
                       "': use posix or ext4-ordered");
}

std::string CrashReport::ToString() const {
  std::string out;
  for (const WriteOutcome& w : writes) {
    out += "event " + std::to_string(w.event) + " " + EventKindName(w.kind) + " file " +
           std::to_string(w.file) + ": ";
    out += w.fate == WriteFate::kSurvived   ? "survived"
           : w.fate == WriteFate::kVanished ? "vanished"
                                            : "torn " + w.units;
    out += "\n";
  }
  for (const NameOutcome& n : names) {
    out += "event " + std::to_string(n.event) + " " + EventKindName(n.kind) + " " + n.path;
    if (!n.path2.empty()) out += " -> " + n.path2;
    out += n.kept ? ": kept\n" : ": reverted\n";
  }
  return out;
}

namespace internal {

Result<DirTree> KillTree(const State& state, ImageCache* cache, uint64_t* digest) {
  Decider unused(PowerLossPlan{});
  return Materialize(state, state.names, nullptr, nullptr, &unused, nullptr, cache, digest);
}

Result<DirTree> PowerLossTree(const State& state, const PowerLossPlan& plan, CrashReport* report,
                              ImageCache* cache, uint64_t* digest) {
  if (plan.atomic_unit == 0) return Status::Error("power-loss plan: atomic_unit must be > 0");
  if (plan.choices && plan.profile != Profile::kPosix) {
    return Status::Error("power-loss choices need the posix profile");
  }
  if (digest != nullptr && !plan.choices) {
    return Status::Error("a power-loss digest needs explicit choices");
  }
  Decider decider(plan);
  // Names first, then content: the namespace decides which files exist, and
  // auto_da_alloc (ext4) forces data that a kept rename depends on.
  const Resolution resolution = ResolveNames(state, plan.profile, decider, report);
  return Materialize(state, resolution.names, &resolution, &plan, &decider, report, cache, digest);
}

}  // namespace internal

Result<DirTree> ModelKill(const Trace& trace, uint64_t event, const DirTree& base) {
  if (event > trace.events.size()) {
    return Status::Error("kill point " + std::to_string(event) + " is past the end of the trace (" +
                         std::to_string(trace.events.size()) + " events)");
  }
  Result<State> state = Replay(trace, event, /*in_flight=*/false, Profile::kPosix, base);
  if (!state.ok()) return state.status();
  return internal::KillTree(*state, nullptr, nullptr);
}

Result<DirTree> ModelPowerLoss(const Trace& trace, const PowerLossPlan& plan, const DirTree& base,
                               CrashReport* report) {
  if (plan.event > trace.events.size()) {
    return Status::Error("power-loss point " + std::to_string(plan.event) +
                         " is past the end of the trace (" + std::to_string(trace.events.size()) +
                         " events)");
  }
  Result<State> state = Replay(trace, plan.event, /*in_flight=*/true, plan.profile, base);
  if (!state.ok()) return state.status();
  return internal::PowerLossTree(std::move(*state), plan, report, nullptr, nullptr);
}

}  // namespace crashlab::faults
