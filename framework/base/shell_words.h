// Command lines crashlab prints for a user to paste into a shell (repro
// lines, how to start an engine by hand): each word quoted when it needs
// it, so a path with spaces, quotes or $ pastes and runs as it was given.
#pragma once

#include <string>
#include <vector>

namespace crashlab {

// `word` as one POSIX shell word: as it is when it holds only characters no
// shell treats specially, else in single quotes (a ' inside as '\'').
std::string ShellWord(const std::string& word);

// `argv` as one line of ShellWords separated by spaces.
std::string ShellLine(const std::vector<std::string>& argv);

// The words of `line` as a shell reads them: split at spaces and tabs,
// quotes ('...' and "...") and backslashes taken away, so that
// ShellSplit(ShellLine(argv)) == argv. A line with an unmatched quote (a
// command line stored before campaigns recorded them quoted, such as
// "--engine odd dir's/variants.ini") is split at spaces and tabs alone.
std::vector<std::string> ShellSplit(const std::string& line);

}  // namespace crashlab
