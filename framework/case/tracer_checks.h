// Checks that the recorder sees the engine it traces, so that a
// trace nobody could have written completely is an error, never a verdict:
// a program LD_PRELOAD cannot reach (a static binary), a process that
// answers the protocol without the tracer (Go's raw system calls, a static
// program a wrapper script execs), and a trace whose replies are not the
// lines crashlab read (docs/trace-format.md, "Replies").
#pragma once

#include <string>
#include <vector>

#include "faults/trace.h"
#include "framework/base/status.h"
#include "framework/engine/program_file.h"
#include "framework/engine/recorder.h"

namespace crashlab {

// Before the engine starts: an error when argv[0] is a static ELF binary,
// naming it, saying why it cannot be traced and that `--crash kill` works.
[[nodiscard]] Status CheckTraceable(const std::vector<std::string>& argv,
                                    const std::string& variant);

// Right after the engine answered hello with `hello_line`: the trace at
// `trace_path` must exist and hold that reply (the tracer records a reply
// before it reaches crashlab), or the process that answered is not traced.
[[nodiscard]] Status CheckTracerSawHello(const std::string& trace_path,
                                         const std::string& hello_line,
                                         const std::vector<std::string>& argv,
                                         const std::string& variant, RecorderKind recorder);

// The trace's replies must be the lines crashlab read from the engine, in
// order: all of them for a run that ended by itself; for a run the tracer
// killed, the lines read plus at most one more (the reply recorded just
// before its write, when the kill came between the two). Anything else is
// an error naming both counts: acknowledgements taken from such a trace
// would be wrong.
[[nodiscard]] Status CheckRepliesMatch(const faults::Trace& trace,
                                       const std::vector<std::string>& lines_read, bool killed,
                                       const std::string& variant);

}  // namespace crashlab
