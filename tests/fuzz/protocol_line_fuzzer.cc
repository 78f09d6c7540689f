// Fuzzes the engine protocol's line parsing (framework/protocol/protocol.h): how the
// controller turns one reply line an engine wrote into fields and decoded
// bytes, the way EngineClient reads `ok crashlab-engine 1 NAME CAPS...`,
// `kv KEY VALUE` and `ok POINT...`, and how it prints engine bytes in messages.
//
// Checks, for the input taken as one line (up to its first '\n', as
// EngineProcess::ReadLine delivers it):
//   - SplitFields gives at least one field (EngineClient indexes f[0] without a
//     size check), no field holds a space, and the fields joined by single
//     spaces are the line again;
//   - Decode of every field agrees with an independent decoder written from
//     docs/engine-protocol.md ("Percent-encoding"): same acceptance, same bytes;
//   - what Decode accepts re-encodes (Encode) to printable ASCII without
//     spaces that decodes to the same bytes;
//   - Printable and Readable stay within their length limits and print only
//     printable ASCII, so engine bytes cannot break a message or a log line;
//   - EngineClient's reply classification (IsAck, IsErrReply) follows the spec.
// And for the raw input as bytes: Decode(Encode(bytes)) == bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/engine/engine_client.h"
#include "framework/protocol/protocol.h"

namespace {

using crashlab::Result;
namespace protocol = crashlab::protocol;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

bool IsPrintableNoSpace(unsigned char c) { return c >= 0x21 && c <= 0x7E; }

int Hex(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The decoder of docs/engine-protocol.md, written independently of protocol.cc.
std::optional<std::string> ReferenceDecode(std::string_view field) {
  std::string out;
  std::size_t i = 0;
  while (i < field.size()) {
    const auto c = static_cast<unsigned char>(field[i]);
    if (c == '%') {
      if (field.size() - i < 3) return std::nullopt;
      const int hi = Hex(static_cast<unsigned char>(field[i + 1]));
      const int lo = Hex(static_cast<unsigned char>(field[i + 2]));
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 3;
    } else if (IsPrintableNoSpace(c)) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// Encode's output: only bytes 0x21..0x7E, every '%' starting an upper-case escape.
void CheckEncoded(std::string_view encoded) {
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const auto c = static_cast<unsigned char>(encoded[i]);
    Check(IsPrintableNoSpace(c));
    if (c == '%') {
      Check(i + 2 < encoded.size());
      for (std::size_t k = i + 1; k <= i + 2; ++k) {
        const char h = encoded[k];
        Check((h >= '0' && h <= '9') || (h >= 'A' && h <= 'F'));
      }
      i += 2;
    }
  }
}

void CheckRoundTrip(std::string_view bytes) {
  const std::string encoded = protocol::Encode(bytes);
  CheckEncoded(encoded);
  Check(encoded.size() >= bytes.size() && encoded.size() <= 3 * bytes.size());
  Result<std::string> decoded = protocol::Decode(encoded);
  Check(decoded.ok() && *decoded == bytes);
}

void CheckField(std::string_view field) {
  Check(field.find(' ') == std::string_view::npos);
  const std::optional<std::string> expected = ReferenceDecode(field);
  Result<std::string> decoded = protocol::Decode(field);
  Check(decoded.ok() == expected.has_value());
  if (!decoded.ok()) {
    Check(!decoded.status().message().empty());
    return;
  }
  Check(*decoded == *expected);
  Check(decoded->size() <= field.size());
  CheckRoundTrip(*decoded);
}

// Printable(bytes, limit): Encode(bytes), which is `full`, cut to `limit`
// bytes, "..." when cut.
void CheckPrintable(std::string_view bytes, std::string_view full, std::size_t limit) {
  const std::string printed = protocol::Printable(bytes, limit);
  if (full.size() <= limit) {
    Check(printed == full);
    return;
  }
  Check(printed.size() == limit + 3);
  Check(printed.compare(0, limit, full, 0, limit) == 0);
  Check(printed.compare(limit, 3, "...") == 0);
}

// Readable(text, limit): the first `limit` bytes, each printable one or space
// kept and every other as \xNN, then "..." when the text was longer.
void CheckReadable(std::string_view text, std::size_t limit) {
  const std::string readable = protocol::Readable(text, limit);
  std::size_t expected_size = text.size() > limit ? 3 : 0;
  for (unsigned char c : text.substr(0, limit)) expected_size += c >= 0x20 && c <= 0x7E ? 1 : 4;
  Check(readable.size() == expected_size);
  for (unsigned char c : readable) Check(c >= 0x20 && c <= 0x7E);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckRoundTrip(bytes);

  const std::string line(bytes.substr(0, bytes.find('\n')));
  const std::vector<std::string_view> fields = protocol::SplitFields(line);
  Check(!fields.empty());
  std::string joined;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) joined.push_back(' ');
    joined.append(fields[i]);
    CheckField(fields[i]);
  }
  Check(joined == line);

  // The limits EngineClient and its callers use, and a few small ones.
  const std::string encoded_line = protocol::Encode(line);
  for (std::size_t limit : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{20},
                            std::size_t{60}, std::size_t{120}, std::size_t{200}}) {
    CheckPrintable(line, encoded_line, limit);
  }
  for (std::size_t limit :
       {std::size_t{0}, std::size_t{4}, std::size_t{80}, std::size_t{120}, std::size_t{500}}) {
    CheckReadable(bytes, limit);
  }

  // A txn reply after a kill: `ok` is an ack, `err` or `err <message>` a
  // refusal, anything else ("errata", "ok ") neither.
  Check(crashlab::EngineClient::IsAck(line) == (line == "ok"));
  const bool err =
      line.size() >= 3 && line.compare(0, 3, "err") == 0 && (line.size() == 3 || line[3] == ' ');
  Check(crashlab::EngineClient::IsErrReply(line) == err);
  return 0;
}
