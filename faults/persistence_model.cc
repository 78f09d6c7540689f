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
#include "faults/trace_file.h"
#include "faults/trace_replay.h"
#include "framework/base/prng.h"

namespace crashlab::faults {
namespace {

using internal::ContentOp;
using internal::EraseTree;
using internal::Ext4GrowthKept;
using internal::Ext4StaleTails;
using internal::GrowsFile;
using internal::kExt4Block;
using internal::kFallocKeepSize;
using internal::MoveTree;
using internal::NameOp;
using internal::Node;
using internal::Parent;
using internal::Replay;
using internal::State;

bool KeepsSize(const ContentOp& op) { return (op.flags & kFallocKeepSize) != 0; }

void AddAncestors(const std::string& path, std::set<std::string>& dirs) {
  for (std::string p = Parent(path); !p.empty(); p = Parent(p)) dirs.insert(p);
}

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
// change and the seeded subset (posix) or prefix (ext4) of the others.
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

// Odds of the seeded choices. Even odds give the widest spread of outcomes
// over few seeds; tearing is rarer so that whole-write survival stays common.
constexpr uint64_t kTearOneIn = 4;

// Applies `op` to `image`; `fate_units` chooses, per atomic unit of a write,
// 'N' (new), 'O' (old), 'Z' (zeroed) or 'G' (garbage from `prng`).
void Apply(const ContentOp& op, const std::string& fate_units, uint32_t unit, Prng& prng,
           std::string& image) {
  switch (op.kind) {
    case EventKind::kTruncate:
      image.resize(op.offset, '\0');
      return;
    case EventKind::kFallocate:
      if (op.offset + op.length > image.size() && !KeepsSize(op)) {
        image.resize(op.offset + op.length, '\0');
      }
      return;
    default:
      break;
  }
  const uint64_t end = op.offset + op.data.size();
  const uint64_t first = op.offset / unit;
  // Only a torn write needs the old bytes, and only those of its own units:
  // copying the whole image per write made big files quadratic.
  const uint64_t old_size = image.size();
  const uint64_t span_lo = std::min<uint64_t>(first * unit, old_size);
  const uint64_t span_hi = std::min<uint64_t>((end + unit - 1) / unit * unit, old_size);
  const std::string before =
      fate_units.empty() ? std::string() : image.substr(span_lo, span_hi - span_lo);
  if (end > image.size()) image.resize(end, '\0');
  image.replace(op.offset, op.data.size(), op.data);
  if (fate_units.empty() || op.data.empty()) return;
  for (std::size_t i = 0; i < fate_units.size(); ++i) {
    const uint64_t lo = (first + i) * unit;
    const uint64_t hi = std::min<uint64_t>(lo + unit, image.size());
    if (lo >= hi) break;
    // Zeros and garbage stay within the bytes this write covers: the model
    // assumes powersafe overwrite (a device does not damage the bytes of a
    // sector that the interrupted write did not change).
    const uint64_t own_lo = std::max<uint64_t>(lo, op.offset);
    const uint64_t own_hi = std::min<uint64_t>(hi, end);
    switch (fate_units[i]) {
      case 'N':
        break;
      case 'O':
        for (uint64_t b = lo; b < hi; ++b) image[b] = b < old_size ? before[b - span_lo] : '\0';
        break;
      case 'Z':
        std::fill(image.begin() + own_lo, image.begin() + own_hi, '\0');
        break;
      case 'G': {
        image.replace(own_lo, own_hi - own_lo, prng.Bytes(own_hi - own_lo));
        break;
      }
    }
  }
}

uint64_t UnitCount(const ContentOp& op, uint32_t unit) {
  if (op.data.empty()) return 0;
  return (op.offset + op.data.size() - 1) / unit - op.offset / unit + 1;
}

// Draws the per-unit fate of a kept write that tears. At least one unit is
// not new, or the write did not tear.
std::string DrawTear(const ContentOp& op, uint64_t size_before, const PowerLossPlan& plan,
                     Prng& prng) {
  const uint64_t units = UnitCount(op, plan.atomic_unit);
  char other = 'O';
  if (plan.profile == Profile::kPosix) {
    // POSIX says nothing of a write cut by power loss: past the old end of
    // file a unit may read as zeros (the size persisted before the data) or
    // as garbage (blocks allocated, never written), as ALICE saw for appends.
    static constexpr char kModes[] = {'O', 'Z', 'G'};
    other = kModes[prng.Below(3)];
  }
  std::string fate(units, 'N');
  const uint64_t first = op.offset / plan.atomic_unit;
  for (uint64_t i = 0; i < units; ++i) {
    const uint64_t unit_lo = (first + i) * plan.atomic_unit;
    // ext4 data=ordered: the size grows only once the data under it is on
    // disk, so units past the old end of file are all there or the size
    // has not moved — they never tear.
    if (plan.profile == Profile::kExt4Ordered && unit_lo + plan.atomic_unit > size_before) {
      continue;
    }
    if (!prng.Chance(1, 2)) continue;
    // A unit that starts inside the old file is old or new, never zeros or
    // garbage: the atomic unit is what a device writes all or nothing, and
    // the bytes it held were real data (LMDB's 120-byte meta page update
    // relies on exactly this; so does any sector-atomic commit record).
    fate[i] = unit_lo < size_before ? 'O' : other;
  }
  if (fate.find_first_not_of('N') == std::string::npos) return "";
  return fate;
}

// The tear explicit choices ask for, of `op` (their target, kept): Z and G
// on a unit that starts inside the old file read as O (a unit is all or
// nothing).
Result<std::string> ChosenTear(const ContentOp& op, uint64_t size_before,
                               const PowerLossPlan& plan) {
  std::string fate = plan.choices->tear;
  if (fate.size() != UnitCount(op, plan.atomic_unit)) {
    return Status::Error("power-loss choices: tear \"" + fate + "\" has " +
                         std::to_string(fate.size()) + " units, the write of event " +
                         std::to_string(op.seq) + " has " +
                         std::to_string(UnitCount(op, plan.atomic_unit)));
  }
  if (fate.find_first_not_of("NOZG") != std::string::npos) {
    return Status::Error("power-loss choices: tear \"" + fate + "\" may hold only N O Z G");
  }
  const uint64_t first = op.offset / plan.atomic_unit;
  for (std::size_t i = 0; i < fate.size(); ++i) {
    if ((first + i) * plan.atomic_unit < size_before && fate[i] != 'N') fate[i] = 'O';
  }
  if (fate.find_first_not_of('N') == std::string::npos) return std::string();
  return fate;
}

using internal::ImageCache;

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
      Apply(op, "", 1, unused, entry.image);
      entry.digest.reset();
      entry.outcomes.clear();
      next = op.seq + 1;
    }
    entry.next_seq = next;
    return node.ops.size();
  }
  while (entry.ops < node.ops.size() && node.ops[entry.ops].durable) {
    Apply(node.ops[entry.ops++], "", 1, unused, entry.image);
    entry.digest.reset();
    entry.outcomes.clear();
  }
  return entry.ops;
}

uint64_t CachedDigest(ImageCache::Entry& entry) {
  if (!entry.digest) entry.digest = ContentDigest(entry.image);
  return *entry.digest;
}

// The size a file has after `op`, as Apply leaves it.
uint64_t SizeAfter(const ContentOp& op, uint64_t size) {
  switch (op.kind) {
    case EventKind::kTruncate:
      return op.offset;
    case EventKind::kFallocate:
      return op.offset + op.length > size && !KeepsSize(op) ? op.offset + op.length : size;
    default:
      return std::max<uint64_t>(size, op.offset + op.data.size());
  }
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
      Apply(op, "", 1, prng, image);
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
      Apply(op, fate, plan.atomic_unit, prng, image);
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
      Apply(op, "", 1, decider->prng(), image);
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
      Apply(op, fate, plan->atomic_unit, decider->prng(), image);
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
    Apply(node.ops[i], fate, plan.atomic_unit, decider.prng(), result.image);
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
