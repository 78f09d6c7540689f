// crashlab-engine-lmdb: the LMDB adapter behind the engine protocol.
// Options: --nosync --nometasync --writemap --mapasync (see kLmdbUsage); a bad
// one exits with status 2 before any protocol is spoken.
#include <cstdio>
#include <string>
#include <vector>

#include "engines/adapter/adapter.h"
#include "engines/lmdb/lmdb_engine.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(crashlab::engines::kLmdbUsage, stdout);
      return 0;
    }
  }
  crashlab::Result<crashlab::engines::LmdbOptions> options =
      crashlab::engines::ParseLmdbOptions(args);
  if (!options.ok()) {
    std::fprintf(stderr, "crashlab-engine-lmdb: %s\n%s", options.status().message().c_str(),
                 crashlab::engines::kLmdbUsage);
    return 2;
  }
  crashlab::engines::LmdbEngine engine(*options);
  return crashlab::adapter::Serve(engine, stdin, stdout);
}
