// The persistence model: from a trace and a crash plan, the directory tree a
// crash would leave, computed in memory. crash_state.h reads and writes the
// trees on disk; docs/persistence-model.md lists every rule with its source.
//
// Crash point c: events [0, c) have completed; event c, if any, was in flight.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faults/trace.h"
#include "framework/base/status.h"

namespace crashlab::faults {

// Which guarantees a power loss honours beyond the durable state.
enum class Profile {
  kPosix,        // the weakest POSIX allows: any subset of pending writes, any tear
  kExt4Ordered,  // ext4 mounted data=ordered (the default), auto_da_alloc on
};

// "posix" or "ext4-ordered": the names used in the CLI, database and reports.
std::string_view ProfileName(Profile profile);
Result<Profile> ParseProfile(std::string_view name);

// Explicit outcomes for a power loss, instead of seeded draws: systematic
// exploration enumerates them.
struct PowerLossChoices {
  // A constructor rather than an aggregate, so that {keep, tear} stays
  // complete for the callers that tear the write in flight.
  PowerLossChoices(uint64_t keep_bits = 0, std::string tear_units = "",
                   std::optional<uint64_t> torn = std::nullopt)
      : keep(keep_bits), tear(std::move(tear_units)), torn_event(torn) {}
  // Bit j says whether the j-th pending change the model decides survives:
  // namespace changes first, in trace order, then content changes, file by
  // file. Changes past the 64th survive.
  uint64_t keep = 0;
  // Empty, or how one write tears when it survives: one letter per atomic
  // unit, N new, O old (zeros past the old end of file), G garbage (old
  // instead, on a unit that starts inside the old file: the device writes a
  // unit all or nothing). No other write tears.
  std::string tear;
  // The write that tears: the pending (completed, never synced) write of
  // this event, or when unset the write in flight at the crash point. A
  // write split by a ranged sync tears in its first pending piece.
  std::optional<uint64_t> torn_event;
  bool operator==(const PowerLossChoices&) const = default;
};

struct PowerLossPlan {
  uint64_t event = 0;          // crash point c
  uint64_t seed = 0;           // decides which pending writes and names survive, and how they tear
  uint32_t atomic_unit = 512;  // bytes a device writes all-or-nothing; > 0
  Profile profile = Profile::kPosix;
  // When set, these decide instead of the seed (which then only draws the
  // bytes of garbage units). Posix profile only.
  std::optional<PowerLossChoices> choices;
};

// The largest file the model builds crash states of, in bytes (1 GiB): a
// file's image is held whole in memory, holes included, so a 1 TiB sparse
// file (one ftruncate) would ask for 1 TiB. A trace event that takes a file
// past it (write, truncate, fallocate) and a base directory file over it
// are errors naming the file and its size, never a verdict.
// docs/persistence-model.md states the limit.
inline constexpr uint64_t kModelFileSizeLimit = uint64_t{1} << 30;

// A directory tree in memory: paths relative to its root, '/'-separated.
// Every ancestor of a file or directory is listed in `dirs`.
struct DirTree {
  using Files = std::map<std::string, std::string>;  // path -> content
  Files files;
  std::set<std::string> dirs;
  bool operator==(const DirTree&) const = default;
};

// What a power loss did to one pending (not yet durable) content change.
enum class WriteFate { kSurvived, kVanished, kTorn };

struct WriteOutcome {
  uint64_t event = 0;
  EventKind kind = EventKind::kWrite;
  uint64_t file = 0;
  WriteFate fate = WriteFate::kSurvived;
  // For kTorn, one letter per atomic unit the write touches, in file order:
  // N new, O old, Z zeroed, G garbage.
  std::string units;
};

// What a power loss did to one namespace change that was not durable.
struct NameOutcome {
  uint64_t event = 0;
  EventKind kind = EventKind::kOpen;
  std::string path;
  std::string path2;
  bool kept = false;
};

// What a power-loss plan kept, dropped and tore, for reports and replay logs.
struct CrashReport {
  std::vector<WriteOutcome> writes;
  std::vector<NameOutcome> names;
  // One line per outcome, e.g. "event 12 write file 3: torn NNOZ".
  std::string ToString() const;
};

// The tree a process kill at `event` leaves: `base` with events [0, event)
// applied in full (the kernel holds them). Fails when `event` is past the end
// of the trace or the trace is inconsistent (a write on a file never opened).
Result<DirTree> ModelKill(const Trace& trace, uint64_t event, const DirTree& base);

// The tree a power loss under `plan` leaves: the durable state at plan.event
// plus the pending changes the seed and profile let survive. Deterministic:
// the same arguments give the same tree and report. `report` may be null.
Result<DirTree> ModelPowerLoss(const Trace& trace, const PowerLossPlan& plan, const DirTree& base,
                               CrashReport* report);

}  // namespace crashlab::faults
