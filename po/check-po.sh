#!/bin/sh
# Checks the translations against a template made afresh from the sources:
# each catalogue compiles cleanly, and every message of the template has a
# translation that is neither missing nor fuzzy.
# Usage: check-po.sh SOURCE_ROOT WORK_DIR
set -eu

srcdir=$1
workdir=$2
podir=$srcdir/po

mkdir -p "$workdir"
template=$workdir/avatar-uploader.pot

cd "$srcdir"
# The same keywords as meson's glib preset.
xgettext --package-name=avatar-uploader --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
  --files-from="$podir/POTFILES.in" --output="$template"

status=0

# Every file with strings for people must be in POTFILES.in, or its strings
# never reach the translators.
for file in $(grep -rlE '(^|[^A-Za-z0-9_])N?_ ?\("|translatable="yes"' src data \
                --include='*.c' --include='*.ui' --include='*.in' --include='*.xml'); do
  if ! grep -qxF "$file" "$podir/POTFILES.in"; then
    echo "POTFILES.in does not list $file"
    status=1
  fi
done

for lang in $(sed -e 's/#.*//' "$podir/LINGUAS"); do
  po=$podir/$lang.po
  if ! msgfmt --check --output-file=/dev/null "$po"; then
    echo "$lang.po: msgfmt --check failed"
    status=1
  fi
  # Without --use-fuzzy and --use-untranslated, msgcmp counts a fuzzy or
  # empty translation as missing.
  if ! msgcmp "$po" "$template"; then
    echo "$lang.po: not every message is translated"
    status=1
  fi
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$po" | grep -c '^msgid ' || true)
  if [ "$fuzzy" -gt 0 ]; then
    echo "$lang.po: $fuzzy fuzzy messages"
    status=1
  fi
done
exit $status
