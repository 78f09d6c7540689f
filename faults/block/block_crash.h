// Block crash states: what a power loss at a point of a block log
// (block_log.h) leaves on the disk. As CrashMonkey models a disk with a
// volatile cache: every write completed before the last flush that
// completed is on the disk; of the writes after it, any subset is, each one
// possibly torn, with any of its sectors on the disk and the others not (a
// sector is written all or nothing). Discards after the last flush are kept
// or not, whole.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faults/block/block_log.h"
#include "framework/base/status.h"

namespace crashlab::faults {

// The writes a power loss at point p may keep or lose: those after the last
// flush among records [0, p).
struct BlockPending {
  std::size_t durable_end = 0;       // records [0, durable_end) are on the disk
  std::vector<std::size_t> records;  // indexes of the pending kWrite and kZero records
};
BlockPending PendingAt(const BlockLog& log, uint64_t point);

// What a power loss did to each pending record, in the order of
// BlockPending::records: "-" lost, "*" kept whole, else one letter per
// sector of a torn write, N on the disk and O not.
struct BlockCrashChoices {
  std::vector<std::string> fates;
  bool operator==(const BlockCrashChoices&) const = default;
  // The fates joined by ',' ("*,-,NNO"), for plans and logs; "" for none.
  std::string ToString() const;
  static Result<BlockCrashChoices> Parse(const std::string& text);
};

// The fates a seed draws at point p: each pending record kept with
// probability 1/2, a kept write of two sectors or more torn with
// probability 1/4 (some of its sectors kept, not all).
BlockCrashChoices DrawBlockChoices(const BlockLog& log, uint64_t point, uint64_t seed);

// Writes the disk a power loss at `point` with `choices` leaves to a new
// file at `path` (sparse, the log's image size). An error names the file,
// or choices that do not fit the point's pending records.
[[nodiscard]] Status WriteBlockCrashImage(const BlockLog& log, uint64_t point,
                                          const BlockCrashChoices& choices,
                                          const std::string& path);

// The marks (the protocol replies the controller had read) among records
// [0, point), in order.
std::vector<std::string> MarksBefore(const BlockLog& log, uint64_t point);

}  // namespace crashlab::faults
