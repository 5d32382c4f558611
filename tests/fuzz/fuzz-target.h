/* fuzz-target.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each fuzz-*.c file is one libFuzzer target. Built with clang and
 * -Dfuzzing=true it is linked with libFuzzer's main(); otherwise (and in
 * every build) with fuzz-replay.c, which runs the files of its
 * regressions/ folder and its seeds through it once.
 */

#pragma once

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <glib.h>

G_BEGIN_DECLS

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* What the SigV4 target verifies against, and its seeds are signed with. */
#define FUZZ_SIGV4_ACCESS_KEY "AKIDFUZZ"
#define FUZZ_SIGV4_SECRET_KEY "fuzz-secret"
#define FUZZ_SIGV4_REGION     "us-east-1"
#define FUZZ_SIGV4_HOST       "127.0.0.1:9000"
#define FUZZ_SIGV4_NOW        "2026-12-01T12:00:00Z"

static inline void
fuzz_abort_on_trap (int signal_number)
{
  abort ();
}

/* Criticals are bugs in the code under test: stop at the first one. GLib
 * stops at a fatal message with a breakpoint (SIGTRAP), which libFuzzer
 * does not catch; an abort it reports, with the input. */
static inline void
fuzz_init_logging (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;

  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  signal (SIGTRAP, fuzz_abort_on_trap);
}

G_END_DECLS
