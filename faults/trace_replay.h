// Internal to faults/: replays a trace into the volatile and durable state of
// files and the namespace, for the persistence model (persistence_model.h)
// to draw a crash from. Not part of the public interface.
//
// Crash point c: events [0, c) have completed; event c, if any, was in flight.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "faults/persistence_model.h"
#include "faults/trace.h"
#include "framework/base/status.h"

namespace crashlab::faults::internal {

// FALLOC_FL_KEEP_SIZE as the tracer records it in Event::flags.
inline constexpr uint32_t kFallocKeepSize = 0x01;

// One change to a file's content or size, as the trace recorded it.
struct ContentOp {
  uint64_t seq = 0;
  EventKind kind = EventKind::kWrite;
  uint64_t file = 0;
  uint64_t offset = 0;  // kTruncate: the new size
  uint64_t length = 0;
  // The bytes written: a view into the replayed trace, which outlives the
  // state (copying them made every crash point cost the whole trace).
  std::string_view data;
  uint32_t flags = 0;
  bool durable = false;
  uint64_t journal_ordinal = 0;  // kTruncate, kFallocate: place among metadata changes
  // The file's size in the page cache when the call was made, and how many
  // metadata changes (journal ordinals) preceded the call: a write whose end
  // passes `size_before` grows the file, and ext4 journals the new size no
  // earlier than the call (GrowsFile, Settle, persistence_model.cc).
  uint64_t size_before = 0;
  uint64_t journal_at_call = 0;
};

// Whether `op` is a write that grows its file: its end passes the size the
// file had in the page cache when it was called.
inline bool GrowsFile(const ContentOp& op) {
  return op.kind == EventKind::kWrite && op.offset + op.data.size() > op.size_before;
}

// A file or directory (one inode): its bytes when the trace started and the
// changes made to it since.
struct Node {
  bool dir = false;
  std::string base;
  std::vector<ContentOp> ops;
  uint64_t size = 0;  // the size in the page cache after the last replayed change
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
  // ext4: ordinals below this are committed (Settle).
  uint64_t journal_floor = 0;
};

// The directory part of `path`; "" for a path at the root.
std::string Parent(const std::string& path);

// Renames `from` (and everything under it) to `to` in `names`.
void MoveTree(std::map<std::string, int>& names, const std::string& from, const std::string& to);

// Removes `root` and everything under it from `names`.
void EraseTree(std::map<std::string, int>& names, const std::string& root);

// The state before any event: `base` as the starting tree.
State StartState(const DirTree& base);

// Replays event `i` of `trace` into `state`: completed when `done`, else in
// flight (a write not yet durable, a sync that promised nothing yet).
[[nodiscard]] Status Step(const Trace& trace, uint64_t i, bool done, Profile profile, State& state);

// Derives what the durable changes imply for ext4's journal, which commits
// in order: a durable name change, truncate or fallocate commits every
// metadata change before it, and so does a durable write that grew its file
// (its new size was journaled after every change made before the call).
// Call once, after the last Step, before drawing a crash from `state`.
void Settle(State& state);

// Replays events [0, crash) — and event `crash` as in flight when `in_flight`
// — marking what each completed sync made durable. `trace` must outlive the
// state (content changes view its bytes).
Result<State> Replay(const Trace& trace, uint64_t crash, bool in_flight, Profile profile,
                     const DirTree& base);

}  // namespace crashlab::faults::internal
