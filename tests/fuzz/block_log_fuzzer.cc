// Fuzzes the block log reader (faults/block/block_log.h ParseBlockLog), which
// reads the logs crashlab-blockdev writes and the logs the results database
// keeps with block-level failures.
//
// Checks, for every input:
//   - ParseBlockLog returns a value or an error naming its source; it never
//     crashes;
//   - every write and discard of a parsed log is whole sectors inside the
//     disk;
//   - at every crash point, the fates a seed draws number the point's pending
//     writes, each fate is well formed (a torn write's letters one per
//     sector, at least one kept and one lost) and reads back from its text;
//     the marks before a point never outnumber the records before it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "faults/block/block_crash.h"
#include "faults/block/block_log.h"

namespace {

using namespace crashlab::faults;

constexpr char kWhat[] = "fuzz.blocklog";

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  crashlab::Result<BlockLog> log = ParseBlockLog(bytes, kWhat);
  if (!log.ok()) {
    Check(log.status().message().find(kWhat) != std::string::npos);
    return 0;
  }
  for (const auto* records : {&log->base, &log->records}) {
    for (const BlockRecord& r : *records) {
      if (r.kind != BlockRecordKind::kWrite && r.kind != BlockRecordKind::kZero) continue;
      Check(r.offset % log->sector == 0 && r.length % log->sector == 0);
      Check(r.offset <= log->image_size && r.length <= log->image_size - r.offset);
    }
  }
  const uint64_t end = log->records.size();
  for (uint64_t p = 0; p <= end && p < 64; ++p) {
    const BlockPending pending = PendingAt(*log, p);
    Check(pending.durable_end <= p);
    const BlockCrashChoices fates = DrawBlockChoices(*log, p, p * 7919 + size);
    Check(fates.fates.size() == pending.records.size());
    for (std::size_t j = 0; j < fates.fates.size(); ++j) {
      const std::string& f = fates.fates[j];
      if (f == "-" || f == "*") continue;
      const BlockRecord& r = log->records[pending.records[j]];
      Check(r.kind == BlockRecordKind::kWrite);
      Check(f.size() == (r.length + log->sector - 1) / log->sector);
      Check(f.find('N') != std::string::npos && f.find('O') != std::string::npos);
    }
    crashlab::Result<BlockCrashChoices> back = BlockCrashChoices::Parse(fates.ToString());
    Check(back.ok() && *back == fates);
    Check(MarksBefore(*log, p).size() <= p);
  }
  return 0;
}
