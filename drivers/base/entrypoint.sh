#!/bin/bash
# Session container entrypoint: run the driver's pre-command, then stay alive
# doing nothing until the engine stops us (SIGTERM) or the user ends the
# session from inside (`mai stop` -> SIGUSR1 -> exit 100).
set -u

PRE_COMMAND=/mai-init.sh
SESSION_ENDED_EXIT_CODE=100 # keep in sync with gateway/backend/backend.ts
LOG_DIR="${HOME:-/home/mai}/.mai"
LOG_FILE="$LOG_DIR/init.log"

children=()
finish() {
  # Children would die with the container anyway; ending them first keeps a
  # half-written clone or init.log from outliving a plain `docker stop`.
  if [ "${#children[@]}" -gt 0 ]; then kill -TERM "${children[@]}" 2>/dev/null; fi
  exit "$1"
}
trap 'finish 0' TERM INT HUP
trap 'finish "$SESSION_ENDED_EXIT_CODE"' USR1

mkdir -p "$LOG_DIR" 2>/dev/null
# Relays (ssh -A, -R) of connections from before a stop are gone with their processes.
rm -rf /run/mai/relay
if [ -x "$PRE_COMMAND" ]; then
  # In the background so that the traps above fire at once, even mid-clone
  # (bash runs traps only between foreground commands or during `wait`).
  # init.status (the pre-command's exit code) tells `mai-attach` that init is
  # over, so a user who attaches early sees its progress until then.
  rm -f "$LOG_DIR/init.status"
  { "$PRE_COMMAND" 2>&1 | tee -a "$LOG_FILE"; echo "${PIPESTATUS[0]}" > "$LOG_DIR/init.status"; } &
  children+=("$!")
  wait "$!"
else
  echo 0 > "$LOG_DIR/init.status"
fi

# `sleep infinity` costs nothing; `wait` returns as soon as a trapped signal
# arrives, so stop is prompt.
sleep infinity &
children+=("$!")
while :; do wait "$!"; done
