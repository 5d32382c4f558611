/* avatar-retry.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* libsoup 3.2 has no name for it. */
#define AVATAR_HTTP_TOO_MANY_REQUESTS   429

/* The first try and two retries. */
#define AVATAR_RETRY_MAX_TRIES          3
#define AVATAR_RETRY_BASE_DELAY_MS      250
#define AVATAR_RETRY_MAX_BACKOFF_MS     4000
/* A server asking for a longer pause than this is not waited for: the
 * call fails with its answer instead of keeping the person waiting. */
#define AVATAR_RETRY_MAX_RETRY_AFTER_MS 30000

/* Exponential backoff with jitter after @failed_tries failures (1 or more):
 * a random delay between half and all of BASE × 2^(failed_tries - 1). */
guint     avatar_retry_backoff_ms          (guint        failed_tries);
/* Parses a Retry-After value: delay seconds or an HTTP date, relative to
 * @now (the current time when NULL). A past date is a delay of 0. */
gboolean  avatar_retry_parse_retry_after   (const char  *value,
                                            GDateTime   *now,
                                            guint64     *delay_ms);
/* The pause before the next try: Retry-After when the server sent one,
 * the backoff otherwise. FALSE when the server asks for more than
 * AVATAR_RETRY_MAX_RETRY_AFTER_MS, which means: do not retry. */
gboolean  avatar_retry_next_delay          (guint        failed_tries,
                                            const char  *retry_after,
                                            guint       *delay_ms);
/* Whether a failed exchange is worth repeating. */
gboolean  avatar_retry_status_is_transient (guint        status);
gboolean  avatar_retry_error_is_transient  (const GError *error);
/* The connection could not even be made, so nothing reached the server. */
gboolean  avatar_retry_error_is_unsent     (const GError *error);

/* A pause on the thread-default main context that ends early, with
 * G_IO_ERROR_CANCELLED, when @cancellable is cancelled. Nothing stays
 * attached to the main context once it has finished. */
void      avatar_retry_sleep_async         (guint                delay_ms,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean  avatar_retry_sleep_finish        (GAsyncResult        *result,
                                            GError             **error);

typedef void (*AvatarRetryResend) (GTask *task);

/* Pauses as avatar_retry_next_delay() says, then calls @resend with @task;
 * a cancel during the pause returns the error on @task instead. FALSE,
 * with nothing scheduled, when the server asks for too long a pause. */
gboolean  avatar_retry_later               (GTask               *task,
                                            guint                failed_tries,
                                            const char          *retry_after,
                                            AvatarRetryResend    resend);

G_END_DECLS
