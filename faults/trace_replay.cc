#include "faults/trace_replay.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "faults/durability_rules.h"
#include "faults/trace_file.h"

namespace crashlab::faults::internal {

std::string Parent(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

namespace {

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
  const uint64_t size = base.size();
  state.nodes.push_back(Node{dir, std::move(base), {}, size});
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

}  // namespace

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

namespace {

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

// The size a content change asks file `node`'s image to hold: a file
// image is materialised whole, so one past kModelFileSizeLimit is an error
// naming the file (by its first name in `state`) and the size.
Status CheckSize(const State& state, const Event& e, int node) {
  uint64_t end = 0;
  switch (e.kind) {
    case EventKind::kTruncate:
      end = e.length;
      break;
    case EventKind::kFallocate:  // FALLOC_FL_KEEP_SIZE (flag 0x01) leaves the size alone
      if ((e.flags & 0x01) != 0) return Status::Ok();
      end = e.offset + e.length < e.offset ? UINT64_MAX : e.offset + e.length;
      break;
    default:
      end = e.offset + e.data.size();
      if (end < e.offset) end = UINT64_MAX;
      break;
  }
  if (end <= kModelFileSizeLimit) return Status::Ok();
  std::string path = "file id " + std::to_string(e.file);
  for (const auto& [name, n] : state.names) {
    if (n == node) {
      path = name;
      break;
    }
  }
  return Status::Error(
      "trace event " + std::to_string(e.seq) + " (" + std::string(EventKindName(e.kind)) +
      ") makes " + path + " " + std::to_string(end) +
      " bytes long, more than the largest file crashlab builds crash states of (" +
      std::to_string(kModelFileSizeLimit) +
      " bytes, docs/persistence-model.md): crash states hold each file whole in memory, holes "
      "included; give the engine a smaller file (a smaller preallocation or map size), or "
      "use --crash kill, whose cases do not build states from the trace");
}

// fsync or fdatasync of `node` (the kTheFile rule): every earlier content
// change of the file; on a directory, also each earlier entry change once
// every directory it changes has been synced (a rename or link across two
// directories needs both).
void SyncFile(State& state, int node) {
  for (ContentOp& op : state.nodes[node].ops) op.durable = true;
  if (!state.nodes[node].dir) return;
  for (std::size_t k = 0; k < state.name_ops.size(); ++k) {
    NameOp& op = state.name_ops[k];
    bool all = true;
    for (std::size_t p = 0; p < op.parents.size(); ++p) {
      if (op.parents[p] == node) op.synced[p] = true;
      all = all && op.synced[p];
    }
    if (all) MarkDurable(state, static_cast<int>(k));
  }
}

// sync or syncfs (the kEverything rule): every earlier change.
void SyncEverything(State& state) {
  for (Node& node : state.nodes) {
    for (ContentOp& op : node.ops) op.durable = true;
  }
  for (std::size_t k = 0; k < state.name_ops.size(); ++k) MarkDurable(state, static_cast<int>(k));
}

// Applies what the completed sync `e` made durable, as DurableOnReturn
// (durability_rules.h) says.
Status ApplySync(const Event& e, Durability durability, State& state) {
  switch (durability.scope) {
    case DurableScope::kNothing:  // sync_file_range: kept for trace dump and crash points
    case DurableScope::kTheWrite:
      return Status::Ok();
    case DurableScope::kEverything:
      SyncEverything(state);
      return Status::Ok();
    case DurableScope::kTheFile:
    case DurableScope::kTheRange:
      break;
  }
  Result<int> node = NodeOf(state, e);
  if (!node.ok()) return node.status();
  if (durability.scope == DurableScope::kTheFile) {
    SyncFile(state, *node);
  } else {
    SyncRange(state.nodes[*node], e.offset, e.offset + e.length, !durability.range_covers_writes);
  }
  return Status::Ok();
}

}  // namespace

State StartState(const DirTree& base) {
  State state;
  state.names[""] = NewNode(state, true);
  for (const std::string& dir : base.dirs) EnsureEntry(state, dir, true);
  for (const auto& [path, content] : base.files) {
    EnsureEntry(state, Parent(path), true);
    const int node = NewNode(state, false, content);
    state.names[path] = node;
  }
  state.base_names = state.names;
  return state;
}

Status Step(const Trace& trace, uint64_t i, bool done, Profile profile, State& state) {
  const Event& e = trace.events[i];
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
      Node& n = state.nodes[*node];
      ContentOp op{i, e.kind, e.file, e.offset, e.length, e.data, e.flags, false, 0};
      if (e.kind == EventKind::kTruncate) op.offset = e.length;
      if (Status s = CheckSize(state, e, *node); !s.ok()) return s;
      op.size_before = n.size;
      op.journal_at_call = state.journal_ops;
      if (e.kind == EventKind::kTruncate || e.kind == EventKind::kFallocate) {
        op.journal_ordinal = state.journal_ops++;
      }
      if (e.kind == EventKind::kTruncate) {
        n.size = e.length;
      } else if (e.kind == EventKind::kFallocate) {
        if ((e.flags & kFallocKeepSize) == 0) n.size = std::max(n.size, e.offset + e.length);
      } else if (e.kind == EventKind::kWrite) {
        n.size = std::max<uint64_t>(n.size, e.offset + e.data.size());
      }
      // A write on an O_DSYNC/O_SYNC descriptor is durable when it returns;
      // one still in flight is not.
      op.durable = done && DurableOnReturn(e, profile).scope == DurableScope::kTheWrite;
      n.ops.push_back(std::move(op));
      break;
    }
    case EventKind::kFsync:
    case EventKind::kFdatasync:
    case EventKind::kSyncRange:
    case EventKind::kMsync:
    case EventKind::kSyncAll:
      if (!done) break;  // a sync in flight promised nothing yet
      return ApplySync(e, DurableOnReturn(e, profile), state);
    case EventKind::kClose:
    case EventKind::kPoint:
    case EventKind::kReply:
      break;
  }
  return Status::Ok();
}

void Settle(State& state) {
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
      if (GrowsFile(op) && op.durable) {
        state.journal_floor = std::max(state.journal_floor, op.journal_at_call);
      }
    }
  }
}

Result<State> Replay(const Trace& trace, uint64_t crash, bool in_flight, Profile profile,
                     const DirTree& base) {
  State state = StartState(base);
  const uint64_t limit = std::min<uint64_t>(trace.events.size(), in_flight ? crash + 1 : crash);
  for (uint64_t i = 0; i < limit; ++i) {
    // Event `crash` itself is in flight.
    if (Status s = Step(trace, i, i < crash, profile, state); !s.ok()) return s;
  }
  Settle(state);
  return state;
}

}  // namespace crashlab::faults::internal
