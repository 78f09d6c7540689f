// Where two values of one key differ, for a person comparing them: previews
// of their first bytes are equal whenever the values differ past them, which
// says nothing (two identical 48-character previews of a corrupt value).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace crashlab {

// "" when the values are equal. Otherwise "first difference at byte N (of E
// expected, R recovered bytes): expected '...W...', recovered '...W...'",
// where each W is the window of at most `window` bytes of its value starting
// `window` / 4 bytes before byte N, escaped as every engine-supplied byte is
// (protocol::Printable), with "..." where the value goes on. A value that is
// a prefix of the other differs at the shorter one's end.
std::string ValueDifference(std::string_view expected, std::string_view recovered,
                            std::size_t window = 32);

}  // namespace crashlab
