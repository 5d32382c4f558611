#!/usr/bin/env bash
# run-fuzzer.sh FUZZER WORK_DIR [CORPUS_DIR...] [-- LIBFUZZER_OPTION...]
#
# Runs a libFuzzer target for $AVATAR_FUZZ_SECONDS seconds (15 by default).
# What it finds is kept in WORK_DIR/corpus, from one run to the next; the
# CORPUS_DIRs that exist seed it, and are only read. An input that crashes
# is written to WORK_DIR/artifacts/, and the run fails.
set -euo pipefail

fuzzer=$1
work_dir=$2
shift 2

corpus_dirs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  if [ -d "$1" ]; then
    corpus_dirs+=("$1")
  fi
  shift
done
[ $# -gt 0 ] && shift

mkdir -p "$work_dir/corpus" "$work_dir/artifacts"

exec "$fuzzer" \
  -max_total_time="${AVATAR_FUZZ_SECONDS:-15}" \
  -timeout=20 \
  -error_exitcode=1 \
  -timeout_exitcode=1 \
  -print_final_stats=1 \
  -artifact_prefix="$work_dir/artifacts/" \
  "$@" \
  "$work_dir/corpus" "${corpus_dirs[@]}"
