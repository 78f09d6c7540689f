// What kind of program an engine's command runs, read from its file before
// it starts: whether libcrashlab_preload.so can reach it (a dynamically
// linked program that does its I/O through libc) or only the ptrace recorder
// can (a static binary, a Go program, a script whose interpreter is one).
#pragma once

#include <string>

namespace crashlab {

// `program` as execvp would find it: itself when it contains '/', else the
// first executable file of that name on PATH; "" when there is none.
std::string FindProgram(const std::string& program);

// Whether the ELF executable at `path` is statically linked: it has no
// PT_INTERP program header, so no dynamic loader runs and LD_PRELOAD does
// nothing. False for anything that is not a readable ELF file (a script).
bool IsStaticElf(const std::string& path);

// Whether the ELF executable at `path` was built by Go: it has a
// `.go.buildinfo` section (Go 1.13 and later write one into every binary).
// Go's runtime makes its system calls itself, never through libc, so even a
// dynamically linked Go program does its file I/O where LD_PRELOAD cannot see.
bool IsGoElf(const std::string& path);

// The interpreter a script at `path` names on its `#!` line, as execve runs
// it (the first word after `#!`, looked up with FindProgram when it has no
// '/'; `/usr/bin/env NAME` gives NAME's file); "" when `path` is no script.
std::string ScriptInterpreter(const std::string& path);

}  // namespace crashlab
