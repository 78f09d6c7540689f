// How crashlab writes a file of its own that a reader trusts (the JUnit XML,
// the HTML report): the pattern it demands of engines, so that a crash or a
// power loss at any moment leaves under the final name either the old file or
// the whole new one, never a torn or empty one.
#pragma once

#include <string>
#include <string_view>

#include "framework/base/status.h"

namespace crashlab {

// Replaces the file at `path` with `bytes`: writes them to `path`.tmp, fsyncs
// it, renames it over `path`, fsyncs `path`'s directory. On success `path`
// holds `bytes` and survives a power loss. On failure returns an error naming
// the file and the step that failed (with strerror) and removes the
// temporary file; `path` then holds what it held before, or is absent if it
// was. Not safe against two writers of the same `path` at once.
[[nodiscard]] Status ReplaceFileDurably(const std::string& path, std::string_view bytes);

}  // namespace crashlab
