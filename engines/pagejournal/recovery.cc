#include "engines/pagejournal/recovery.h"

#include <algorithm>
#include <cstring>

#include "engines/pagejournal/points.h"
#include "engines/pagejournal/scratch.h"
#include "faults/points/point.h"

namespace crashlab::pagejournal {
namespace {

Status ApplyPage(DataFile& data, PageNo page, const uint8_t* bytes, uint32_t page_size) {
  if (Status s = data.EnsurePages(page + 1); !s.ok()) return s;
  std::memcpy(data.page(page), bytes, page_size);
  return Status::Ok();
}

// After replay: the data file durable, then a checkpoint naming it.
Status Finish(HeaderFiles& headers, DataFile& data, const Recovered& r, uint32_t page_size) {
  CRASHLAB_POINT(points::kRecoveryReplayDone);
  // DURABILITY: the replayed pages must be durable before the checkpoint
  // below names them; otherwise a power loss after it leaves neither the
  // pages nor, once their journals are recycled, the records that held them.
  if (Status s = data.Sync(); !s.ok()) return s;
  Checkpoint cp;
  cp.page_size = page_size;
  cp.txn = r.last_txn;
  cp.journal = r.end;
  cp.page_count = r.page_count;
  return headers.Write(cp);
}

}  // namespace

Result<Recovered> RecoverFromJournal(const std::string& dir, uint32_t page_size,
                                     const ReplayRules& rules, HeaderFiles& headers,
                                     DataFile& data) {
  const Checkpoint cp = headers.newest();
  JournalReader reader(dir, page_size,
                       rules.verify_checksum ? Verify::kChecksum : Verify::kHeaderOnly);
  uint64_t max_txn = cp.txn;
  Result<WalkEnd> walk =
      WalkJournal(reader, cp.journal, cp.txn, cp.page_count, rules, [&](const Record& r) -> Status {
        for (std::size_t i = 0; i < r.header.image_count; ++i) {
          if (Status s = ApplyPage(data, r.page_no(i), r.page(i), page_size); !s.ok()) return s;
        }
        max_txn = std::max(max_txn, r.header.txn);
        CRASHLAB_POINT(points::kRecoveryReplayRecord);
        return Status::Ok();
      });
  if (!walk.ok()) return walk.status();
  Recovered out;
  out.last_txn = max_txn;  // only a stale record replayed by a bug makes it differ
  out.page_count = walk->page_count;
  out.end = walk->end;
  out.replayed = walk->records;
  if (Status s = data.EnsurePages(out.page_count); !s.ok()) return s;
  if (out.replayed > 0) {
    if (Status s = Finish(headers, data, out, page_size); !s.ok()) return s;
  }
  return out;
}

Result<Recovered> RecoverFromScratch(const std::string& dir, uint32_t page_size,
                                     HeaderFiles& headers, DataFile& data) {
  const Checkpoint cp = headers.newest();
  Result<std::vector<ScratchSlot>> slots = Scratch::ReadTagged(dir, page_size, cp.txn);
  if (!slots.ok()) return slots.status();
  Recovered out;
  out.last_txn = cp.txn;
  out.page_count = cp.page_count;
  for (const ScratchSlot& slot : *slots) {
    if (Status s = ApplyPage(data, slot.page, slot.bytes.data(), page_size); !s.ok()) return s;
    out.last_txn = slot.txn;
    out.page_count = slot.page_count;
    CRASHLAB_POINT(points::kRecoveryReplayRecord);
  }
  out.replayed = slots->size();
  // The journal only tells where new records go and which ids are taken.
  JournalReader reader(dir, page_size, Verify::kChecksum);
  Result<WalkEnd> walk = WalkJournal(reader, cp.journal, cp.txn, cp.page_count, ReplayRules{},
                                     [](const Record&) { return Status::Ok(); });
  if (!walk.ok()) return walk.status();
  out.end = walk->end;
  out.last_txn = std::max(out.last_txn, walk->last_txn);
  if (Status s = data.EnsurePages(out.page_count); !s.ok()) return s;
  if (out.replayed > 0 || walk->records > 0) {
    if (Status s = Finish(headers, data, out, page_size); !s.ok()) return s;
  }
  return out;
}

}  // namespace crashlab::pagejournal
