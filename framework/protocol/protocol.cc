#include "framework/protocol/protocol.h"

namespace crashlab::protocol {
namespace {

bool IsLiteral(unsigned char c) { return c >= 0x21 && c <= 0x7E && c != '%'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Encode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (IsLiteral(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

Result<std::string> Decode(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(field[i]);
    if (c == '%') {
      const int hi = i + 1 < field.size() ? HexValue(field[i + 1]) : -1;
      const int lo = i + 2 < field.size() ? HexValue(field[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::Error("bad escape at byte " + std::to_string(i) +
                             ": '%' must be followed by two hex digits");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (IsLiteral(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      return Status::Error("byte 0x" + Encode(std::string(1, static_cast<char>(c))).substr(1) +
                           " at position " + std::to_string(i) +
                           " must be percent-encoded (only 0x21..0x7E other than '%' are literal)");
    }
  }
  return out;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t space = line.find(' ', start);
    if (space == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, space - start));
    start = space + 1;
  }
}

std::string Printable(std::string_view bytes, std::size_t limit) {
  std::string encoded = Encode(bytes.substr(0, limit));
  bool cut = bytes.size() > limit;
  if (encoded.size() > limit) {
    encoded.resize(limit);
    cut = true;
  }
  if (cut) encoded += "...";
  return encoded;
}

std::string Readable(std::string_view text, std::size_t limit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text.substr(0, limit)) {
    if (c >= 0x20 && c <= 0x7E) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  if (text.size() > limit) out += "...";
  return out;
}

}  // namespace crashlab::protocol
