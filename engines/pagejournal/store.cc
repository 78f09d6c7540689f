#include "engines/pagejournal/store.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engines/pagejournal/file_util.h"
#include "engines/pagejournal/kv_index.h"
#include "engines/pagejournal/points.h"
#include "engines/pagejournal/recovery.h"
#include "faults/points/point.h"

namespace crashlab::pagejournal {
namespace {

JournalConfig MakeJournalConfig(const std::string& dir, const Options& options) {
  JournalConfig config;
  config.dir = dir;
  config.file_size = options.journal_size;
  config.write_through = options.bug != Bug::kJournalNoSync;
  config.sync_new_names = options.bug != Bug::kNewJournalNoDirsync;
  return config;
}

// The protocol's rule when a commit's outcome cannot be told: say why, exit.
[[noreturn]] void Fatal(const std::string& message) {
  std::fprintf(stderr, "crashlab-engine-pagejournal: %s; exiting, recovery will decide\n",
               message.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

}  // namespace

Status Store::Create(const std::string& dir, const Options& options) {
  // No header.a: no store, or one whose creation was cut short before any
  // commit. Either way, start over.
  Result<std::vector<uint64_t>> old = ListJournals(dir);
  if (!old.ok()) return old.status();
  for (uint64_t n : *old) {
    if (Status s = RemoveIfExists(dir + "/" + JournalFileName(n)); !s.ok()) return s;
  }
  if (Result<std::unique_ptr<DataFile>> data =
          DataFile::Open(dir + "/data", options.page_size, true);
      !data.ok()) {
    return data.status();
  }
  Result<std::unique_ptr<JournalWriter>> journal =
      JournalWriter::Open(MakeJournalConfig(dir, options), JournalPos{1, 0}, {});
  if (!journal.ok()) return journal.status();
  CRASHLAB_POINT(points::kStoreCreateBefore);
  Checkpoint first;
  first.page_size = options.page_size;
  first.journal = JournalPos{1, 0};
  return HeaderFiles::Create(dir, first, options.bug == Bug::kSingleHeader);
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const Options& options) {
  if (Status s = MakeDirectories(dir); !s.ok()) return s;
  if (!HeaderFiles::StoreExists(dir)) {
    if (Status s = Create(dir, options); !s.ok()) return s;
  }
  Result<HeaderFiles> headers = HeaderFiles::Open(dir, options.bug == Bug::kSingleHeader);
  if (!headers.ok()) return headers.status();
  if (headers->newest().page_size != options.page_size) {
    return Status::Error(dir + " holds a store of " + std::to_string(headers->newest().page_size) +
                         "-byte pages; run the engine with --page-size=" +
                         std::to_string(headers->newest().page_size));
  }
  std::unique_ptr<Store> store(new Store(dir, options, std::move(*headers)));
  Result<std::unique_ptr<DataFile>> data = DataFile::Open(dir + "/data", options.page_size, false);
  if (!data.ok()) return data.status();
  store->data_ = std::move(*data);

  Result<Recovered> recovered =
      options.bug == Bug::kRecoverFromScratch
          ? RecoverFromScratch(dir, options.page_size, store->headers_, *store->data_)
          : RecoverFromJournal(dir, options.page_size,
                               ReplayRules{options.bug != Bug::kNoChecksum,
                                           options.bug != Bug::kRecycledJournalStale},
                               store->headers_, *store->data_);
  if (!recovered.ok()) return Status::Error("recovery failed: " + recovered.status().message());

  Result<std::vector<uint64_t>> journals = ListJournals(dir);
  if (!journals.ok()) return journals.status();
  Result<std::unique_ptr<JournalWriter>> journal =
      JournalWriter::Open(MakeJournalConfig(dir, options), recovered->end, *journals);
  if (!journal.ok()) return journal.status();
  store->journal_ = std::move(*journal);
  // The checkpoint is durable: journals wholly before it are not needed.
  if (Status s = store->journal_->RecycleBefore(store->headers_.newest().journal.file); !s.ok())
    return s;

  Result<std::unique_ptr<Scratch>> scratch =
      Scratch::Create(dir, options.page_size, options.bug == Bug::kRecoverFromScratch);
  if (!scratch.ok()) return scratch.status();
  store->scratch_ = std::move(*scratch);
  store->pager_ = std::make_unique<Pager>(*store->data_, *store->scratch_, options.page_size,
                                          recovered->page_count, recovered->last_txn);
  if (recovered->page_count == 0) {
    // A new store, or one whose format transaction never reached the journal.
    std::lock_guard lock(store->mu_);
    Transaction txn(*store->pager_);
    if (Status s = KvIndex::Format(txn, options.buckets); !s.ok()) return s;
    if (Status s = store->CommitLocked(txn); !s.ok()) return s;
  }
  if (options.flush_every == 0) store->StartFlusher();
  return store;
}

Store::~Store() { StopFlusher(); }

Status Store::Commit(const std::vector<protocol::Op>& ops) {
  bool flush_now = false;
  Status result;
  {
    std::lock_guard lock(mu_);
    if (!failed_.ok()) return failed_;
    if (Status s = WritePendingLocked(); !s.ok()) return s;
    Transaction txn(*pager_);
    for (const protocol::Op& op : ops) {
      Status s = op.is_put ? KvIndex::Put(txn, op.key, op.value) : KvIndex::Delete(txn, op.key);
      if (!s.ok()) return Status::Error("transaction not committed: " + s.message());
    }
    result = CommitLocked(txn);
    if (result.ok() && options_.flush_every > 0 && ++commits_since_flush_ >= options_.flush_every) {
      commits_since_flush_ = 0;
      flush_now = true;
    }
  }
  if (flush_now) {
    // The commit stands whatever the flush does: its record is durable.
    if (Status s = Flush(); !s.ok())
      std::fprintf(stderr, "crashlab-engine-pagejournal: flush failed: %s\n", s.message().c_str());
  }
  return result;
}

Status Store::CommitLocked(Transaction& txn) {
  const std::vector<PageImage> changes = txn.Changes();
  if (changes.empty()) return Status::Ok();  // nothing changed: nothing to make durable
  const uint64_t id = pager_->last_txn() + 1;
  AlignedBuffer record = EncodeRecord(id, txn.page_count(), options_.page_size, changes);
  // Room in scratch first: after the journal write nothing may fail.
  if (Status s = pager_->Reserve(changes.size()); !s.ok())
    return Status::Error("transaction not committed: " + s.message());
  if (options_.bug == Bug::kAckBeforeJournal) {
    pending_ = std::move(record);  // the bug: acknowledged before it is written
  } else if (Status s = WriteRecordLocked(record); !s.ok()) {
    return s;
  }
  pager_->Install(id, txn.page_count(), changes);
  if (flusher_.joinable() && pager_->scratch_pages() >= options_.flush_threshold_pages)
    WakeFlusher();
  return Status::Ok();
}

Status Store::WriteRecordLocked(const AlignedBuffer& record) {
  CRASHLAB_POINT(points::kJournalWriteBefore);
  bool maybe_written = false;
  // DURABILITY: the commit is acknowledged only after this write returns:
  // the journal is opened O_DIRECT|O_DSYNC, so the record is then on stable
  // storage; acknowledging earlier loses the transaction to a kill or a
  // power loss (bug ack-before-journal).
  if (Status s = journal_->Append(record, &maybe_written); !s.ok()) {
    if (maybe_written)
      Fatal("journal write failed after it may have reached the file: " + s.message());
    return Status::Error("transaction not committed: " + s.message());
  }
  CRASHLAB_POINT(points::kJournalWriteAfter);
  return Status::Ok();
}

Status Store::WritePendingLocked() {
  if (!pending_) return Status::Ok();
  Status s = WriteRecordLocked(*pending_);
  pending_.reset();
  if (!s.ok()) return FailLocked(s);  // an acknowledged transaction did not reach the journal
  return Status::Ok();
}

Status Store::FlushImpl(bool background) {
  std::lock_guard flush_lock(flush_mu_);
  std::vector<PttEntry> snapshot;
  Checkpoint cp;
  {
    std::lock_guard lock(mu_);
    if (!failed_.ok()) return failed_;
    if (pending_ && background) return Status::Ok();  // bug ack-before-journal: left to a request
    if (Status s = WritePendingLocked(); !s.ok()) return s;
    if (pager_->last_txn() == headers_.newest().txn) return Status::Ok();
    snapshot = pager_->Snapshot();
    cp.page_size = options_.page_size;
    cp.txn = pager_->last_txn();
    cp.journal = journal_->position();
    cp.page_count = pager_->page_count();
    if (Status s = data_->EnsurePages(cp.page_count); !s.ok()) return FailLocked(s);
    for (const PttEntry& e : snapshot)
      std::memcpy(data_->page(e.page), pager_->SlotPage(e.slot), options_.page_size);
    CRASHLAB_POINT(points::kFlushCopyDone);
  }
  // Commits go on while the data file syncs: they never write it, and only a
  // flush (holding flush_mu_) grows or syncs it.
  if (options_.bug == Bug::kCheckpointBeforeDataSync) {
    if (Status s = headers_.Write(cp); !s.ok()) return Fail(s);  // the bug: too early
    // DURABILITY: (bug checkpoint-before-data-sync) the data sync comes after
    // the checkpoint that relies on it: a power loss in between keeps the
    // checkpoint and loses the pages its skipped records held.
    if (Status s = SyncData(); !s.ok()) return Fail(s);
  } else {
    // DURABILITY: data sync before checkpoint. The checkpoint tells recovery
    // to skip every record up to cp.txn, so the pages those records held must
    // already be durable in the data file; the other order lets a power loss
    // keep the checkpoint and lose the pages (bug checkpoint-before-data-sync).
    if (Status s = SyncData(); !s.ok()) return Fail(s);
    if (Status s = headers_.Write(cp); !s.ok()) return Fail(s);
  }
  std::lock_guard lock(mu_);
  pager_->Release(snapshot);
  // Only now may the journals wholly before the checkpoint go: it is durable.
  if (Status s = journal_->RecycleBefore(cp.journal.file); !s.ok()) return FailLocked(s);
  return Status::Ok();
}

Status Store::SyncData() {
  CRASHLAB_POINT(points::kDataSyncBefore);
  if (Status s = data_->Sync(); !s.ok()) return s;
  CRASHLAB_POINT(points::kDataSyncAfter);
  return Status::Ok();
}

Status Store::Fail(const Status& error) {
  std::lock_guard lock(mu_);
  return FailLocked(error);
}

Status Store::FailLocked(const Status& error) {
  // After a failed sync the page cache may hold pages that never reach the
  // disk, and a retry can report success (fsync's error is reported once);
  // the journal still has every record since the checkpoint, so stop here
  // and let the next open recover.
  if (failed_.ok())
    failed_ = Status::Error("store " + dir_ + " stopped: " + error.message() +
                            "; close and reopen it to recover from the journal");
  return failed_;
}

Result<std::optional<std::string>> Store::Get(const std::string& key) {
  std::lock_guard lock(mu_);
  if (Status s = WritePendingLocked(); !s.ok()) return s;
  Transaction txn(*pager_);
  return KvIndex::Get(txn, key);
}

Result<std::vector<std::pair<std::string, std::string>>> Store::Dump() {
  std::lock_guard lock(mu_);
  if (Status s = WritePendingLocked(); !s.ok()) return s;
  Transaction txn(*pager_);
  std::vector<std::pair<std::string, std::string>> out;
  Status s = KvIndex::ForEach(txn, [&](std::string_view key, std::string_view value) {
    out.emplace_back(std::string(key), std::string(value));
  });
  if (!s.ok()) return s;
  return out;
}

Status Store::Check() {
  std::lock_guard flush_lock(flush_mu_);
  std::lock_guard lock(mu_);
  if (!failed_.ok()) return failed_;
  if (Status s = WritePendingLocked(); !s.ok()) return s;
  Transaction txn(*pager_);
  if (Status s = KvIndex::Check(txn); !s.ok()) return Status::Error("index: " + s.message());
  if (Status s = pager_->CheckStructure(); !s.ok()) return s;
  const Checkpoint& cp = headers_.newest();
  const std::string at = "checkpoint " + std::to_string(cp.seq) + ": ";
  if (cp.txn > pager_->last_txn())
    return Status::Error(at + "names transaction " + std::to_string(cp.txn) +
                         ", after the last committed one, " + std::to_string(pager_->last_txn()));
  if (cp.page_count > pager_->page_count())
    return Status::Error(at + "counts more pages than the store has");
  if (data_->pages() < cp.page_count)
    return Status::Error(at + "counts " + std::to_string(cp.page_count) +
                         " pages, the data file holds " + std::to_string(data_->pages()));
  const JournalPos pos = journal_->position();
  if (cp.journal.file > pos.file || (cp.journal.file == pos.file && cp.journal.offset > pos.offset))
    return Status::Error(at + "journal position is after the journal's end");
  return Status::Ok();
}

Status Store::Close() {
  StopFlusher();
  return Flush();
}

Checkpoint Store::checkpoint() {
  std::lock_guard flush_lock(flush_mu_);
  return headers_.newest();
}

JournalPos Store::journal_position() {
  std::lock_guard lock(mu_);
  return journal_->position();
}

void Store::StartFlusher() {
  flusher_ = std::thread([this] { FlusherLoop(); });
}

void Store::StopFlusher() {
  if (!flusher_.joinable()) return;
  {
    std::lock_guard lock(flusher_mu_);
    stop_ = true;
  }
  flusher_cv_.notify_all();
  flusher_.join();
}

void Store::WakeFlusher() {
  {
    std::lock_guard lock(flusher_mu_);
    wake_ = true;
  }
  flusher_cv_.notify_all();
}

void Store::FlusherLoop() {
  const auto interval = std::chrono::milliseconds(options_.flush_interval_ms);
  std::unique_lock lock(flusher_mu_);
  bool reported = false;
  while (!stop_) {
    flusher_cv_.wait_for(lock, interval, [&] { return stop_ || wake_; });
    if (stop_) break;
    wake_ = false;
    lock.unlock();
    if (Status s = FlushImpl(/*background=*/true); !s.ok() && !reported) {
      std::fprintf(stderr, "crashlab-engine-pagejournal: background flush failed: %s\n",
                   s.message().c_str());
      reported = true;
    }
    lock.lock();
  }
}

}  // namespace crashlab::pagejournal
