// Fuzzes the variants-file parser (framework/engine/variants_file.h
// ParseVariantsFile): `crashlab --engine path/to/variants.ini` reads any file.
//
// Checks, for every input:
//   - an error reads `<path>:<line>:<column>: <problem>; <what to do>` with
//     the line and column inside the text (line 1 column 1 for an empty
//     file), as docs/variants-file.md ("Errors") promises;
//   - a parsed file holds what the format requires: a valid engine name, at
//     least one variant, variant names valid and unique, in file order at the
//     lines of their headers, each with a program to run and its contracts.
// The path lies in a directory that does not exist, so program resolution
// (which looks for the program beside the file) reads nothing.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "framework/base/vocabulary.h"
#include "framework/engine/variants_file.h"

namespace {

using crashlab::EngineSpec;
using crashlab::Result;
using crashlab::VariantSpec;

constexpr std::string_view kPath = "/nonexistent-crashlab-fuzz/variants.ini";

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// [a-z0-9][a-z0-9-]*, as docs/variants-file.md says.
bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && !(i > 0 && c == '-')) return false;
  }
  return true;
}

bool ValidContract(crashlab::Contract c) {
  return c == crashlab::Contract::kDurable || c == crashlab::Contract::kPrefix ||
         c == crashlab::Contract::kNone;
}

// The lengths of the text's lines as the parser numbers them: split at '\n',
// a last line without '\n' counted, nothing after a final '\n'.
std::vector<std::size_t> LineLengths(std::string_view text) {
  std::vector<std::size_t> lengths;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lengths.push_back(end - start);
    start = end + 1;
  }
  return lengths;
}

// Reads a positive decimal number followed by ':' at `at`, advancing past it.
bool ReadNumber(std::string_view s, std::size_t& at, std::size_t& value) {
  const char* first = s.data() + at;
  const char* last = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr == first || ptr == last || *ptr != ':' || value == 0) return false;
  at = static_cast<std::size_t>(ptr - s.data()) + 1;
  return true;
}

void CheckError(std::string_view message, const std::vector<std::size_t>& lines) {
  Check(message.substr(0, kPath.size()) == kPath && message.size() > kPath.size() &&
        message[kPath.size()] == ':');
  std::size_t at = kPath.size() + 1, line = 0, column = 0;
  Check(ReadNumber(message, at, line));
  Check(ReadNumber(message, at, column));
  Check(message.substr(at, 1) == " ");
  if (lines.empty()) {
    Check(line == 1 && column == 1);
  } else {
    Check(line <= lines.size());
    Check(column <= lines[line - 1] + 1);
  }
  // Every error says what to do after what is wrong.
  Check(message.find("; ", at) != std::string_view::npos);
}

void CheckSpec(const EngineSpec& spec, const std::vector<std::size_t>& lines) {
  Check(ValidName(spec.name));
  Check(spec.variants_path == kPath);
  Check(!spec.variants.empty());
  std::set<std::string> names;
  int previous_line = 0;
  for (const VariantSpec& v : spec.variants) {
    Check(ValidName(v.name));
    Check(names.insert(v.name).second);
    Check(v.line > previous_line && static_cast<std::size_t>(v.line) <= lines.size());
    previous_line = v.line;
    Check(!v.argv.empty());
    Check(ValidContract(v.kill) && ValidContract(v.power_loss));
    Check(v.ContractFor(crashlab::CrashKind::kKill) == v.kill);
    Check(v.ContractFor(crashlab::CrashKind::kPowerLoss) == v.power_loss);
    Check(spec.Find(v.name) == &v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::size_t> lines = LineLengths(text);
  Result<EngineSpec> spec = crashlab::ParseVariantsFile(text, std::string(kPath));
  if (spec.ok()) {
    CheckSpec(*spec, lines);
  } else {
    CheckError(spec.status().message(), lines);
  }
  return 0;
}
