#include "faults/persistence_model.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "framework/prng.h"

namespace crashlab::faults {
namespace {

// One change to a file's content or size, as the trace recorded it.
struct ContentOp {
  uint64_t seq = 0;
  EventKind kind = EventKind::kWrite;
  uint64_t file = 0;
  uint64_t offset = 0;  // kTruncate: the new size
  uint64_t length = 0;
  std::string data;
  uint32_t flags = 0;
  bool durable = false;
  uint64_t journal_ordinal = 0;  // kTruncate, kFallocate: place among metadata changes
};

// A file or directory (one inode): its bytes when the trace started and the
// changes made to it since.
struct Node {
  bool dir = false;
  std::string base;
  std::vector<ContentOp> ops;
  // ext4 auto_da_alloc: changes before this event are flushed with a kept
  // rename that replaced another file.
  uint64_t flush_before_seq = 0;
};

// One change to the namespace (create, mkdir, rename, link, unlink, rmdir).
struct NameOp {
  uint64_t seq = 0;
  EventKind kind = EventKind::kOpen;
  std::string path;
  std::string path2;
  int node = -1;
  std::vector<int> parents;  // directory nodes whose entries change
  std::vector<bool> synced;  // per parent: fsynced after this change
  std::vector<int> deps;     // name ops this one builds on (the name it moves, its directory)
  bool durable = false;
  bool replaces = false;  // rename over an existing file
  uint64_t journal_ordinal = 0;
};

struct State {
  std::vector<Node> nodes;
  std::map<std::string, int> base_names;  // the namespace when the trace started
  std::map<std::string, int> names;       // the volatile namespace at the crash point
  std::map<std::string, int> binder;      // path -> name op that bound it last
  std::vector<NameOp> name_ops;
  std::map<uint64_t, int> ids;  // trace file id -> node
  uint64_t journal_ops = 0;     // metadata changes seen, in trace order
  uint64_t journal_floor = 0;   // ext4: ordinals below this are committed
  uint64_t journal_cut = 0;     // ext4: ordinals below this survive
};

// FALLOC_FL_KEEP_SIZE as the tracer records it in Event::flags.
constexpr uint32_t kFallocKeepSize = 0x01;

bool KeepsSize(const ContentOp& op) { return (op.flags & kFallocKeepSize) != 0; }

std::string KindName(EventKind kind) {
  switch (kind) {
    case EventKind::kOpen:
      return "create";
    case EventKind::kWrite:
      return "write";
    case EventKind::kTruncate:
      return "truncate";
    case EventKind::kFallocate:
      return "fallocate";
    case EventKind::kMapWrite:
      return "map-write";
    case EventKind::kRename:
      return "rename";
    case EventKind::kUnlink:
      return "unlink";
    case EventKind::kLink:
      return "link";
    case EventKind::kMkdir:
      return "mkdir";
    case EventKind::kRmdir:
      return "rmdir";
    default:
      return "event";
  }
}

std::string Parent(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

void AddAncestors(const std::string& path, std::set<std::string>& dirs) {
  for (std::string p = Parent(path); !p.empty(); p = Parent(p)) dirs.insert(p);
}

bool InSubtree(const std::string& path, const std::string& root) {
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

// The path relative to the case directory, without "./" or a trailing '/'.
std::string Normalize(const Trace& trace, std::string path) {
  if (!trace.case_dir.empty() && InSubtree(path, trace.case_dir)) {
    path = path.substr(std::min(path.size(), trace.case_dir.size() + 1));
  }
  while (path.rfind("./", 0) == 0) path = path.substr(2);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path == "." ? "" : path;
}

int NewNode(State& state, bool dir, std::string base = "") {
  state.nodes.push_back(Node{dir, std::move(base), {}, 0});
  return static_cast<int>(state.nodes.size()) - 1;
}

// The node at `path`, made part of the starting tree when the trace names a
// path the base directory did not hold (the trace began after it was made).
int EnsureEntry(State& state, const std::string& path, bool dir) {
  if (auto it = state.names.find(path); it != state.names.end()) return it->second;
  if (!path.empty()) EnsureEntry(state, Parent(path), true);
  const int node = NewNode(state, dir);
  state.names[path] = node;
  state.base_names[path] = node;
  return node;
}

// Renames `from` (and everything under it) to `to` in `names`.
void MoveTree(std::map<std::string, int>& names, const std::string& from, const std::string& to) {
  std::vector<std::pair<std::string, int>> moved;
  for (auto it = names.begin(); it != names.end();) {
    if (InSubtree(it->first, from)) {
      moved.emplace_back(to + it->first.substr(from.size()), it->second);
      it = names.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = names.begin(); it != names.end();) {
    it = InSubtree(it->first, to) ? names.erase(it) : std::next(it);
  }
  for (auto& [path, node] : moved) names[path] = node;
}

void EraseTree(std::map<std::string, int>& names, const std::string& root) {
  for (auto it = names.begin(); it != names.end();) {
    it = InSubtree(it->first, root) ? names.erase(it) : std::next(it);
  }
}

NameOp MakeNameOp(uint64_t seq, EventKind kind, std::string path, std::string path2, int node) {
  NameOp op;
  op.seq = seq;
  op.kind = kind;
  op.path = std::move(path);
  op.path2 = std::move(path2);
  op.node = node;
  return op;
}

void MarkDurable(State& state, int op) {
  if (op < 0 || state.name_ops[op].durable) return;
  state.name_ops[op].durable = true;
  // A durable entry keeps what it builds on: a synced rename target implies
  // the file it names was created.
  for (int dep : state.name_ops[op].deps) MarkDurable(state, dep);
}

// Records a namespace change and applies it to the volatile namespace.
void AddNameOp(State& state, NameOp op, const std::vector<std::string>& parent_paths,
               const std::vector<std::string>& dep_paths) {
  for (const std::string& parent : parent_paths) {
    op.parents.push_back(EnsureEntry(state, parent, true));
    op.synced.push_back(false);
    if (auto it = state.binder.find(parent); it != state.binder.end())
      op.deps.push_back(it->second);
  }
  for (const std::string& path : dep_paths) {
    if (auto it = state.binder.find(path); it != state.binder.end()) op.deps.push_back(it->second);
  }
  op.journal_ordinal = state.journal_ops++;
  const int index = static_cast<int>(state.name_ops.size());
  switch (op.kind) {
    case EventKind::kRename:
      MoveTree(state.names, op.path, op.path2);
      state.binder[op.path2] = index;
      break;
    case EventKind::kLink:
      state.names[op.path2] = op.node;
      state.binder[op.path2] = index;
      break;
    case EventKind::kUnlink:
    case EventKind::kRmdir:
      EraseTree(state.names, op.path);
      break;
    default:  // create, mkdir
      state.names[op.path] = op.node;
      state.binder[op.path] = index;
      break;
  }
  state.name_ops.push_back(std::move(op));
}

// Makes the content changes of `node` within [lo, hi) durable, splitting the
// writes that straddle the range. `map_writes_only`: msync under POSIX covers
// only stores through the mapping.
void SyncRange(Node& node, uint64_t lo, uint64_t hi, bool map_writes_only) {
  std::vector<ContentOp> out;
  for (ContentOp& op : node.ops) {
    const bool is_write = op.kind == EventKind::kWrite || op.kind == EventKind::kMapWrite;
    if (op.durable || !is_write || (map_writes_only && op.kind != EventKind::kMapWrite)) {
      out.push_back(std::move(op));
      continue;
    }
    const uint64_t a = op.offset;
    const uint64_t b = op.offset + op.data.size();
    const uint64_t cut_lo = std::clamp(lo, a, b);
    const uint64_t cut_hi = std::clamp(hi, a, b);
    if (cut_lo >= cut_hi) {
      out.push_back(std::move(op));
      continue;
    }
    // Same event, split in up to three pieces; the middle one is durable.
    auto piece = [&](uint64_t from, uint64_t to, bool durable) {
      if (from >= to) return;
      ContentOp p = op;
      p.offset = from;
      p.data = op.data.substr(from - a, to - from);
      p.durable = durable;
      out.push_back(std::move(p));
    };
    piece(a, cut_lo, false);
    piece(cut_lo, cut_hi, true);
    piece(cut_hi, b, false);
  }
  node.ops = std::move(out);
}

Result<int> NodeOf(const State& state, const Event& e) {
  auto it = state.ids.find(e.file);
  if (it == state.ids.end()) {
    return Status::Error("trace event " + std::to_string(e.seq) + ": file id " +
                         std::to_string(e.file) +
                         " was never opened; the trace is incomplete or corrupt — re-record it");
  }
  return it->second;
}

// Replays events [0, crash) — and event `crash` as in flight when `in_flight`
// — marking what each completed sync made durable.
Result<State> Replay(const Trace& trace, uint64_t crash, bool in_flight, Profile profile,
                     const DirTree& base) {
  State state;
  state.names[""] = NewNode(state, true);
  for (const std::string& dir : base.dirs) EnsureEntry(state, dir, true);
  for (const auto& [path, content] : base.files) {
    EnsureEntry(state, Parent(path), true);
    const int node = NewNode(state, false, content);
    state.names[path] = node;
  }
  state.base_names = state.names;
  const uint64_t limit = std::min<uint64_t>(trace.events.size(), in_flight ? crash + 1 : crash);
  for (uint64_t i = 0; i < limit; ++i) {
    const Event& e = trace.events[i];
    const bool done = i < crash;  // event `crash` itself is in flight
    const std::string path = Normalize(trace, e.path);
    const std::string path2 = Normalize(trace, e.path2);
    switch (e.kind) {
      case EventKind::kOpen:
        if ((e.flags & kOpenCreated) != 0 && (e.flags & kOpenDirectory) == 0) {
          const int node = NewNode(state, false);
          state.ids[e.file] = node;
          AddNameOp(state, MakeNameOp(i, e.kind, path, "", node), {Parent(path)}, {});
        } else {
          state.ids[e.file] = EnsureEntry(state, path, (e.flags & kOpenDirectory) != 0);
        }
        break;
      case EventKind::kMkdir: {
        const int node = NewNode(state, true);
        state.ids[e.file] = node;
        AddNameOp(state, MakeNameOp(i, e.kind, path, "", node), {Parent(path)}, {});
        break;
      }
      case EventKind::kRename:
      case EventKind::kLink: {
        const int node = EnsureEntry(state, path, false);
        auto target = state.names.find(path2);
        const bool replaces = e.kind == EventKind::kRename && target != state.names.end() &&
                              !state.nodes[target->second].dir;
        NameOp op = MakeNameOp(i, e.kind, path, path2, node);
        op.replaces = replaces;
        std::vector<std::string> parents{Parent(path)};
        if (Parent(path2) != Parent(path)) parents.push_back(Parent(path2));
        AddNameOp(state, std::move(op), parents, {path});
        break;
      }
      case EventKind::kUnlink:
      case EventKind::kRmdir: {
        const int node = EnsureEntry(state, path, e.kind == EventKind::kRmdir);
        AddNameOp(state, MakeNameOp(i, e.kind, path, "", node), {Parent(path)}, {path});
        break;
      }
      case EventKind::kWrite:
      case EventKind::kMapWrite:
      case EventKind::kTruncate:
      case EventKind::kFallocate: {
        Result<int> node = NodeOf(state, e);
        if (!node.ok()) return node.status();
        ContentOp op{i, e.kind, e.file, e.offset, e.length, e.data, e.flags, false, 0};
        if (e.kind == EventKind::kTruncate) op.offset = e.length;
        if (e.kind == EventKind::kTruncate || e.kind == EventKind::kFallocate) {
          op.journal_ordinal = state.journal_ops++;
        }
        // DURABILITY: O_DSYNC/O_SYNC make a write durable when it returns
        // (POSIX synchronized I/O data integrity); one still in flight is not.
        op.durable =
            done && e.kind == EventKind::kWrite && (e.flags & (kOpenDsync | kOpenSync)) != 0;
        state.nodes[*node].ops.push_back(std::move(op));
        break;
      }
      case EventKind::kFsync:
      case EventKind::kFdatasync: {
        if (!done) break;  // a sync in flight promised nothing yet
        Result<int> node = NodeOf(state, e);
        if (!node.ok()) return node.status();
        for (ContentOp& op : state.nodes[*node].ops) op.durable = true;
        if (state.nodes[*node].dir) {
          for (std::size_t k = 0; k < state.name_ops.size(); ++k) {
            NameOp& op = state.name_ops[k];
            bool all = true;
            for (std::size_t p = 0; p < op.parents.size(); ++p) {
              if (op.parents[p] == *node) op.synced[p] = true;
              all = all && op.synced[p];
            }
            if (all) MarkDurable(state, static_cast<int>(k));
          }
        }
        break;
      }
      case EventKind::kSyncRange:
      case EventKind::kMsync: {
        if (!done) break;
        Result<int> node = NodeOf(state, e);
        if (!node.ok()) return node.status();
        // Under Linux msync(MS_SYNC) is vfs_fsync_range on the file, so it
        // also covers write()s to the range; POSIX promises only the mapping.
        const bool map_only = e.kind == EventKind::kMsync && profile == Profile::kPosix;
        SyncRange(state.nodes[*node], e.offset, e.offset + e.length, map_only);
        break;
      }
      case EventKind::kSyncAll:
        if (!done) break;
        for (Node& node : state.nodes) {
          for (ContentOp& op : node.ops) op.durable = true;
        }
        for (std::size_t k = 0; k < state.name_ops.size(); ++k)
          MarkDurable(state, static_cast<int>(k));
        break;
      case EventKind::kClose:
      case EventKind::kPoint:
      case EventKind::kReply:
        break;
    }
  }
  // ext4 commits its journal in order: a durable metadata change means every
  // earlier one is committed too.
  for (const NameOp& op : state.name_ops) {
    if (op.durable) state.journal_floor = std::max(state.journal_floor, op.journal_ordinal + 1);
  }
  for (const Node& node : state.nodes) {
    for (const ContentOp& op : node.ops) {
      const bool meta = op.kind == EventKind::kTruncate || op.kind == EventKind::kFallocate;
      if (meta && op.durable) {
        state.journal_floor = std::max(state.journal_floor, op.journal_ordinal + 1);
      }
    }
  }
  return state;
}

// The namespace after the power loss: the starting tree with every durable
// change and the seeded subset (posix) or prefix (ext4) of the others.
std::map<std::string, int> ResolveNames(State& state, Profile profile, Prng& prng,
                                        CrashReport* report) {
  if (profile == Profile::kExt4Ordered) {
    state.journal_cut = static_cast<uint64_t>(prng.Range(static_cast<int64_t>(state.journal_floor),
                                                         static_cast<int64_t>(state.journal_ops)));
  }
  std::map<std::string, int> names = state.base_names;
  for (const NameOp& op : state.name_ops) {
    bool keep = op.durable;
    if (!keep) {
      keep = profile == Profile::kExt4Ordered ? op.journal_ordinal < state.journal_cut
                                              : prng.Chance(1, 2);
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
            Node& node = state.nodes[op.node];
            node.flush_before_seq = std::max(node.flush_before_seq, op.seq);
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
  return names;
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
  const std::string before = image;
  const uint64_t end = op.offset + op.data.size();
  if (end > image.size()) image.resize(end, '\0');
  image.replace(op.offset, op.data.size(), op.data);
  if (fate_units.empty() || op.data.empty()) return;
  const uint64_t first = op.offset / unit;
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
        for (uint64_t b = lo; b < hi; ++b) image[b] = b < before.size() ? before[b] : '\0';
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
    // POSIX says nothing of a write cut by power loss: besides the old bytes,
    // a unit may read as zeros (size persisted before data) or as garbage.
    static constexpr char kModes[] = {'O', 'Z', 'G'};
    other = kModes[prng.Below(3)];
  }
  std::string fate(units, 'N');
  const uint64_t first = op.offset / plan.atomic_unit;
  for (uint64_t i = 0; i < units; ++i) {
    // ext4 data=ordered: the size grows only once the data under it is on
    // disk, so units past the old end of file are all there or the size
    // has not moved — they never tear.
    if (plan.profile == Profile::kExt4Ordered && (first + i + 1) * plan.atomic_unit > size_before) {
      continue;
    }
    if (prng.Chance(1, 2)) fate[i] = other;
  }
  if (fate.find_first_not_of('N') == std::string::npos) return "";
  return fate;
}

Result<DirTree> Materialize(const State& state, const std::map<std::string, int>& names,
                            const PowerLossPlan* plan, Prng* prng, CrashReport* report) {
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
  std::map<int, std::string> contents;
  for (int id : wanted) {
    const Node& node = state.nodes[id];
    std::string image = node.base;
    for (const ContentOp& op : node.ops) {
      if (op.durable || plan == nullptr) {
        Apply(op, "", 1, *prng, image);
        continue;
      }
      const bool forced = op.seq < node.flush_before_seq;
      bool keep = forced;
      if (!forced) {
        const bool metadata_op =
            op.kind == EventKind::kTruncate || op.kind == EventKind::kFallocate;
        keep = plan->profile == Profile::kExt4Ordered && metadata_op
                   ? op.journal_ordinal < state.journal_cut
                   : prng->Chance(1, 2);
      }
      WriteOutcome outcome{op.seq, op.kind, op.file,
                           keep ? WriteFate::kSurvived : WriteFate::kVanished, ""};
      if (keep) {
        std::string fate;
        const bool can_tear = op.kind == EventKind::kWrite || op.kind == EventKind::kMapWrite;
        if (can_tear && !forced && prng->Chance(1, kTearOneIn)) {
          fate = DrawTear(op, image.size(), *plan, *prng);
        }
        if (!fate.empty()) {
          outcome.fate = WriteFate::kTorn;
          outcome.units = fate;
        }
        Apply(op, fate, plan->atomic_unit, *prng, image);
      }
      if (report != nullptr) report->writes.push_back(outcome);
    }
    contents[id] = std::move(image);
  }
  for (const auto& [path, node] : names) {
    if (!path.empty() && !state.nodes[node].dir) tree.files[path] = contents[node];
  }
  for (const auto& [path, content] : tree.files) AddAncestors(path, tree.dirs);
  for (const std::string& dir : std::set<std::string>(tree.dirs)) AddAncestors(dir, tree.dirs);
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
    out += "event " + std::to_string(w.event) + " " + KindName(w.kind) + " file " +
           std::to_string(w.file) + ": ";
    out += w.fate == WriteFate::kSurvived   ? "survived"
           : w.fate == WriteFate::kVanished ? "vanished"
                                            : "torn " + w.units;
    out += "\n";
  }
  for (const NameOutcome& n : names) {
    out += "event " + std::to_string(n.event) + " " + KindName(n.kind) + " " + n.path;
    if (!n.path2.empty()) out += " -> " + n.path2;
    out += n.kept ? ": kept\n" : ": reverted\n";
  }
  return out;
}

Result<DirTree> ModelKill(const Trace& trace, uint64_t event, const DirTree& base) {
  if (event > trace.events.size()) {
    return Status::Error("kill point " + std::to_string(event) + " is past the end of the trace (" +
                         std::to_string(trace.events.size()) + " events)");
  }
  Result<State> state = Replay(trace, event, /*in_flight=*/false, Profile::kPosix, base);
  if (!state.ok()) return state.status();
  Prng unused(0);
  return Materialize(*state, state->names, nullptr, &unused, nullptr);
}

Result<DirTree> ModelPowerLoss(const Trace& trace, const PowerLossPlan& plan, const DirTree& base,
                               CrashReport* report) {
  if (plan.event > trace.events.size()) {
    return Status::Error("power-loss point " + std::to_string(plan.event) +
                         " is past the end of the trace (" + std::to_string(trace.events.size()) +
                         " events)");
  }
  if (plan.atomic_unit == 0) return Status::Error("power-loss plan: atomic_unit must be > 0");
  Result<State> state = Replay(trace, plan.event, /*in_flight=*/true, plan.profile, base);
  if (!state.ok()) return state.status();
  Prng prng(plan.seed);
  // Names first, then content: the namespace decides which files exist, and
  // auto_da_alloc (ext4) forces data that a kept rename depends on.
  std::map<std::string, int> names = ResolveNames(*state, plan.profile, prng, report);
  return Materialize(*state, names, &plan, &prng, report);
}

}  // namespace crashlab::faults
