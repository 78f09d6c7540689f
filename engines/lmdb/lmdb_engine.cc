#include "engines/lmdb/lmdb_engine.h"

#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "engines/adapter/durable_dirs.h"

namespace crashlab::engines {
namespace {

constexpr mdb_mode_t kFileMode = 0644;
// LMDB's data file in a directory environment.
constexpr char kDataFile[] = "data.mdb";
// A new environment is built under this name and renamed to kDataFile once
// complete; LMDB names its lock file for an MDB_NOSUBDIR path "<path>-lock".
constexpr char kStagingFile[] = "data.mdb.creating";
constexpr char kStagingLock[] = "data.mdb.creating-lock";
// The exit status after a commit that failed with an unknown outcome.
constexpr int kAmbiguousCommitExit = 3;

MDB_val ToVal(const std::string& bytes) {
  // LMDB does not write through mv_data; the cast only satisfies its C signature.
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}

std::string FromVal(const MDB_val& val) {
  return std::string(static_cast<const char*>(val.mv_data), val.mv_size);
}

// Aborts a transaction (and with it its cursors) when a scope ends, unless
// Release() handed it to mdb_txn_commit.
class AbortOnExit {
 public:
  explicit AbortOnExit(MDB_txn* txn) : txn_(txn) {}
  ~AbortOnExit() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }
  AbortOnExit(const AbortOnExit&) = delete;
  AbortOnExit& operator=(const AbortOnExit&) = delete;
  MDB_txn* Release() { return std::exchange(txn_, nullptr); }

 private:
  MDB_txn* txn_;
};

// Errors LMDB returns from mdb_txn_commit before it writes anything to the
// data file: the transaction did not take effect, so `err` is truthful.
bool CommitFailedBeforeWriting(int rc) {
  return rc == MDB_MAP_FULL || rc == MDB_TXN_FULL || rc == ENOMEM;
}

// LMDB's free-page B-tree: keys are transaction ids, each value a page-number
// list, its count first (the IDL format that mdb_stat -f reads too).
constexpr MDB_dbi kFreeDbi = 0;

// Walks one B-tree with `cursor`: keys must ascend and number `entries`; in
// the free list, each value must be a well-formed list of pages in
// [2, last_page] (pages 0 and 1 hold the meta pages).
Status WalkTree(MDB_txn* txn, MDB_cursor* cursor, bool free_list, std::size_t last_page,
                std::size_t entries) {
  const MDB_dbi dbi = mdb_cursor_dbi(cursor);
  std::size_t seen = 0;
  std::string previous;
  MDB_val key, value;
  int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST);
  for (; rc == 0; rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT), ++seen) {
    MDB_val before = ToVal(previous);
    if (seen > 0 && mdb_cmp(txn, dbi, &before, &key) >= 0) {
      return Status::Error("key " + std::to_string(seen) + " does not sort after the one before");
    }
    previous = FromVal(key);
    if (!free_list) continue;
    const std::size_t words = value.mv_size / sizeof(std::size_t);
    std::vector<std::size_t> list(words);
    if (words > 0) std::memcpy(list.data(), value.mv_data, words * sizeof(std::size_t));
    if (value.mv_size % sizeof(std::size_t) != 0 || words == 0 || list[0] != words - 1) {
      return Status::Error("entry " + std::to_string(seen) + " is not a page list");
    }
    for (std::size_t i = 1; i < words; ++i) {
      if (list[i] < 2 || list[i] > last_page) {
        return Status::Error("entry " + std::to_string(seen) + " frees page " +
                             std::to_string(list[i]) + ", outside pages 2.." +
                             std::to_string(last_page));
      }
    }
  }
  if (rc != MDB_NOTFOUND) return Status::Error(std::string("walk failed: ") + mdb_strerror(rc));
  if (seen != entries) {
    return Status::Error("holds " + std::to_string(seen) + " entries; mdb_stat says " +
                         std::to_string(entries));
  }
  return Status::Ok();
}

}  // namespace

unsigned int LmdbOptions::EnvFlags() const {
  return (nosync ? MDB_NOSYNC : 0u) | (nometasync ? MDB_NOMETASYNC : 0u) |
         (writemap ? MDB_WRITEMAP : 0u) | (mapasync ? MDB_MAPASYNC : 0u);
}

const char kLmdbUsage[] =
    "usage: crashlab-engine-lmdb [--nosync] [--nometasync] [--writemap [--mapasync]]\n"
    "Speaks the crashlab engine protocol on stdin/stdout (docs/engine-protocol.md).\n"
    "Each option sets the mdb_env_open flag of the same name (MDB_NOSYNC, ...).\n";

Result<LmdbOptions> ParseLmdbOptions(const std::vector<std::string>& args) {
  LmdbOptions options;
  for (const std::string& arg : args) {
    if (arg == "--nosync") {
      options.nosync = true;
    } else if (arg == "--nometasync") {
      options.nometasync = true;
    } else if (arg == "--writemap") {
      options.writemap = true;
    } else if (arg == "--mapasync") {
      options.mapasync = true;
    } else {
      return Status::Error("unknown option '" + arg +
                           "'; valid options: --nosync, --nometasync, --writemap, --mapasync");
    }
  }
  if (options.mapasync && !options.writemap) {
    return Status::Error(
        "--mapasync needs --writemap: lmdb.h defines MDB_MAPASYNC only "
        "\"when using MDB_WRITEMAP\"");
  }
  return options;
}

LmdbEngine::~LmdbEngine() { (void)Close(); }

Status LmdbEngine::LmdbError(const std::string& action, int rc) const {
  return Status::Error("lmdb: " + action + " on " + dir_ + ": " + mdb_strerror(rc));
}

Status LmdbEngine::Open(const std::string& dir) {
  if (env_ != nullptr) return Status::Error("lmdb: " + dir_ + " is already open; close it first");
  if (Status s = engines::MakeDirsDurably(dir); !s.ok()) return s;
  dir_ = dir;
  Status s = OpenEnvironment();
  if (!s.ok()) (void)Close();
  return s;
}

Status LmdbEngine::CreateEnvironment() {
  const std::string staging = dir_ + "/" + kStagingFile;
  const std::string staging_lock = dir_ + "/" + kStagingLock;
  // A creation cut short by a crash left these; LMDB would refuse a
  // half-written staging file, so creation starts over.
  for (const std::string& path : {staging, staging_lock}) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Status::Error("cannot remove " + path +
                           " left by an interrupted open: " + std::strerror(errno));
    }
  }
  MDB_env* env = nullptr;
  if (int rc = mdb_env_create(&env); rc != 0) return LmdbError("mdb_env_create", rc);
  auto fail = [&](const std::string& action, int rc) {
    mdb_env_close(env);
    return LmdbError(action + " of " + kStagingFile, rc);
  };
  if (int rc = mdb_env_set_mapsize(env, kLmdbMapSize); rc != 0) {
    return fail("mdb_env_set_mapsize", rc);
  }
  // The variant's flags, so the file is laid out as the variant would (with
  // MDB_WRITEMAP, sized to the map); MDB_NOSUBDIR names the file itself.
  if (int rc = mdb_env_open(env, staging.c_str(), options_.EnvFlags() | MDB_NOSUBDIR, kFileMode);
      rc != 0) {
    return fail("mdb_env_open", rc);
  }
  int fd = -1;
  if (int rc = mdb_env_get_fd(env, &fd); rc != 0) return fail("mdb_env_get_fd", rc);
  // DURABILITY: LMDB writes a new environment's two meta pages with a plain
  // pwrite (and with MDB_WRITEMAP sizes the file with ftruncate) and syncs
  // neither until a commit does. Synced here, before the rename, the name
  // data.mdb can never reach the disk ahead of a complete header: a torn or
  // lost header makes mdb_env_open fail with MDB_INVALID for good.
  if (::fsync(fd) != 0) return fail("fsync", errno);
  mdb_env_close(env);
  const std::string data = dir_ + "/" + kDataFile;
  // DURABILITY: the rename is atomic, so after a crash data.mdb is either
  // absent (the next open creates it again) or a whole, empty environment.
  if (::rename(staging.c_str(), data.c_str()) != 0) {
    return Status::Error("cannot rename " + staging + " to " + data + ": " + std::strerror(errno));
  }
  // DURABILITY: LMDB never syncs a directory; without this a power loss could
  // undo the rename, taking data.mdb away with every commit made in it.
  if (Status s = engines::SyncDir(dir_); !s.ok()) return s;
  // Not needed for durability: a leftover lock file is removed at the next open.
  (void)::unlink(staging_lock.c_str());
  return Status::Ok();
}

Status LmdbEngine::OpenEnvironment() {
  struct stat st;
  if (::stat((dir_ + "/" + kDataFile).c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return Status::Error("cannot stat " + dir_ + "/" + kDataFile + ": " + std::strerror(errno));
    }
    if (Status s = CreateEnvironment(); !s.ok()) return s;
  }
  if (int rc = mdb_env_create(&env_); rc != 0) {
    env_ = nullptr;
    return LmdbError("mdb_env_create", rc);
  }
  if (int rc = mdb_env_set_mapsize(env_, kLmdbMapSize); rc != 0) {
    return LmdbError("mdb_env_set_mapsize", rc);
  }
  // Recovery: LMDB reads both meta pages and uses the newer one.
  if (int rc = mdb_env_open(env_, dir_.c_str(), options_.EnvFlags(), kFileMode); rc != 0) {
    return LmdbError("mdb_env_open", rc);
  }

  // The main database always exists. Reading its first key walks from the
  // root the meta page names to a leaf, so an environment whose meta page
  // points at garbage fails `open` rather than a later request.
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn); rc != 0) {
    return LmdbError("mdb_txn_begin (read-only)", rc);
  }
  AbortOnExit guard(txn);
  if (int rc = mdb_dbi_open(txn, nullptr, 0, &dbi_); rc != 0) return LmdbError("mdb_dbi_open", rc);
  MDB_cursor* cursor = nullptr;
  if (int rc = mdb_cursor_open(txn, dbi_, &cursor); rc != 0) {
    return LmdbError("mdb_cursor_open", rc);
  }
  MDB_val key, value;
  const int first = mdb_cursor_get(cursor, &key, &value, MDB_FIRST);
  mdb_cursor_close(cursor);
  if (first != 0 && first != MDB_NOTFOUND) return LmdbError("reading the first key", first);
  // Committing a read-only transaction keeps the database handle open.
  if (int rc = mdb_txn_commit(guard.Release()); rc != 0) {
    return LmdbError("mdb_txn_commit (read-only)", rc);
  }
  return Status::Ok();
}

Status LmdbEngine::Commit(const std::vector<adapter::Op>& ops) {
  const int max_key = mdb_env_get_maxkeysize(env_);
  for (const adapter::Op& op : ops) {
    if (op.key.size() > static_cast<std::size_t>(max_key)) {
      return Status::Error("lmdb: a key of " + std::to_string(op.key.size()) +
                           " bytes is longer than LMDB's limit of " + std::to_string(max_key) +
                           " bytes (mdb_env_get_maxkeysize); nothing was committed");
    }
  }
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != 0) {
    return LmdbError("mdb_txn_begin", rc);
  }
  AbortOnExit guard(txn);
  for (const adapter::Op& op : ops) {
    MDB_val key = ToVal(op.key);
    if (op.is_put) {
      MDB_val value = ToVal(op.value);
      if (int rc = mdb_put(txn, dbi_, &key, &value, 0); rc != 0) return LmdbError("mdb_put", rc);
    } else if (int rc = mdb_del(txn, dbi_, &key, nullptr); rc != 0 && rc != MDB_NOTFOUND) {
      return LmdbError("mdb_del", rc);
    }
  }
  // DURABILITY: the caller acknowledges the transaction when this returns ok,
  // so ok may only follow mdb_txn_commit's 0: by then LMDB has written the
  // pages and the meta page, synced as the variant's flags say. The adapter
  // adds no sync here: what survives a power loss is LMDB's doing.
  const int rc = mdb_txn_commit(guard.Release());  // frees txn whatever it returns
  if (rc == 0) return Status::Ok();
  if (CommitFailedBeforeWriting(rc)) return LmdbError("mdb_txn_commit", rc);
  // A failure while writing or syncing pages or the meta page may or may not
  // leave the commit on disk; `err` would promise it did not (engine-protocol.md).
  std::fprintf(stderr,
               "crashlab-engine-lmdb: mdb_txn_commit on %s failed with an unknown outcome: %s; "
               "exiting\n",
               dir_.c_str(), mdb_strerror(rc));
  std::fflush(stderr);
  std::_Exit(kAmbiguousCommitExit);
}

Result<std::optional<std::string>> LmdbEngine::Get(const std::string& key) {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn); rc != 0) {
    return LmdbError("mdb_txn_begin (read-only)", rc);
  }
  AbortOnExit guard(txn);
  MDB_val k = ToVal(key);
  MDB_val value;
  const int rc = mdb_get(txn, dbi_, &k, &value);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  if (rc != 0) return LmdbError("mdb_get", rc);
  return std::optional<std::string>(FromVal(value));  // copied before the abort unmaps it
}

Result<std::vector<std::pair<std::string, std::string>>> LmdbEngine::Dump() {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn); rc != 0) {
    return LmdbError("mdb_txn_begin (read-only)", rc);
  }
  AbortOnExit guard(txn);
  MDB_cursor* cursor = nullptr;
  if (int rc = mdb_cursor_open(txn, dbi_, &cursor); rc != 0) {
    return LmdbError("mdb_cursor_open", rc);
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  MDB_val key, value;
  int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST);
  for (; rc == 0; rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
    pairs.emplace_back(FromVal(key), FromVal(value));
  }
  mdb_cursor_close(cursor);
  if (rc != MDB_NOTFOUND) return LmdbError("mdb_cursor_get", rc);
  return pairs;
}

std::optional<Status> LmdbEngine::Check() {
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn); rc != 0) {
    return LmdbError("mdb_txn_begin (read-only)", rc);
  }
  AbortOnExit guard(txn);
  MDB_envinfo info;
  if (int rc = mdb_env_info(env_, &info); rc != 0) return LmdbError("mdb_env_info", rc);
  for (const MDB_dbi dbi : {kFreeDbi, dbi_}) {
    const std::string tree = dbi == kFreeDbi ? "free list" : "main database";
    MDB_stat stat;
    if (int rc = mdb_stat(txn, dbi, &stat); rc != 0)
      return LmdbError("mdb_stat of the " + tree, rc);
    MDB_cursor* cursor = nullptr;
    if (int rc = mdb_cursor_open(txn, dbi, &cursor); rc != 0) {
      return LmdbError("mdb_cursor_open on the " + tree, rc);
    }
    Status s = WalkTree(txn, cursor, dbi == kFreeDbi, info.me_last_pgno, stat.ms_entries);
    mdb_cursor_close(cursor);
    if (!s.ok()) return Status::Error("lmdb: " + tree + " of " + dir_ + ": " + s.message());
  }
  return Status::Ok();
}

Status LmdbEngine::Close() {
  if (env_ != nullptr) mdb_env_close(env_);
  env_ = nullptr;
  dbi_ = 0;
  return Status::Ok();
}

}  // namespace crashlab::engines
