#!/bin/sh
# Installs the build into a scratch DESTDIR and checks that every file a
# user's system needs is there; with AVATAR_STAGED_RUN set, also runs
# "$AVATAR_STAGED_RUN" DESTDIR/PREFIX "$AVATAR_STAGED_PROBE_DIR" on the copy.
# Usage: check-install.sh BUILD_ROOT DESTDIR PREFIX FILE...
set -eu

build_root=$1
destdir=$2
prefix=$3
shift 3

rm -rf "$destdir"
meson install -C "$build_root" --no-rebuild --quiet --destdir "$destdir" >/dev/null

status=0
for file in "$@"; do
  if [ ! -e "$destdir$prefix/$file" ]; then
    echo "not installed: $prefix/$file"
    status=1
  fi
done
case "$*" in
  *bin/*)
    for file in "$@"; do
      case "$file" in
        bin/*) [ -x "$destdir$prefix/$file" ] || { echo "not executable: $file"; status=1; } ;;
      esac
    done
    ;;
esac
if [ -n "${AVATAR_STAGED_RUN:-}" ] && [ $status -eq 0 ]; then
  "$AVATAR_STAGED_RUN" "$destdir$prefix" "$AVATAR_STAGED_PROBE_DIR" || status=1
fi
rm -rf "$destdir"
exit $status
