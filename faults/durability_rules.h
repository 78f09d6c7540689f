// The durability rules: which trace events, once their call has returned,
// make which changes durable, under each persistence profile. Written once
// here: the trace replay applies them (trace_replay.cc, ApplySync), explore
// picks its power-loss crash points by them and the cost figures count syncs
// by them. docs/persistence-model.md states each rule with its source.
//
// An event in flight at the crash point has not returned: it makes nothing
// durable, whatever these functions say of it.
#pragma once

#include <cstdint>

#include "faults/persistence_model.h"
#include "faults/trace.h"

namespace crashlab::faults {

// How far what a completed event makes durable reaches.
enum class DurableScope : uint8_t {
  // Nothing: names, content changes without O_DSYNC/O_SYNC, and
  // sync_file_range, which writes neither metadata nor the device's cache.
  kNothing,
  // The write itself: a write() to a descriptor opened with O_DSYNC or
  // O_SYNC (or pwritev2 with RWF_DSYNC/RWF_SYNC). O_DIRECT alone is not: the
  // device's write cache may still hold it.
  kTheWrite,
  // fsync, fdatasync: every earlier write, mmap store, truncate and fallocate
  // of the file; on a directory also its earlier entry changes (a change
  // touching two directories once both are synced).
  kTheFile,
  // msync(MS_SYNC): the changes in [offset, offset + length) of the file,
  // splitting those that straddle it; which changes, Durability says.
  kTheRange,
  // sync(), syncfs(): every earlier change, content and names.
  kEverything,
};

struct Durability {
  DurableScope scope = DurableScope::kNothing;
  // kTheRange: whether write()s in the range become durable too, not only
  // the stores through the mapping.
  bool range_covers_writes = false;
  bool operator==(const Durability&) const = default;
};

// What `e` makes durable once its call has returned, under `profile`. The
// profiles differ only in msync: POSIX promises the mapping's stores alone;
// on Linux msync is vfs_fsync_range on the file, so under ext4-ordered it
// also covers write()s to the range.
Durability DurableOnReturn(const Event& e, Profile profile);

// Whether `e` asks the storage for durability: every event DurableOnReturn
// grants something (under every profile), and sync_file_range, which the
// engine calls as a barrier and pays a device round trip for, but is
// granted nothing. Exploration crashes just before each (with it in flight,
// the most changes are pending); the cost figures count each as one sync.
bool AsksForDurability(const Event& e);

}  // namespace crashlab::faults
