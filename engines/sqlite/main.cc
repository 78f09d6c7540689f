// crashlab-engine-sqlite: the SQLite adapter behind the engine protocol.
// Options: --journal-mode=... --synchronous=... (see kSqliteUsage); a bad one
// exits with status 2 before any protocol is spoken.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "engines/adapter/adapter.h"
#include "engines/sqlite/sqlite_engine.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(crashlab::engines::kSqliteUsage, stdout);
      return 0;
    }
  }
  crashlab::Result<crashlab::engines::SqliteOptions> options =
      crashlab::engines::ParseSqliteOptions(args);
  if (!options.ok()) {
    std::fprintf(stderr, "crashlab-engine-sqlite: %s\n%s", options.status().message().c_str(),
                 crashlab::engines::kSqliteUsage);
    return 2;
  }
  crashlab::engines::SqliteEngine engine(std::move(options.value()));
  return crashlab::adapter::Serve(engine, stdin, stdout);
}
