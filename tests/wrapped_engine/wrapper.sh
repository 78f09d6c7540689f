#!/usr/bin/env bash
# An engine wrapper as users write them (tests/wrapped_engine_test.cc): it
# finds its helpers beside itself and notes the time, each in a subshell
# whose stdout is a pipe of its own, then execs the engine through an
# interpreter shim. Only the engine's replies reach crashlab's pipe. With
# CRASHLAB_WRAPPER_NO_EXEC=1 it runs the shim as a child and waits for it, as
# wrappers that clean up after the engine do.
here="$(dirname "$0")"
started="$(date +%s)"
echo "wrapper: started at $started" >&2
if [ "${CRASHLAB_WRAPPER_NO_EXEC:-}" = 1 ]; then
  "$here/shim.sh" "$@"
  status=$?
  echo "wrapper: the engine exited with status $status" >&2
  exit $status
fi
exec "$here/shim.sh" "$@"
