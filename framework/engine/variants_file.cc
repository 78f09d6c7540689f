#include "framework/engine/variants_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace crashlab {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kBlanks = " \t";
constexpr std::string_view kNameRule =
    "use lower-case letters, digits and '-', starting with a letter or digit";
constexpr std::string_view kEngineKeys[] = {"name", "description", "command", "source",
                                            "untraced-files"};
constexpr std::string_view kVariantKeys[] = {"description", "args",   "command",       "kill",
                                             "power-loss",  "source", "untraced-files"};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool IsValidName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || c != '-')) return false;
  }
  return true;
}

// Position of `text[offset]` when `text` starts at byte column `column`.
int ColumnOf(int column, std::size_t offset) { return column + static_cast<int>(offset); }

std::string_view TrimRight(std::string_view s) {
  const std::size_t end = s.find_last_not_of(kBlanks);
  return end == std::string_view::npos ? std::string_view() : s.substr(0, end + 1);
}

// Splits a command line into words (see docs/variants-file.md, "Command lines").
// Returns the offset of an unterminated double quote, or nullopt on success.
std::optional<std::size_t> SplitWords(std::string_view text, std::vector<std::string>* words) {
  std::size_t i = 0;
  while (true) {
    while (i < text.size() && IsBlank(text[i])) ++i;
    if (i == text.size()) return std::nullopt;
    std::string word;
    while (i < text.size() && !IsBlank(text[i])) {
      if (text[i] != '"') {
        word.push_back(text[i++]);
        continue;
      }
      const std::size_t open = i++;
      bool closed = false;
      while (i < text.size() && !closed) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          word.push_back(text[i + 1]);
          i += 2;
        } else if (text[i] == '"') {
          closed = true;
          ++i;
        } else {
          word.push_back(text[i++]);
        }
      }
      if (!closed) return open;
    }
    words->push_back(std::move(word));
  }
}

// The program as it will be spawned; see ParseVariantsFile in the header.
std::string ResolveProgram(const std::string& program, const std::string& variants_path) {
  const fs::path as_path(program);
  if (as_path.is_absolute()) return program;
  std::error_code ec;
  const fs::path dir = fs::absolute(fs::path(variants_path), ec).parent_path();
  if (ec) return program;
  if (program.find('/') != std::string::npos) return (dir / as_path).lexically_normal().string();
  const fs::path beside = dir / as_path;
  if (fs::is_regular_file(beside, ec)) return beside.lexically_normal().string();
  return program;  // found on PATH when spawned
}

struct Entry {
  std::string value;
  int line = 0;
  int column = 0;  // of the value
};

struct Section {
  bool is_engine = false;
  std::string name;          // variant name; empty for [engine]
  int line = 0, column = 0;  // of the header's '['
  std::map<std::string, Entry, std::less<>> entries;
  std::vector<std::string> command, args, untraced;
  Contract kill = Contract::kDurable, power_loss = Contract::kDurable;

  std::span<const std::string_view> AllowedKeys() const {
    if (is_engine) return kEngineKeys;
    return kVariantKeys;
  }
  std::string Title() const { return is_engine ? "[engine]" : "[variant " + name + "]"; }
  const Entry* Get(std::string_view key) const {
    auto it = entries.find(key);
    return it == entries.end() ? nullptr : &it->second;
  }
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  Result<EngineSpec> Parse() {
    int line_no = 0;
    for (std::size_t start = 0; start < text_.size();) {
      std::size_t end = text_.find('\n', start);
      if (end == std::string_view::npos) end = text_.size();
      std::string_view line = text_.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      start = end + 1;
      ++line_no;
      const std::size_t indent = std::min(line.find_first_not_of(kBlanks), line.size());
      if (indent == line.size() || line[indent] == '#') continue;
      Status s = line[indent] == '[' ? ParseHeader(TrimRight(line), line_no, indent)
                                     : ParseEntry(TrimRight(line), line_no, indent);
      if (!s.ok()) return s;
    }
    return Finish();
  }

 private:
  Status Error(int line, int column, std::string_view problem) const {
    return Status::Error(fmt::format("{}:{}:{}: {}", path_, line, column, problem));
  }

  // `line` is trimmed on the right and has '[' at `indent`.
  Status ParseHeader(std::string_view line, int line_no, std::size_t indent) {
    const int bracket = ColumnOf(1, indent);
    const std::size_t close = line.find(']', indent);
    if (close == std::string_view::npos) {
      return Error(line_no, bracket,
                   "section header without ']'; write [engine] or [variant NAME]");
    }
    if (close + 1 != line.size()) {
      return Error(line_no, ColumnOf(1, line.find_first_not_of(kBlanks, close + 1)),
                   "unexpected text after ']'; put it on a line of its own");
    }
    const std::size_t kind_at = std::min(line.find_first_not_of(kBlanks, indent + 1), close);
    const std::size_t kind_end = std::min(line.find_first_of(kBlanks, kind_at), close);
    const std::string_view kind = line.substr(kind_at, kind_end - kind_at);
    const std::size_t name_at = std::min(line.find_first_not_of(kBlanks, kind_end), close);
    const std::string_view name = TrimRight(line.substr(name_at, close - name_at));

    if (kind == "engine") {
      if (!name.empty()) {
        return Error(line_no, ColumnOf(1, name_at),
                     fmt::format("[engine] takes no name, got '{}'; write the name as "
                                 "name = {} inside the section",
                                 name, name));
      }
      if (!sections_.empty()) {
        return Error(line_no, bracket,
                     fmt::format("second [engine] section (the first is on line {}); keep one",
                                 sections_.front().line));
      }
      Section& engine = sections_.emplace_back();
      engine.is_engine = true;
      engine.line = line_no;
      engine.column = bracket;
      return Status::Ok();
    }
    if (kind != "variant") {
      return Error(line_no, ColumnOf(1, kind_at),
                   fmt::format("unknown section '[{}]'; use [engine] or [variant NAME]",
                               line.substr(indent + 1, close - indent - 1)));
    }
    if (sections_.empty()) {
      return Error(line_no, bracket, "[variant] before [engine]; put the [engine] section first");
    }
    if (name.empty()) {
      return Error(line_no, bracket, "[variant] without a name; write [variant NAME]");
    }
    if (!IsValidName(name)) {
      return Error(line_no, ColumnOf(1, name_at),
                   fmt::format("invalid variant name '{}'; {}", name, kNameRule));
    }
    for (const Section& s : sections_) {
      if (!s.is_engine && s.name == name) {
        return Error(line_no, ColumnOf(1, name_at),
                     fmt::format("duplicate variant '{}' (first on line {}); give each variant "
                                 "its own name",
                                 name, s.line));
      }
    }
    Section& variant = sections_.emplace_back();
    variant.name = std::string(name);
    variant.line = line_no;
    variant.column = bracket;
    return Status::Ok();
  }

  // `line` is trimmed on the right and has a non-blank, non-'[' byte at `indent`.
  Status ParseEntry(std::string_view line, int line_no, std::size_t indent) {
    const std::size_t eq = line.find('=', indent);
    if (eq == std::string_view::npos) {
      return Error(line_no, ColumnOf(1, indent),
                   fmt::format("missing '=' in '{}'; write key = value", line.substr(indent)));
    }
    const std::string_view key = TrimRight(line.substr(indent, eq - indent));
    if (key.empty()) {
      return Error(line_no, ColumnOf(1, eq), "missing key before '='; write key = value");
    }
    const int key_column = ColumnOf(1, indent);
    if (sections_.empty()) {
      return Error(line_no, key_column,
                   fmt::format("key '{}' before any section; start the file with [engine]", key));
    }
    Section& section = sections_.back();
    const std::span<const std::string_view> allowed = section.AllowedKeys();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Error(line_no, key_column,
                   fmt::format("unknown key '{}' in {}; use one of {}", key, section.Title(),
                               fmt::join(allowed, ", ")));
    }
    if (const Entry* first = section.Get(key)) {
      return Error(line_no, key_column,
                   fmt::format("duplicate key '{}' in {} (first on line {}); keep one", key,
                               section.Title(), first->line));
    }
    const std::size_t value_at = std::min(line.find_first_not_of(kBlanks, eq + 1), line.size());
    const Entry entry{std::string(line.substr(value_at)), line_no, ColumnOf(1, value_at)};
    if (Status s = CheckValue(section, key, entry); !s.ok()) return s;
    section.entries.emplace(std::string(key), entry);
    return Status::Ok();
  }

  // Checks and converts the values that have a syntax of their own.
  Status CheckValue(Section& section, std::string_view key, const Entry& entry) {
    if (key == "name" && !IsValidName(entry.value)) {
      return Error(entry.line, entry.column,
                   fmt::format("invalid engine name '{}'; {}", entry.value, kNameRule));
    }
    if (key == "kill" || key == "power-loss") {
      const std::optional<Contract> contract = ParseContract(entry.value);
      if (!contract) {
        return Error(
            entry.line, entry.column,
            fmt::format("unknown contract '{}'; use durable, prefix or none", entry.value));
      }
      (key == "kill" ? section.kill : section.power_loss) = *contract;
    }
    if (key == "command" || key == "args") {
      std::vector<std::string>& words = key == "command" ? section.command : section.args;
      if (std::optional<std::size_t> open = SplitWords(entry.value, &words)) {
        return Error(entry.line, ColumnOf(entry.column, *open),
                     "unterminated quote; close it with '\"' (write \\\" for a literal quote)");
      }
      if (key == "command" && words.empty()) {
        return Error(entry.line, entry.column,
                     "empty command; give the program and its arguments, or remove the key");
      }
    }
    if (key == "untraced-files") return CheckUntraced(section, entry);
    return Status::Ok();
  }

  // Glob patterns relative to the engine's directory; ':' separates them in
  // the tracer's environment (CRASHLAB_UNTRACED_FILES).
  Status CheckUntraced(Section& section, const Entry& entry) {
    if (std::optional<std::size_t> open = SplitWords(entry.value, &section.untraced)) {
      return Error(entry.line, ColumnOf(entry.column, *open),
                   "unterminated quote; close it with '\"' (write \\\" for a literal quote)");
    }
    if (section.untraced.empty()) {
      return Error(entry.line, entry.column,
                   "no patterns; list the files the engine never reads back, e.g. LOG LOG.old.*, "
                   "or remove the key");
    }
    for (const std::string& pattern : section.untraced) {
      const bool up = pattern == ".." || pattern.starts_with("../") ||
                      pattern.find("/../") != std::string::npos || pattern.ends_with("/..");
      if (pattern.starts_with('/') || up || pattern.find(':') != std::string::npos) {
        return Error(entry.line, entry.column,
                     fmt::format("bad untraced-files pattern '{}'; patterns are relative to the "
                                 "engine's directory, inside it, and contain no ':'",
                                 pattern));
      }
    }
    return Status::Ok();
  }

  Result<EngineSpec> Finish() const {
    if (sections_.empty()) {
      return Error(1, 1, "no [engine] section; start the file with [engine] and name = ...");
    }
    const Section& engine = sections_.front();
    if (!engine.Get("name")) {
      return Error(engine.line, engine.column, "[engine] has no name; add name = ... to it");
    }
    if (sections_.size() == 1) {
      return Error(engine.line, engine.column,
                   "no [variant NAME] section; add at least one after [engine] with its "
                   "command and contracts");
    }
    EngineSpec spec;
    spec.name = engine.Get("name")->value;
    if (const Entry* e = engine.Get("description")) spec.description = e->value;
    if (const Entry* e = engine.Get("source")) spec.source = e->value;
    spec.variants_path = path_;
    for (std::size_t i = 1; i < sections_.size(); ++i) {
      const Section& section = sections_[i];
      for (std::string_view required : {"kill", "power-loss"}) {
        if (!section.Get(required)) {
          return Error(section.line, section.column,
                       fmt::format("{} has no {} contract; add {} = durable, prefix or none",
                                   section.Title(), required, required));
        }
      }
      const std::vector<std::string>& command =
          section.Get("command") ? section.command : engine.command;
      if (command.empty()) {
        return Error(section.line, section.column,
                     fmt::format("{} has no command and [engine] has none; add command = ... "
                                 "to [engine] or to this variant",
                                 section.Title()));
      }
      VariantSpec variant;
      variant.name = section.name;
      if (const Entry* e = section.Get("description")) variant.description = e->value;
      if (const Entry* e = section.Get("source")) variant.source = e->value;
      variant.argv = command;
      variant.argv.front() = ResolveProgram(command.front(), path_);
      variant.argv.insert(variant.argv.end(), section.args.begin(), section.args.end());
      variant.kill = section.kill;
      variant.power_loss = section.power_loss;
      variant.untraced_files = engine.untraced;
      variant.untraced_files.insert(variant.untraced_files.end(), section.untraced.begin(),
                                    section.untraced.end());
      variant.line = section.line;
      spec.variants.push_back(std::move(variant));
    }
    return spec;
  }

  std::string_view text_;
  const std::string& path_;
  std::vector<Section> sections_;  // [engine] first, then the variants
};

// The subdirectories of `engines_dir` that hold a variants.ini, sorted.
Result<std::vector<std::string>> EngineDirs(const std::string& engines_dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(engines_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ignored;
    if (fs::is_regular_file(it->path() / "variants.ini", ignored)) {
      names.push_back(it->path().filename().string());
    }
  }
  if (ec) {
    return Status::Error(
        fmt::format("cannot list engines in {}: {}; build the engines first, or "
                    "give the path to a variants.ini",
                    engines_dir, ec.message()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Loads <engines_dir>/<dir>/variants.ini, which must name the engine `dir`.
Result<EngineSpec> LoadFromEnginesDir(const std::string& engines_dir, const std::string& dir) {
  const std::string path = (fs::path(engines_dir) / dir / "variants.ini").string();
  Result<EngineSpec> spec = LoadVariantsFile(path);
  if (spec.ok() && spec->name != dir) {
    return Status::Error(
        fmt::format("{}: names engine '{}' but sits in directory '{}'; make them "
                    "agree, since engines are found by directory",
                    path, spec->name, dir));
  }
  return spec;
}

}  // namespace

Contract VariantSpec::ContractFor(CrashKind kind) const {
  return kind == CrashKind::kKill ? kill : power_loss;
}

const VariantSpec* EngineSpec::Find(std::string_view variant) const {
  for (const VariantSpec& v : variants) {
    if (v.name == variant) return &v;
  }
  return nullptr;
}

std::string EngineSpec::VariantNames() const {
  std::string names;
  for (const VariantSpec& v : variants) names += (names.empty() ? "" : ", ") + v.name;
  return names;
}

Result<EngineSpec> ParseVariantsFile(std::string_view text, const std::string& path) {
  return Parser(text, path).Parse();
}

Result<EngineSpec> LoadVariantsFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::string text;
  int error = fd < 0 ? errno : 0;
  while (fd >= 0 && error == 0) {
    char buffer[8192];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      error = errno;
    }
  }
  if (fd >= 0) ::close(fd);
  if (error != 0) {
    return Status::Error(fmt::format("cannot read variants file {}: {}; check the path", path,
                                     std::strerror(error)));
  }
  return ParseVariantsFile(text, path);
}

Result<EngineSpec> FindEngine(const std::string& name_or_path, const std::string& engines_dir) {
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       std::string_view(name_or_path).ends_with(".ini");
  if (is_path) {
    std::error_code ec;
    if (fs::is_directory(name_or_path, ec)) {
      return LoadVariantsFile((fs::path(name_or_path) / "variants.ini").string());
    }
    return LoadVariantsFile(name_or_path);
  }
  std::error_code ec;
  if (IsValidName(name_or_path) &&
      fs::is_regular_file(fs::path(engines_dir) / name_or_path / "variants.ini", ec)) {
    return LoadFromEnginesDir(engines_dir, name_or_path);
  }
  Result<std::vector<std::string>> names = EngineDirs(engines_dir);
  std::string available = "none";
  if (names.ok() && !names->empty()) available = fmt::format("{}", fmt::join(*names, ", "));
  return Status::Error(
      fmt::format("unknown engine '{}' (engines in {}: {}); name one of them, or "
                  "give the path to a variants.ini instead",
                  name_or_path, engines_dir, available));
}

Result<std::vector<EngineSpec>> ListEngines(const std::string& engines_dir) {
  Result<std::vector<std::string>> dirs = EngineDirs(engines_dir);
  if (!dirs.ok()) return dirs.status();
  std::vector<EngineSpec> engines;
  for (const std::string& dir : *dirs) {
    Result<EngineSpec> spec = LoadFromEnginesDir(engines_dir, dir);
    if (!spec.ok()) return spec.status();
    engines.push_back(std::move(spec).value());
  }
  // Directory order is name order, because each engine is named by its directory.
  return engines;
}

}  // namespace crashlab
