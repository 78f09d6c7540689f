#!/usr/bin/env bash
# An interpreter shim as version managers install them (pyenv, rbenv, asdf):
# it asks the interpreter for its version, in a subshell and on stderr, runs
# a helper or two, then execs the real program with the arguments it got.
# It writes nothing to its stdout: that is the engine's protocol pipe, and a
# line there before the engine's hello reply is a protocol error
# (CRASHLAB_SHIM_JUNK=1 makes it one, for the test that says so).
if command -v python3 >/dev/null 2>&1; then
  version="$(python3 --version 2>&1)"
  python3 --version >&2
else
  version="none"
fi
today=$(date +%F)
echo "shim: interpreter $version on $today" >&2
if [ "${CRASHLAB_SHIM_JUNK:-}" = 1 ]; then
  echo "shim: $version"
fi
exec "$@"
