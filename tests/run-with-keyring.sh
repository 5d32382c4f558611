#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a program with a private session bus and an unlocked, throw-away
# keyring, so that tests of the Secret Service never touch the user's own.
#
#   run-with-keyring.sh PROGRAM [ARGUMENTS...]

set -u

if ! command -v dbus-run-session >/dev/null 2>&1 || ! command -v gnome-keyring-daemon >/dev/null 2>&1; then
  echo "1..0 # SKIP dbus-run-session or gnome-keyring-daemon is not installed"
  exit 0
fi

home=$(mktemp -d "${TMPDIR:-/tmp}/avatar-keyring.XXXXXX")
chmod 700 "$home"
trap 'rm -rf "$home"' EXIT

HOME="$home" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" \
XDG_CACHE_HOME="$home/cache" XDG_RUNTIME_DIR="$home" \
  dbus-run-session -- sh -c '
    printf "test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1
    exec "$@"' keyring "$@"
