#include "framework/shell_words.h"

#include <string_view>

namespace crashlab {

std::string ShellWord(const std::string& word) {
  // Letters, digits and these need no quotes in any POSIX shell.
  constexpr std::string_view kPlain = "-_./:=,+@%";
  bool plain = !word.empty();
  for (const char ch : word) {
    const bool alnum =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    plain = plain && (alnum || kPlain.find(ch) != std::string_view::npos);
  }
  if (plain) return word;
  std::string quoted = "'";
  for (const char ch : word) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return quoted + "'";
}

std::string ShellLine(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& word : argv) line += (line.empty() ? "" : " ") + ShellWord(word);
  return line;
}

}  // namespace crashlab
