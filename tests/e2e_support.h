// Helpers for end-to-end tests: run the built crashlab executable, read the
// results database it wrote, and look for processes it left behind.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace crashlab::e2e {

// The fake engine's variants file (tests/fake_engine/), for --engine.
inline const std::string kFakeEngine = CRASHLAB_FAKE_ENGINE;

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// A fresh directory, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A tmpfs of `size` ("8m") mounted at `dir` (created) for the object's
// lifetime. Needs root (CI runs as root): a test skips when !mounted().
class SmallFileSystem {
 public:
  SmallFileSystem(const std::string& dir, const std::string& size);
  ~SmallFileSystem();
  SmallFileSystem(const SmallFileSystem&) = delete;
  SmallFileSystem& operator=(const SmallFileSystem&) = delete;
  bool mounted() const { return mounted_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// Runs crashlab with `args` and extra environment variables; waits for it.
CommandResult RunCrashlab(const std::vector<std::string>& args,
                          const std::vector<std::pair<std::string, std::string>>& env = {});

// Runs crashlab like RunCrashlab but sends it `signal` (SIGKILL by default)
// after `after_ms` milliseconds if it is still running.
CommandResult RunCrashlabKilledAfter(
    const std::vector<std::string>& args, int after_ms,
    const std::vector<std::pair<std::string, std::string>>& env = {}, int signal = 9);

// Runs any program (found on PATH) with its arguments; waits for it.
CommandResult RunProgram(const std::vector<std::string>& argv);

using Row = std::map<std::string, std::string>;
// Runs `sql` on the SQLite file at `db`; every column as text (NULL as "").
std::vector<Row> Query(const std::string& db, const std::string& sql);
// The number of recorded cases of the database at `db` that match the SQL
// condition `where` (on the cases table).
int64_t CountCasesWhere(const std::string& db, const std::string& where);

// Processes whose environment holds `entry` (e.g. "CRASHLAB_TEST_MARKER=x").
int CountProcessesWithEnv(const std::string& entry);

std::string ReadFile(const std::string& path);

}  // namespace crashlab::e2e
