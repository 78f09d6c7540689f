#include "framework/base/shell_words.h"

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

std::vector<std::string> ShellSplit(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;  // the quote open, if any
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quote != 0) {
      if (ch == quote) {
        quote = 0;
      } else if (quote == '"' && ch == '\\' && i + 1 < line.size() &&
                 std::string_view("\"\\$`").find(line[i + 1]) != std::string_view::npos) {
        word += line[++i];
      } else {
        word += ch;
      }
    } else if (ch == ' ' || ch == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
      in_word = true;
    } else if (ch == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else {
      word += ch;
      in_word = true;
    }
  }
  if (quote == 0) {
    if (in_word) words.push_back(std::move(word));
    return words;
  }
  // Not a line ShellLine wrote: the words between blanks, as they are.
  words.clear();
  std::string plain;
  for (const char ch : line + ' ') {
    if (ch != ' ' && ch != '\t') {
      plain += ch;
    } else if (!plain.empty()) {
      words.push_back(std::move(plain));
      plain.clear();
    }
  }
  return words;
}

}  // namespace crashlab
