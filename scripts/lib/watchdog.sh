#!/usr/bin/env bash
# watchdog.sh SECONDS COMMAND [ARGS...]
#
# Runs COMMAND; if it is still running after SECONDS, prints every thread's stack of each of its
# descendant test processes (gdb, when installed), ends the whole command by its pid and the
# pids of its descendants, and exits 124. Otherwise exits with COMMAND's status. CI uses it so
# that a hung test shows where it hangs within minutes, instead of eating the job's 90.
set -uo pipefail

limit="$1"
shift

descendants() {
  local parent="$1" child
  for child in $(pgrep -P "$parent" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

"$@" &
command_pid=$!
deadline=$((SECONDS + limit))
while kill -0 "$command_pid" 2>/dev/null; do
  if ((SECONDS >= deadline)); then
    echo "watchdog: '$*' still running after ${limit} s; stacks follow" >&2
    pids=$(descendants "$command_pid")
    for pid in $pids; do
      name=$(cat "/proc/$pid/comm" 2>/dev/null || echo "?")
      case "$name" in
        *xctest*|*PackageTests*|*swift-testing*|isolationd*)
          echo "---- pid $pid ($name)" >&2
          if command -v gdb >/dev/null; then
            timeout 120 gdb -p "$pid" -batch -nx -ex "set pagination off" -ex "thread apply all bt 25" 2>&1 \
              | grep -E '^(Thread|#)' | head -600 >&2
          else
            echo "(gdb not installed)" >&2
          fi
          ;;
      esac
    done
    for pid in $pids "$command_pid"; do kill -KILL "$pid" 2>/dev/null; done
    wait "$command_pid" 2>/dev/null
    exit 124
  fi
  sleep 2
done
wait "$command_pid"
