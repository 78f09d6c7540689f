// One open pagejournal store: the seed's design put together. A commit turns
// the transaction's changed pages into one journal record, written with
// O_DIRECT|O_DSYNC, then copies the pages into scratch and points the page
// translation table at them; only then is it acknowledged. A flush (on a
// background thread, or every N commits on the committing thread, or on
// request) copies committed pages into the memory-mapped data file, syncs it,
// writes the checkpoint into the older header file, and recycles journals the
// checkpoint has passed. Open recovers (recovery.h).
//
// Thread safety: every public function may be called from one thread while
// the background flusher runs; they must not be called concurrently with each
// other (adapter::Serve calls them one at a time).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engines/pagejournal/data_file.h"
#include "engines/pagejournal/header_file.h"
#include "engines/pagejournal/journal.h"
#include "engines/pagejournal/options.h"
#include "engines/pagejournal/pager.h"
#include "engines/pagejournal/scratch.h"
#include "framework/base/status.h"
#include "framework/protocol/protocol.h"

namespace crashlab::pagejournal {

class Store {
 public:
  // Opens the store in `dir`, creating the directory and a new store when it
  // holds none (the index is formatted as transaction 1), recovering it
  // otherwise. Starts the background flusher unless options.flush_every > 0.
  [[nodiscard]] static Result<std::unique_ptr<Store>> Open(const std::string& dir,
                                                           const Options& options);
  // Stops the flusher without flushing: Close is the orderly way out.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Commits `ops` as one transaction. Ok once its journal record's write has
  // returned (durable) and readers see it. An error means nothing of it was
  // committed: a bad key or value, or a failure before the journal write. A
  // journal write that failed after bytes may have reached the file ends the
  // process (the outcome cannot be told), as the protocol asks.
  [[nodiscard]] Status Commit(const std::vector<protocol::Op>& ops);
  [[nodiscard]] Result<std::optional<std::string>> Get(const std::string& key);
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> Dump();
  // KvIndex::Check, then the store's own invariants (page translation table,
  // checkpoint against the committed state, data file and journal position).
  [[nodiscard]] Status Check();
  // Flushes synchronously: afterwards the checkpoint names the last commit.
  [[nodiscard]] Status Flush() { return FlushImpl(/*background=*/false); }
  // Stops the flusher and flushes. The store is unusable afterwards.
  [[nodiscard]] Status Close();

  // For tests and checks: the newest checkpoint and the journal's append
  // position.
  Checkpoint checkpoint();
  JournalPos journal_position();

 private:
  Store(std::string dir, Options options, HeaderFiles headers)
      : dir_(std::move(dir)), options_(std::move(options)), headers_(std::move(headers)) {}
  static Status Create(const std::string& dir, const Options& options);

  // Under mu_: journal the transaction's changes and install them.
  Status CommitLocked(Transaction& txn);
  Status WriteRecordLocked(const AlignedBuffer& record);
  // Bug ack-before-journal: writes the record a previous commit deferred.
  Status WritePendingLocked();
  Status FlushImpl(bool background);
  Status SyncData();
  // Records `error` as the reason the store stopped, and returns it.
  Status Fail(const Status& error);
  Status FailLocked(const Status& error);

  void StartFlusher();
  void StopFlusher();
  void WakeFlusher();
  void FlusherLoop();

  const std::string dir_;
  const Options options_;
  HeaderFiles headers_;  // guarded by flush_mu_
  std::unique_ptr<DataFile> data_;
  std::unique_ptr<Scratch> scratch_;
  std::unique_ptr<JournalWriter> journal_;
  std::unique_ptr<Pager> pager_;  // destroyed before scratch_ and data_

  // Lock order: flush_mu_, then mu_, then flusher_mu_.
  std::mutex flush_mu_;  // one flush at a time; data-file growth and sync
  std::mutex mu_;        // pager_, journal_, scratch_, pending_, failed_
  std::optional<AlignedBuffer> pending_;
  Status failed_;
  uint32_t commits_since_flush_ = 0;

  std::mutex flusher_mu_;
  std::condition_variable flusher_cv_;
  bool stop_ = false;
  bool wake_ = false;
  std::thread flusher_;
};

}  // namespace crashlab::pagejournal
