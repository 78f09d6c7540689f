// crashlab trace dump FILE: prints an I/O trace written by
// libcrashlab_preload.so, one event a line, so a person can read what an
// engine did and in which order.
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "faults/event_text.h"
#include "faults/trace_file.h"
#include "framework/cli/common.h"

namespace crashlab::cli {

void AddTraceCommand(CLI::App& app, int& exit_code) {
  CLI::App* trace = app.add_subcommand(
      "trace", "Inspect I/O traces recorded by libcrashlab_preload.so (docs/trace-format.md)");
  trace->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  CLI::App* dump = trace->add_subcommand(
      "dump",
      "Print a trace one event a line: seq, thread, kind, file id and path, offset and length, "
      "flags, the first bytes written, point names and protocol replies");
  dump->add_option("file", *file, "The trace file (the engine's CRASHLAB_TRACE)")->required();
  dump->callback([file, &exit_code] {
    Result<faults::Trace> t = faults::ReadTraceFile(*file);
    if (!t.ok()) {
      fmt::print(stderr, "crashlab trace dump: {}\n", t.status().message());
      exit_code = kExitUsage;
      return;
    }
    fmt::print("# trace version {}, case directory {}, {} events\n", t->version, t->case_dir,
               t->events.size());
    for (const faults::Event& e : t->events) fmt::print("{}\n", DescribeEvent(e));
    exit_code = kExitHeld;
  });
}

}  // namespace crashlab::cli
