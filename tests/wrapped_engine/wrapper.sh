#!/usr/bin/env bash
# An engine wrapper as users write them (tests/wrapped_engine_test.cc): it
# finds its helpers beside itself and notes the time, each in a subshell
# whose stdout is a pipe of its own, then execs the engine through an
# interpreter shim. Only the engine's replies reach crashlab's pipe.
here="$(dirname "$0")"
started="$(date +%s)"
echo "wrapper: started at $started" >&2
exec "$here/shim.sh" "$@"
