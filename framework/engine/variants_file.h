// The variants file: one declarative `variants.ini` per engine that lists its
// variants, the command line that runs each, and the contract each keeps per
// crash kind. docs/variants-file.md is the specification; this header follows it.
//
// Every parse error reads `<file>:<line>:<column>: <problem>; <what to do>`, with
// 1-based lines and byte columns pointing at the offending token (a missing
// required key points at its section's header).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "framework/base/status.h"
#include "framework/base/vocabulary.h"

namespace crashlab {

// One `[variant NAME]` section.
struct VariantSpec {
  std::string name, description, source;
  // The resolved program followed by its arguments: the words of the command
  // (the variant's own, or else the engine's) and then the words of `args`.
  std::vector<std::string> argv;
  Contract kill = Contract::kDurable, power_loss = Contract::kDurable;
  // Glob patterns (fnmatch, FNM_PATHNAME), relative to the engine's
  // directory, of files the engine never reads back for recovery (an info
  // log written with stdio): the engine's `untraced-files` followed by the
  // variant's. The tracer leaves them out of the trace, so crash states
  // hold none of them and the trace check skips them.
  std::vector<std::string> untraced_files;
  int line = 0;  // line of its [variant] header

  // The contract this variant declares for `kind`.
  Contract ContractFor(CrashKind kind) const;
};

// A whole variants file: the `[engine]` section and its variants.
struct EngineSpec {
  std::string name, description, source;
  std::string variants_path;          // the file it came from
  std::vector<VariantSpec> variants;  // in file order

  // The variant called `variant`, or nullptr if there is none.
  const VariantSpec* Find(std::string_view variant) const;
  // The variant names in file order, joined by ", " (for messages).
  std::string VariantNames() const;
};

// Parses `text`, the contents of the variants file at `path`. `path` appears in
// error messages, and relative programs resolve against its directory:
//   - an absolute program is kept;
//   - one containing '/' is taken relative to that directory (made absolute);
//   - a bare name is that directory's file of that name if one exists
//     (made absolute), otherwise left as is for PATH lookup at spawn time.
// Resolution reads the file system but never fails: a missing program is
// reported when it is spawned.
Result<EngineSpec> ParseVariantsFile(std::string_view text, const std::string& path);

// Reads and parses the file at `path`. A read error names the path and the
// system's reason.
Result<EngineSpec> LoadVariantsFile(const std::string& path);

// Finds an engine:
//   - by path when `name_or_path` contains '/' or ends in ".ini" (a directory
//     holding a variants.ini also works);
//   - otherwise by name, as <engines_dir>/<name>/variants.ini.
// An unknown name is an error that lists the engines in `engines_dir` and says
// that a path to a variants.ini also works. An engine found by name must call
// itself by its directory's name.
Result<EngineSpec> FindEngine(const std::string& name_or_path, const std::string& engines_dir);

// Every engine in `engines_dir` (each subdirectory holding a variants.ini; others
// are skipped), sorted by name. A broken variants file is an error naming it; an
// unreadable `engines_dir` is an error naming the directory.
Result<std::vector<EngineSpec>> ListEngines(const std::string& engines_dir);

}  // namespace crashlab
