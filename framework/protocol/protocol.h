// Engine protocol v1: the byte encoding of keys and values, the size limits and
// the line splitting shared by the controller and the C++ adapter helper.
// docs/engine-protocol.md is the specification; this header follows it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "framework/base/status.h"

namespace crashlab::protocol {

inline constexpr int kVersion = 1;
inline constexpr std::size_t kMaxKeyBytes = 1024;
inline constexpr std::size_t kMaxValueBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxTxnOps = 10000;
// The longest line either side may send: a put whose key and value are at their
// limits with every byte escaped, plus the words around them.
inline constexpr std::size_t kMaxLineBytes = 3 * (kMaxKeyBytes + kMaxValueBytes) + 64;

// One operation of a transaction, as `put <key> <value>` or `del <key>`.
struct Op {
  bool is_put = true;
  std::string key;
  std::string value;  // empty for a delete
  bool operator==(const Op&) const = default;
};

// Percent-encodes arbitrary bytes into one protocol field: bytes 0x21..0x7E other
// than '%' stand for themselves, every other byte is "%XX" (upper-case hex). The
// empty string encodes as an empty field.
std::string Encode(std::string_view bytes);

// Decodes one field. Accepts "%xx" in either case; rejects spaces, control and
// non-ASCII bytes, a bare '%' and a '%' not followed by two hex digits.
Result<std::string> Decode(std::string_view field);

// Splits a line (without its '\n') into fields separated by single spaces. Two
// spaces in a row, or a trailing space, yield an empty field: that is how an
// empty value is sent.
std::vector<std::string_view> SplitFields(std::string_view line);

// Printable form of engine-supplied bytes for messages and logs: what Encode
// gives, cut to at most `limit` bytes with "..." when longer.
std::string Printable(std::string_view bytes, std::size_t limit = 200);

// Readable form of free text from an engine (err messages, unexpected
// replies): printable ASCII and spaces kept, other bytes as \xNN, cut to at
// most `limit` bytes with "..." when longer.
std::string Readable(std::string_view text, std::size_t limit = 500);

}  // namespace crashlab::protocol
