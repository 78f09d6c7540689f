// pagejournal's recovery, run by every open: from the newest valid checkpoint,
// replay the journal records that follow it, in order, each verified (its
// checksum, and its transaction id one more than the last), stopping at the
// first invalid record; apply their pages to the data file, sync it, and
// write a new checkpoint. New records then go after the last valid one.
#pragma once

#include <cstdint>
#include <string>

#include "engines/pagejournal/data_file.h"
#include "engines/pagejournal/header_file.h"
#include "engines/pagejournal/journal.h"
#include "framework/base/status.h"

namespace crashlab::pagejournal {

// How replay judges a record; the defaults are the correct engine's.
struct ReplayRules {
  bool verify_checksum = true;   // false: bug no-checksum
  bool require_next_txn = true;  // false: bug recycled-journal-stale
};

struct Recovered {
  uint64_t last_txn = 0;  // the store's last transaction
  PageNo page_count = 0;  // the store's logical pages after it
  JournalPos end;         // where the next record goes
  uint64_t replayed = 0;  // records (or, from scratch, slots) applied
};

// Walks the valid records after `from` (expecting transaction from_txn + 1
// first): at an invalid record, looks at the start of the next journal file
// for the transaction id it expects, and stops if it is not there. Calls
// `apply` for each valid record, in order. Returns the position after the
// last valid record, and the last transaction id.
struct WalkEnd {
  JournalPos end;
  uint64_t last_txn = 0;
  PageNo page_count = 0;
  uint64_t records = 0;
};
template <typename Apply>
[[nodiscard]] Result<WalkEnd> WalkJournal(JournalReader& reader, JournalPos from, uint64_t from_txn,
                                          PageNo from_page_count, const ReplayRules& rules,
                                          Apply&& apply);

// Replays the journal into `data` after the newest checkpoint of `headers`,
// syncs `data` and writes a new checkpoint when anything was replayed. Fires
// the recovery.replay points.
[[nodiscard]] Result<Recovered> RecoverFromJournal(const std::string& dir, uint32_t page_size,
                                                   const ReplayRules& rules, HeaderFiles& headers,
                                                   DataFile& data);

// Bug recover-from-scratch: applies the tagged slots of <dir>/scratch newer
// than the checkpoint, in transaction order, instead of the journal (which is
// only walked to find where new records go); then syncs and checkpoints.
[[nodiscard]] Result<Recovered> RecoverFromScratch(const std::string& dir, uint32_t page_size,
                                                   HeaderFiles& headers, DataFile& data);

// --- implementation of the template ---------------------------------------

template <typename Apply>
Result<WalkEnd> WalkJournal(JournalReader& reader, JournalPos from, uint64_t from_txn,
                            PageNo from_page_count, const ReplayRules& rules, Apply&& apply) {
  WalkEnd walk{from, from_txn, from_page_count, 0};
  // Each step moves forward through finitely many files, so the walk ends
  // even when continuity is not checked.
  for (;;) {
    const uint64_t expected = walk.last_txn + 1;
    auto acceptable = [&](const std::optional<Record>& r) {
      return r.has_value() && (!rules.require_next_txn || r->header.txn == expected);
    };
    JournalPos pos = walk.end;
    Result<std::optional<Record>> record = reader.ReadAt(pos);
    if (!record.ok()) return record.status();
    if (!acceptable(*record)) {
      // A record that did not fit went to the start of the next file.
      pos = JournalPos{walk.end.file + 1, 0};
      record = reader.ReadAt(pos);
      if (!record.ok()) return record.status();
      if (!acceptable(*record)) return walk;
    }
    const Record& r = **record;
    if (Status s = apply(r); !s.ok()) return s;
    walk.end = JournalPos{pos.file, pos.offset + r.padded_length()};
    walk.last_txn = r.header.txn;
    walk.page_count = r.header.page_count;
    ++walk.records;
  }
}

}  // namespace crashlab::pagejournal
