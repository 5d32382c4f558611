#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a GTK test program under its own gtk4-broadwayd, listening on
# loopback only, on the first free display, with a private runtime directory,
# and stops the display server afterwards.
#
#   run-broadway-test.sh PROGRAM [ARGUMENTS...]

set -u

broadwayd=${GTK4_BROADWAYD:-gtk4-broadwayd}

if ! command -v "$broadwayd" >/dev/null 2>&1; then
  echo "1..0 # SKIP gtk4-broadwayd is not installed"
  exit 0
fi

runtime_dir=$(mktemp -d "${TMPDIR:-/tmp}/avatar-broadway.XXXXXX")
chmod 700 "$runtime_dir"
broadwayd_pid=

cleanup () {
  if [ -n "$broadwayd_pid" ]; then
    kill "$broadwayd_pid" 2>/dev/null
    wait "$broadwayd_pid" 2>/dev/null
  fi
  rm -rf "$runtime_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Display :N serves HTTP on port 8080 + N and a socket broadway(N+1).socket;
# a display whose port is taken makes broadwayd exit at once, so try the next.
display=
for n in $(seq 20 90); do
  XDG_RUNTIME_DIR="$runtime_dir" "$broadwayd" -a 127.0.0.1 ":$n" >"$runtime_dir/broadwayd-$n.log" 2>&1 &
  broadwayd_pid=$!
  socket="$runtime_dir/broadway$((n + 1)).socket"

  # Wait, with a bound, until it listens or has given up.
  tries=0
  while [ ! -S "$socket" ] && kill -0 "$broadwayd_pid" 2>/dev/null && [ $tries -lt 200 ]; do
    sleep 0.05
    tries=$((tries + 1))
  done

  if [ -S "$socket" ] && kill -0 "$broadwayd_pid" 2>/dev/null; then
    display=":$n"
    break
  fi

  kill "$broadwayd_pid" 2>/dev/null
  wait "$broadwayd_pid" 2>/dev/null
  broadwayd_pid=
done

if [ -z "$display" ]; then
  echo "Bail out! no free display for gtk4-broadwayd"
  exit 1
fi

XDG_RUNTIME_DIR="$runtime_dir" \
GDK_BACKEND=broadway \
BROADWAY_DISPLAY="$display" \
GTK_A11Y=none \
GSETTINGS_BACKEND=memory \
  "$@"
status=$?

exit $status
