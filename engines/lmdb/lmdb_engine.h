// crashlab's adapter for LMDB (liblmdb), driven through its C API. The
// environment is the directory the controller passes to `open`: LMDB keeps
// data.mdb and lock.mdb there. Each protocol transaction is one LMDB write
// transaction. Recovery is LMDB's own: mdb_env_open picks the newer of the two
// meta pages whose commit completed; there is no journal to replay.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engines/adapter/adapter.h"
#include "framework/base/status.h"

struct MDB_env;

namespace crashlab::engines {

// The map size of every environment: 16 MiB. LMDB refuses a transaction that
// would grow the data past it (MDB_MAP_FULL, answered `err`). crashlab's
// workloads keep at most 64 keys of up to ~8 KiB live (about 0.5 MiB, a few
// times that with LMDB's copy-on-write pages), so the map never fills in a
// campaign. Fixed, so that every process opening a crash state agrees on it.
// Not larger, because with MDB_WRITEMAP LMDB sizes data.mdb to the whole map
// and a power-loss case costs time in proportion to it: the tracer compares
// every mapped page at every event, and the crash-state builder copies the
// file image per replayed write (64 MiB: about 5.6 s a case; 16 MiB: 0.45 s).
inline constexpr std::size_t kLmdbMapSize = std::size_t{16} << 20;

// The variant knobs: one mdb_env_open flag each, named as lmdb.h names them.
struct LmdbOptions {
  bool nosync = false;      // MDB_NOSYNC
  bool nometasync = false;  // MDB_NOMETASYNC
  bool writemap = false;    // MDB_WRITEMAP
  bool mapasync = false;    // MDB_MAPASYNC (only with MDB_WRITEMAP)

  // The flags for mdb_env_open.
  unsigned int EnvFlags() const;
};

// Usage text for the command line, one option per line.
extern const char kLmdbUsage[];

// Parses the program's arguments (without argv[0]): any of --nosync,
// --nometasync, --writemap, --mapasync; none gives LMDB's defaults (a synced
// commit). --mapasync without --writemap is an error (lmdb.h defines it only
// "when using MDB_WRITEMAP"), as is an unknown option, named with the valid ones.
[[nodiscard]] Result<LmdbOptions> ParseLmdbOptions(const std::vector<std::string>& args);

// Not thread-safe: Serve() calls it from one thread, as adapter.h requires.
class LmdbEngine final : public adapter::Engine {
 public:
  explicit LmdbEngine(LmdbOptions options) : options_(options) {}
  ~LmdbEngine() override;
  LmdbEngine(const LmdbEngine&) = delete;
  LmdbEngine& operator=(const LmdbEngine&) = delete;

  std::string Name() const override { return "lmdb"; }
  std::vector<std::string> Capabilities() const override { return {"reopen"}; }

  // Creates `dir` when absent (syncing each new directory's parent) and, when
  // it holds no data.mdb, a new empty environment there, durably and
  // atomically; then opens the environment with kLmdbMapSize and the
  // variant's flags and reads the main database once, so a damaged root fails
  // here. An error names the directory and carries LMDB's message; nothing
  // stays open.
  Status Open(const std::string& dir) override;
  // One write transaction; ok only once mdb_txn_commit has returned 0. An error
  // before the commit aborts the transaction and is returned. A failed commit
  // whose outcome LMDB cannot tell (anything but MDB_MAP_FULL, MDB_TXN_FULL or
  // ENOMEM, which come before any write) is reported on stderr and ends the
  // process with status 3, as docs/engine-protocol.md asks.
  Status Commit(const std::vector<adapter::Op>& ops) override;
  Result<std::optional<std::string>> Get(const std::string& key) override;
  // Every pair, in LMDB's key order (memcmp).
  Result<std::vector<std::pair<std::string, std::string>>> Dump() override;
  // LMDB has no integrity check of its own; this walks both B-trees in one read
  // transaction: the main tree's keys must ascend and number what mdb_stat
  // says, and every free-list entry must name pages below the last used page.
  // An error says which rule failed.
  std::optional<Status> Check() override;
  // LMDB has no checkpoint: a commit writes the data file in place (copy on
  // write) and there is no journal to apply. Returns nullopt (`unsupported`).
  std::optional<Status> Checkpoint() override { return std::nullopt; }
  // Closes the environment; Open may follow.
  Status Close() override;

 private:
  // "lmdb: <action> on <dir>: <mdb_strerror(rc)>".
  Status LmdbError(const std::string& action, int rc) const;
  // Opens env_ on dir_, which exists, creating the environment first when
  // dir_ has no data.mdb; on error env_ is left for Close().
  Status OpenEnvironment();
  // Builds an empty environment as data.mdb.creating, syncs it and renames it
  // to data.mdb, so that no crash leaves a data.mdb LMDB cannot open.
  Status CreateEnvironment();

  const LmdbOptions options_;
  std::string dir_;  // the environment directory while open
  MDB_env* env_ = nullptr;
  unsigned int dbi_ = 0;  // the main (unnamed) database
};

}  // namespace crashlab::engines
