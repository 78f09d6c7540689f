#include "framework/case/value_difference.h"

#include <algorithm>

#include <fmt/format.h>

#include "framework/protocol/protocol.h"

namespace crashlab {
namespace {

std::string Window(std::string_view value, std::size_t from, std::size_t window) {
  if (from >= value.size()) return "'' (it ends there)";
  const std::string_view part = value.substr(from, window);
  // Escaping can make a byte up to four characters: no second cut here.
  return fmt::format("'{}{}{}'", from > 0 ? "..." : "",
                     protocol::Printable(part, part.size() * 4 + 4),
                     from + part.size() < value.size() ? "..." : "");
}

}  // namespace

std::string ValueDifference(std::string_view expected, std::string_view recovered,
                            std::size_t window) {
  if (expected == recovered) return "";
  const std::size_t common = std::min(expected.size(), recovered.size());
  std::size_t at = 0;
  while (at < common && expected[at] == recovered[at]) ++at;
  const std::size_t from = at > window / 4 ? at - window / 4 : 0;
  return fmt::format(
      "first difference at byte {} (of {} expected, {} recovered bytes): expected {}, recovered {}",
      at, expected.size(), recovered.size(), Window(expected, from, window),
      Window(recovered, from, window));
}

}  // namespace crashlab
