# Sourced by the scripts that test on Debian 13 (GTK 4.18, libadwaita 1.7):
# makes a Debian 13 root with debootstrap, caches it, and enters a throwaway
# copy of it with what programs inside need mounted. Needs root, bash and
# build-aux/setup.sh sourced first.
#
#   avatar_debian13_require
#   avatar_debian13_root [EXTRA_PACKAGE...]   sets AVATAR_DEBIAN13_ROOT, the cached root
#   avatar_debian13_enter                     sets AVATAR_DEBIAN13_DIR, a writable copy
#   avatar_debian13_run COMMAND...            runs COMMAND so that a signal stops it at once
#   avatar_debian13_leave                     stops and unmounts everything
#
# Call them directly, not in $(...): they remember what they mounted, and
# the caller's EXIT trap runs avatar_debian13_leave, with INT and TERM traps
# that exit. Run long commands with avatar_debian13_run: bash runs a trap
# only once the command in the foreground has ended.
#
# The cache is keyed by the package lists, so a changed list makes a new root;
# it lives in $AVATAR_CACHE_DIR, else $XDG_CACHE_HOME/avatar-uploader, else
# /var/cache/avatar-uploader. The mirror is the one this machine's apt uses,
# or $AVATAR_DEBIAN_MIRROR.

AVATAR_DEBIAN13_SUITE=trixie
avatar_debian13_mounts=()
avatar_debian13_roots=()
avatar_debian13_pids=()
avatar_debian13_scratch=
avatar_debian13_partial=
AVATAR_DEBIAN13_ROOT=
AVATAR_DEBIAN13_DIR=

avatar_debian13_cache_dir () {
  if [ -n "${AVATAR_CACHE_DIR:-}" ]; then
    echo "$AVATAR_CACHE_DIR"
  else
    echo "${XDG_CACHE_HOME:-/var/cache}/avatar-uploader"
  fi
}

# Says what is missing and returns non-zero when this machine cannot make
# the root: root rights, a Debian or Ubuntu host, a mirror.
avatar_debian13_require () {
  if [ "$(id -u)" -ne 0 ]; then
    avatar_say "This needs root: debootstrap, chroot and mount do. Run it with sudo."
    return 1
  fi
  if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    avatar_say "This needs a Debian or Ubuntu host with apt-get, debootstrap and a Debian mirror (set AVATAR_DEBIAN_MIRROR), about 2 GB of disk and root."
    return 1
  fi
  if [ -z "$(avatar_debian_mirror)" ]; then
    avatar_say "No Debian mirror found in apt's sources; set AVATAR_DEBIAN_MIRROR to one (it must serve $AVATAR_DEBIAN13_SUITE)."
    return 1
  fi
  avatar_install_host_packages debootstrap
}

# The URI of the Debian archive apt already uses for the main suite (not
# -security or -updates), from deb822 sources or sources.list.
avatar_debian_mirror () {
  if [ -n "${AVATAR_DEBIAN_MIRROR:-}" ]; then
    echo "$AVATAR_DEBIAN_MIRROR"
    return
  fi
  python3 - /etc/apt/sources.list.d/*.sources /etc/apt/sources.list <<'PY'
import re, sys
for path in sys.argv[1:]:
    try:
        text = open(path, encoding='utf-8').read()
    except OSError:
        continue
    if path.endswith('.sources'):
        for stanza in re.split(r'\n\s*\n', text):
            fields = dict(re.findall(r'^(\w[\w-]*):\s*(.*)$', stanza, re.M))
            uris = fields.get('URIs', '').split()
            suites = fields.get('Suites', '').split()
            if uris and any('-' not in s for s in suites) and '/debian' in uris[0] and 'security' not in uris[0]:
                print(uris[0]); sys.exit(0)
    else:
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 3 and words[0] == 'deb' and '-' not in words[2] \
               and '/debian' in words[1] and 'security' not in words[1]:
                print(words[1]); sys.exit(0)
PY
}

avatar_debian13_key () {
  { echo "$AVATAR_DEBIAN13_SUITE"; avatar_package_list; printf '%s\n' "$@"; } |
    sha256sum | cut -c1-16
}

# Bind-mounts what programs inside a root need, remembering each mount so
# avatar_debian13_leave undoes it.
avatar_debian13_mount_system () {
  local root=$1 dir
  avatar_debian13_roots+=("$root")
  for dir in proc dev dev/pts dev/shm; do
    mkdir -p "$root/$dir"
    mount --bind "/$dir" "$root/$dir"
    avatar_debian13_mounts+=("$root/$dir")
  done
}

# Runs COMMAND in a session of its own in the background and waits for it:
# a trapped signal interrupts the wait at once, and avatar_debian13_leave
# kills the whole session. Returns COMMAND's status.
avatar_debian13_run () {
  setsid "$@" &
  avatar_debian13_pids+=($!)
  wait $!
}

# Kills every process whose root is ROOT or below it, again until none is
# left: one that forks while it is being killed leaves a child behind.
avatar_debian13_kill_inside () {
  local root=$1 pid link found _
  for _ in $(seq 1 50); do
    found=0
    for pid in /proc/[0-9]*; do
      link=$(readlink "$pid/root" 2>/dev/null) || continue
      case "$link" in
        "$root"|"$root"/*) kill -KILL "${pid#/proc/}" 2>/dev/null && found=1 ;;
      esac
    done
    [ "$found" = 0 ] && return 0
    sleep 0.1
  done
}

# Unmounts whatever is still mounted at ROOT or below, innermost first,
# whoever mounted it (debootstrap mounts /proc and /sys in a new root).
avatar_debian13_unmount_under () {
  local root=$1 mount
  while read -r mount; do
    umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true
  done < <(awk -v root="$root" '{ if ($5 == root || index($5, root "/") == 1) print $5 }' \
             /proc/self/mountinfo | sort -r)
}

# Kills what still runs inside the roots and what avatar_debian13_run
# started, then unmounts everything mounted so far, innermost first, and
# removes the scratch copy and a root left half made.
avatar_debian13_leave () {
  local i mount root pid
  for pid in "${avatar_debian13_pids[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    # Reaped here, bash reports the killing to no one.
    wait "$pid" 2>/dev/null || true
  done
  avatar_debian13_pids=()
  for root in "${avatar_debian13_roots[@]}"; do
    avatar_debian13_kill_inside "$root"
  done
  for ((i = ${#avatar_debian13_mounts[@]} - 1; i >= 0; i--)); do
    mount=${avatar_debian13_mounts[i]}
    umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true
  done
  avatar_debian13_mounts=()
  for root in "${avatar_debian13_roots[@]}"; do
    avatar_debian13_unmount_under "$root"
  done
  avatar_debian13_roots=()
  if [ -n "$avatar_debian13_scratch" ]; then
    rm -rf --one-file-system "$avatar_debian13_scratch"
    avatar_debian13_scratch=
  fi
  if [ -n "$avatar_debian13_partial" ]; then
    rm -rf --one-file-system "$avatar_debian13_partial" "$avatar_debian13_partial.log"
    avatar_debian13_partial=
  fi
}

# Makes the cached root unless it exists; AVATAR_DEBIAN13_ROOT is its path.
avatar_debian13_root () {
  local cache key root tmp mirror
  cache=$(avatar_debian13_cache_dir)
  key=$(avatar_debian13_key "$@")
  root="$cache/debian13-$key"
  AVATAR_DEBIAN13_ROOT=$root
  if [ -f "$root/.complete" ]; then
    return 0
  fi

  mirror=$(avatar_debian_mirror)
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/debian13-new.XXXXXX")
  # Removed by avatar_debian13_leave unless it is finished.
  avatar_debian13_partial=$tmp
  avatar_debian13_roots+=("$tmp")
  # mktemp made it 0700; programs inside that drop root need to enter it.
  chmod 0755 "$tmp"
  avatar_say "Making a Debian 13 root in $tmp from $mirror (about 5 minutes; 1.3 GB)"
  if ! avatar_debian13_run debootstrap --variant=minbase "$AVATAR_DEBIAN13_SUITE" "$tmp" "$mirror" \
       >"$tmp.log" 2>&1; then
    tail -n 20 "$tmp.log" >&2
    return 1
  fi
  avatar_debian13_mount_system "$tmp"
  # shellcheck disable=SC2046
  if ! avatar_debian13_run chroot "$tmp" env DEBIAN_FRONTEND=noninteractive \
       apt-get install -y -q --no-install-recommends $(avatar_package_list) git "$@" >>"$tmp.log" 2>&1; then
    tail -n 20 "$tmp.log" >&2
    return 1
  fi
  avatar_debian13_run chroot "$tmp" apt-get clean
  # Finished: unmounted, but no longer removed.
  avatar_debian13_partial=
  avatar_debian13_leave
  rm -f "$tmp.log"
  touch "$tmp/.complete"
  rm -rf --one-file-system "$root"
  mv "$tmp" "$root"
}

# Mounts a writable copy of AVATAR_DEBIAN13_ROOT (an overlay, so the cache
# stays as it was) with /proc and /dev inside; AVATAR_DEBIAN13_DIR is its
# path. avatar_debian13_leave undoes it.
avatar_debian13_enter () {
  local root=$AVATAR_DEBIAN13_ROOT merged
  avatar_debian13_scratch=$(mktemp -d "${TMPDIR:-/var/tmp}/avatar-debian13.XXXXXX")
  mkdir "$avatar_debian13_scratch"/{upper,work,merged}
  merged="$avatar_debian13_scratch/merged"
  if mount -t overlay overlay \
       -o "lowerdir=$root,upperdir=$avatar_debian13_scratch/upper,workdir=$avatar_debian13_scratch/work" \
       "$merged" 2>/dev/null; then
    avatar_debian13_mounts+=("$merged")
  else
    # No overlayfs here: a plain copy, slower but the same.
    cp -a "$root/." "$merged/"
  fi
  avatar_debian13_mount_system "$merged"
  cp /etc/resolv.conf "$merged/etc/resolv.conf" 2>/dev/null || true
  AVATAR_DEBIAN13_DIR=$merged
}
