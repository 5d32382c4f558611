# Shared by build-aux/run and build-aux/check: installs what is missing and
# builds; and by build-aux/run and the staged-run test: runs an installed
# copy of the app. Sourced, not run.

# The package list, one for the host and the Debian 13 root: comments and
# blank lines dropped.
avatar_package_list () {
  sed -e 's/#.*//' "$(dirname "${BASH_SOURCE[0]}")/packages.txt" | tr -s ' \n' '\n' | sed '/^$/d'
}
AVATAR_PACKAGES=$(avatar_package_list | tr '\n' ' ')

avatar_say () {
  printf '\033[1m==>\033[0m %s\n' "$*" >&2
}

# avatar_apt_install PACKAGE...: installs with apt-get as root or through
# sudo, waiting for another apt-get to finish rather than failing on its lock.
avatar_apt_install () {
  if [ "$(id -u)" -eq 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    avatar_say "Run this as root, or install sudo, to install: $*"
    return 1
  fi
  apt="$sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600"
  $apt update >/dev/null
  $apt install -y --no-install-recommends "$@"
}

# avatar_install_host_packages PACKAGE...: installs those not installed yet.
avatar_install_host_packages () {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    avatar_say "This is not a Debian or Ubuntu system; install these by hand: $*"
    return 0
  fi
  missing=""
  for package in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    case "$status" in
      *" installed") ;;
      *) missing="$missing $package" ;;
    esac
  done
  [ -n "$missing" ] || return 0
  avatar_say "Installing missing packages:$missing"
  # shellcheck disable=SC2086
  avatar_apt_install $missing
}

avatar_install_packages () {
  # shellcheck disable=SC2086
  avatar_install_host_packages $AVATAR_PACKAGES
}

# avatar_build BUILD_DIR [MESON_OPTION...]
avatar_build () {
  build_dir=$1
  shift
  if [ -f "$build_dir/build.ninja" ]; then
    meson setup --reconfigure "$build_dir" "$@" >/dev/null
  else
    meson setup "$build_dir" "$@"
  fi
  ninja -C "$build_dir"
}

# avatar_build_fuzz BUILD_DIR: the libFuzzer targets of tests/fuzz, built
# with clang, AddressSanitizer and UndefinedBehaviorSanitizer, and their
# seeds; nothing else of the tree is built.
avatar_build_fuzz () {
  build_dir=$1
  if [ -f "$build_dir/build.ninja" ]; then
    meson setup --reconfigure "$build_dir" -Dfuzzing=true >/dev/null
  else
    CC=clang meson setup "$build_dir" -Dfuzzing=true -Db_sanitize=address,undefined \
      -Db_lundef=false -Dui_tests=false >/dev/null
  fi
  ninja -C "$build_dir" fuzz
}

# A display number with neither a broadwayd socket nor its HTTP port taken.
avatar_free_broadway_display () {
  runtime_dir=$1
  n=5
  while [ $n -lt 100 ]; do
    port=$((8080 + n))
    if [ ! -e "$runtime_dir/broadway$((n + 1)).socket" ] &&
       ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo $n
      return 0
    fi
    n=$((n + 1))
  done
  return 1
}

# avatar_language_locale ROOT: sets LC_ALL to a UTF-8 locale of the first
# language in LANGUAGE, one installed or else one made with localedef under
# ROOT/lib/locale (LOCPATH), or else to C.UTF-8.
avatar_language_locale () {
  language=${LANGUAGE%%:*}
  language=${language%%[_.@]*}
  locale=$(locale -a 2>/dev/null | grep -i -m1 "^${language}_[a-z]*\.utf-\?8$" || true)
  if [ -n "$locale" ]; then
    export LC_ALL="$locale"
    return
  fi
  locale=$(sed -n "s/^\(${language}_[A-Z]*\.UTF-8\) UTF-8$/\1/p" /usr/share/i18n/SUPPORTED 2>/dev/null | head -n 1)
  if [ -n "$locale" ] && { [ -d "$root/lib/locale/$locale" ] ||
       { mkdir -p "$root/lib/locale" &&
         localedef --quiet -c -i "${locale%.UTF-8}" -f UTF-8 "$root/lib/locale/$locale" 2>/dev/null; }; }; then
    export LOCPATH="$root/lib/locale" LC_ALL="$locale"
  else
    export LC_ALL=C.UTF-8
  fi
}

# avatar_stage_environment ROOT: the environment in which the app installed
# under the prefix ROOT (a private installation, or a copy of one under a
# DESTDIR) finds its schema, icons and desktop file; the app finds its
# translations itself. gettext ignores LANGUAGE in the plain C locale and,
# since glibc 2.41 of Debian 13 (not 2.36 of Debian 12), in C.UTF-8 too:
# where no locale is chosen and
# LANGUAGE is set, a locale of its first language is chosen (made with the
# locales package's localedef when none is installed), so that LANGUAGE=de
# shows German on a system without a German locale.
avatar_stage_environment () {
  root=$1
  export GSETTINGS_SCHEMA_DIR="$root/share/glib-2.0/schemas"
  export XDG_DATA_DIRS="$root/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
  glib-compile-schemas "$GSETTINGS_SCHEMA_DIR"
  if [ -n "${LANGUAGE:-}" ]; then
    case "${LC_ALL:-${LC_MESSAGES:-${LANG:-C}}}" in
      C|POSIX|C.UTF-8|C.utf8) avatar_language_locale "$root" ;;
    esac
  fi
}
