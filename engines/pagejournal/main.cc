// crashlab-engine-pagejournal: the seed's page-based engine (scratch file,
// O_DIRECT|O_DSYNC journal, memory-mapped data file, double-buffered
// checkpoint) behind the engine protocol. Options: see kUsage; a bad one
// exits with status 2 before any protocol is spoken.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "engines/adapter/adapter.h"
#include "engines/pagejournal/engine.h"
#include "engines/pagejournal/options.h"
#include "faults/points/point.h"

int main(int argc, char** argv) {
  if (!crashlab::faults::ArmFromEnvironment()) return 2;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(crashlab::pagejournal::kUsage, stdout);
      return 0;
    }
  }
  crashlab::Result<crashlab::pagejournal::Options> options =
      crashlab::pagejournal::ParseOptions(args);
  if (!options.ok()) {
    std::fprintf(stderr, "crashlab-engine-pagejournal: %s\n%s", options.status().message().c_str(),
                 crashlab::pagejournal::kUsage);
    return 2;
  }
  crashlab::pagejournal::PagejournalEngine engine(std::move(options.value()));
  return crashlab::adapter::Serve(engine, stdin, stdout);
}
