#include "tests/e2e_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace crashlab::e2e {

namespace fs = std::filesystem;

SmallFileSystem::SmallFileSystem(const std::string& dir, const std::string& size) : dir_(dir) {
  std::filesystem::create_directories(dir);
  mounted_ = mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
}

SmallFileSystem::~SmallFileSystem() {
  if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "crashlab-e2e-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// The TMPDIR of every program a test process starts, removed when the test
// process ends: campaigns that find the deliberate bugs keep their case
// directories in TMPDIR, and they piled up in /tmp (a few hundred a day).
const std::string& ChildTmpdir() {
  static const TempDir dir;
  return dir.path();
}

// Runs `argv` (a program found on PATH, then its arguments).
CommandResult RunAndMaybeKill(std::vector<std::string> all,
                              const std::vector<std::pair<std::string, std::string>>& env,
                              int kill_after_ms, int signal) {
  TempDir io;
  const std::string out_path = io / "out", err_path = io / "err";
  const std::string& tmpdir = ChildTmpdir();
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("TMPDIR", tmpdir.c_str(), 1);  // a test's own TMPDIR, in `env`, comes after
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (kill_after_ms >= 0) {
    for (int waited = 0; waited < kill_after_ms; waited += 5) {
      if (waitpid(pid, &status, WNOHANG) == pid) break;
      usleep(5000);
    }
    kill(pid, signal);
  }
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

std::vector<std::string> CrashlabArgv(const std::vector<std::string>& args) {
  std::vector<std::string> all{CRASHLAB_BIN};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

}  // namespace

CommandResult RunCrashlab(const std::vector<std::string>& args,
                          const std::vector<std::pair<std::string, std::string>>& env) {
  return RunAndMaybeKill(CrashlabArgv(args), env, -1, 0);
}

CommandResult RunCrashlabKilledAfter(const std::vector<std::string>& args, int after_ms,
                                     const std::vector<std::pair<std::string, std::string>>& env,
                                     int signal) {
  return RunAndMaybeKill(CrashlabArgv(args), env, after_ms, signal);
}

CommandResult RunProgram(const std::vector<std::string>& argv) {
  return RunAndMaybeKill(argv, {}, -1, 0);
}

std::vector<Row> Query(const std::string& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  std::vector<Row> rows;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(handle);
    throw std::runtime_error("cannot open " + db);
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    const std::string msg = sqlite3_errmsg(handle);
    sqlite3_close(handle);
    throw std::runtime_error("bad query " + sql + ": " + msg);
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    Row row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      row[sqlite3_column_name(stmt, i)] = text ? text : "";
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return rows;
}

int64_t CountCasesWhere(const std::string& db, const std::string& where) {
  return std::stoll(Query(db, "SELECT count(*) AS n FROM cases WHERE " + where)[0].at("n"));
}

int CountProcessesWithEnv(const std::string& entry) {
  int count = 0;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator("/proc", ec)) {
    const std::string name = dir.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string environ = ReadFile(dir.path().string() + "/environ");
    std::size_t start = 0;
    while (start < environ.size()) {
      const std::size_t end = environ.find('\0', start);
      if (environ.compare(start, end - start, entry) == 0) {
        ++count;
        break;
      }
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  return count;
}

}  // namespace crashlab::e2e
