// The log format of crashlab's small log test engines (tests/static_engine/,
// tests/stdio_engine/): each committed transaction is one record
//
//   txn <n>\n
//   <n> operation lines, "put <key> <value>" or "del <key>", fields
//   percent-encoded as in the protocol, each ending in \n
//   commit <16 hex digits: FNV-1a 64 of everything above>\n
//
// Recovery takes the longest prefix of whole records whose checksums match.
// Whatever follows (a record torn by a kill between two writes, or zeros and
// garbage a power loss left in place of an unsynced one) is cut off. The
// checksum is what keeps garbage that happens to hold newlines from passing
// for operations. Header-only and free of crashlab's libraries, so that a
// statically linked engine can use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace crashlab::test_log {

// FNV-1a, 64 bits (Fowler, Noll, Vo; the offset basis and prime of the
// 64-bit variant): a checksum, not a defence against a malicious log.
inline uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

inline std::string Hex16(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

// The record of one transaction whose operation lines are `ops` (without
// their newlines).
inline std::string EncodeRecord(const std::vector<std::string>& ops) {
  std::string record = "txn " + std::to_string(ops.size()) + "\n";
  for (const std::string& op : ops) record += op + "\n";
  return record + "commit " + Hex16(Fnv1a64(record)) + "\n";
}

// Encoded key -> encoded value: the engines keep the protocol's fields as
// they came, which is valid since crashlab's encoding is canonical.
using State = std::map<std::string, std::string>;

// Applies one operation line to `state`; false when it is neither
// "put <key> <value>" nor "del <key>" with a non-empty key.
inline bool ApplyOp(std::string_view line, State& state) {
  const std::size_t first = line.find(' ');
  if (first == std::string_view::npos) return false;
  const std::string_view verb = line.substr(0, first);
  const std::string_view rest = line.substr(first + 1);
  const std::size_t second = rest.find(' ');
  if (verb == "del" && second == std::string_view::npos && !rest.empty()) {
    state.erase(std::string(rest));
    return true;
  }
  if (verb == "put" && second != std::string_view::npos && second > 0 &&
      rest.find(' ', second + 1) == std::string_view::npos) {
    state[std::string(rest.substr(0, second))] = std::string(rest.substr(second + 1));
    return true;
  }
  return false;
}

struct Recovered {
  State state;
  std::size_t valid_bytes = 0;  // the length of the whole records at the start
};

// Replays the whole records at the start of `log`.
inline Recovered Replay(std::string_view log) {
  Recovered out;
  std::size_t pos = 0;
  // The next line from pos, without its newline; false when none is complete.
  auto next_line = [&](std::string_view& line) {
    const std::size_t end = log.find('\n', pos);
    if (end == std::string_view::npos) return false;
    line = log.substr(pos, end - pos);
    pos = end + 1;
    return true;
  };
  for (;;) {
    const std::size_t start = pos;
    std::string_view header;
    if (!next_line(header) || header.substr(0, 4) != "txn ") return out;
    const std::string_view count = header.substr(4);
    if (count.empty() || count.size() > 5) return out;
    std::size_t n = 0;
    for (char c : count) {
      if (c < '0' || c > '9') return out;
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    std::vector<std::string_view> ops(n);
    for (std::string_view& op : ops) {
      if (!next_line(op)) return out;
    }
    const std::size_t body_end = pos;
    std::string_view trailer;
    if (!next_line(trailer)) return out;
    const std::string_view body = log.substr(start, body_end - start);
    if (trailer != "commit " + Hex16(Fnv1a64(body))) return out;
    State next = out.state;
    for (std::string_view op : ops) {
      if (!ApplyOp(op, next)) return out;
    }
    out.state = std::move(next);
    out.valid_bytes = pos;
  }
}

// The `dump` reply for `state`, newline included.
inline std::string DumpReply(const State& state) {
  std::string reply;
  for (const auto& [key, value] : state) reply += "kv " + key + " " + value + "\n";
  return reply + "end\n";
}

}  // namespace crashlab::test_log
