#include "faults/durability_rules.h"

namespace crashlab::faults {

Durability DurableOnReturn(const Event& e, Profile profile) {
  switch (e.kind) {
    case EventKind::kWrite:
      // POSIX synchronized I/O data integrity: the write has reached the
      // device when it returns. O_SYNC sets the O_DSYNC bit as well.
      if ((e.flags & (kOpenDsync | kOpenSync)) != 0) return {DurableScope::kTheWrite};
      return {};
    case EventKind::kFsync:
    case EventKind::kFdatasync:
      // fdatasync flushes the data and the size; the model tracks no other
      // metadata, so for it the two are one rule.
      return {DurableScope::kTheFile};
    case EventKind::kMsync:
      return {DurableScope::kTheRange, profile == Profile::kExt4Ordered};
    case EventKind::kSyncAll:
      return {DurableScope::kEverything};
    case EventKind::kSyncRange:
      // sync_file_range(2): "there are no guarantees that the data will be
      // available after a crash"; it flushes neither metadata nor the
      // device's write cache.
    case EventKind::kOpen:
    case EventKind::kClose:
    case EventKind::kTruncate:
    case EventKind::kFallocate:
    case EventKind::kMapWrite:
    case EventKind::kRename:
    case EventKind::kUnlink:
    case EventKind::kLink:
    case EventKind::kMkdir:
    case EventKind::kRmdir:
    case EventKind::kPoint:
    case EventKind::kReply:
      return {};
  }
  return {};
}

bool AsksForDurability(const Event& e) {
  return e.kind == EventKind::kSyncRange ||
         DurableOnReturn(e, Profile::kPosix).scope != DurableScope::kNothing;
}

}  // namespace crashlab::faults
