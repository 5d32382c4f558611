/* avatar-retry.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "avatar-error.h"
#include "avatar-retry.h"

guint
avatar_retry_backoff_ms (guint failed_tries)
{
  guint64 ceiling = AVATAR_RETRY_BASE_DELAY_MS;

  for (guint i = 1; i < failed_tries && ceiling < AVATAR_RETRY_MAX_BACKOFF_MS; i++)
    ceiling *= 2;
  ceiling = MIN (ceiling, AVATAR_RETRY_MAX_BACKOFF_MS);

  /* Half fixed, half random: clients that failed together do not all come
   * back at the same instant, and none comes back at once. */
  return (guint) (ceiling / 2 + g_random_int_range (0, (gint32) (ceiling / 2) + 1));
}

gboolean
avatar_retry_parse_retry_after (const char *value,
                                GDateTime  *now,
                                guint64    *delay_ms)
{
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) current = NULL;
  const char *p;
  guint64 seconds = 0;

  g_return_val_if_fail (delay_ms != NULL, FALSE);

  if (value == NULL)
    return FALSE;

  while (g_ascii_isspace (*value))
    value++;

  for (p = value; g_ascii_isdigit (*p); p++)
    {
      /* Saturate instead of overflowing on absurd values. */
      if (seconds < G_MAXUINT32)
        seconds = seconds * 10 + (guint64) (*p - '0');
    }
  while (g_ascii_isspace (*p))
    p++;

  if (p != value && *p == '\0')
    {
      *delay_ms = seconds * 1000;
      return TRUE;
    }

  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return FALSE;

  current = now != NULL ? g_date_time_ref (now) : g_date_time_new_now_utc ();
  *delay_ms = (guint64) MAX (0, g_date_time_difference (date, current) / 1000);
  return TRUE;
}

gboolean
avatar_retry_next_delay (guint       failed_tries,
                         const char *retry_after,
                         guint      *delay_ms)
{
  guint64 asked_ms;

  if (avatar_retry_parse_retry_after (retry_after, NULL, &asked_ms))
    {
      if (asked_ms > AVATAR_RETRY_MAX_RETRY_AFTER_MS)
        return FALSE;
      *delay_ms = (guint) asked_ms;
      return TRUE;
    }

  *delay_ms = avatar_retry_backoff_ms (failed_tries);
  return TRUE;
}

gboolean
avatar_retry_status_is_transient (guint status)
{
  return status == AVATAR_HTTP_TOO_MANY_REQUESTS ||
         (status >= 500 && status != SOUP_STATUS_NOT_IMPLEMENTED &&
          status != SOUP_STATUS_HTTP_VERSION_NOT_SUPPORTED && status < 600);
}

gboolean
avatar_retry_error_is_unsent (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
         g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE);
}

gboolean
avatar_retry_error_is_transient (const GError *error)
{
  if (error == NULL)
    return FALSE;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;

  /* A certificate that failed to verify will fail again. */
  if (error->domain == G_TLS_ERROR)
    return FALSE;

  if (g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND))
    return FALSE;

  return error->domain == G_IO_ERROR ||
         error->domain == G_RESOLVER_ERROR ||
         error->domain == SOUP_SESSION_ERROR;
}

typedef struct
{
  GSource *timeout;
  GSource *cancelled;
} Sleep;

static void
sleep_free (Sleep *sleep)
{
  if (sleep->timeout != NULL)
    {
      g_source_destroy (sleep->timeout);
      g_source_unref (sleep->timeout);
    }
  if (sleep->cancelled != NULL)
    {
      g_source_destroy (sleep->cancelled);
      g_source_unref (sleep->cancelled);
    }
  g_free (sleep);
}

static gboolean
sleep_timeout_cb (gpointer user_data)
{
  /* The reference the pause held on itself. */
  g_autoptr(GTask) task = user_data;

  /* Freeing the task data destroys both sources. */
  g_task_set_task_data (task, NULL, NULL);
  g_task_return_boolean (task, TRUE);

  return G_SOURCE_REMOVE;
}

static gboolean
sleep_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  g_task_set_task_data (task, NULL, NULL);
  g_task_return_error (task, avatar_error_new_cancelled ());

  return G_SOURCE_REMOVE;
}

void
avatar_retry_sleep_async (guint                delay_ms,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GMainContext *context = g_main_context_ref_thread_default ();
  Sleep *sleep;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, avatar_retry_sleep_async);
  g_task_set_check_cancellable (task, FALSE);

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_error (task, avatar_error_new_cancelled ());
      g_main_context_unref (context);
      return;
    }

  sleep = g_new0 (Sleep, 1);
  g_task_set_task_data (task, sleep, (GDestroyNotify) sleep_free);

  /* The sources hold no reference on the task: it lives as long as its
   * data holds the sources, and freeing that data removes them. */
  sleep->timeout = g_timeout_source_new (delay_ms);
  g_source_set_static_name (sleep->timeout, "[avatar] retry pause");
  g_source_set_callback (sleep->timeout, sleep_timeout_cb, task, NULL);
  g_source_attach (sleep->timeout, context);

  if (cancellable != NULL)
    {
      sleep->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_static_name (sleep->cancelled, "[avatar] retry pause cancelled");
      g_source_set_callback (sleep->cancelled, G_SOURCE_FUNC (sleep_cancelled_cb), task, NULL);
      g_source_attach (sleep->cancelled, context);
    }

  /* The task keeps itself alive until one of the sources fires and
   * takes this reference back. */
  g_steal_pointer (&task);
  g_main_context_unref (context);
}

gboolean
avatar_retry_sleep_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  GTask             *task;
  AvatarRetryResend  resend;
} RetryLater;

static void
retry_later_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  RetryLater *later = user_data;
  g_autoptr(GTask) task = later->task;
  AvatarRetryResend resend = later->resend;
  g_autoptr(GError) error = NULL;

  g_free (later);

  if (!avatar_retry_sleep_finish (result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  resend (task);
}

gboolean
avatar_retry_later (GTask             *task,
                    guint              failed_tries,
                    const char        *retry_after,
                    AvatarRetryResend  resend)
{
  RetryLater *later;
  guint delay_ms;

  g_return_val_if_fail (G_IS_TASK (task), FALSE);
  g_return_val_if_fail (resend != NULL, FALSE);

  if (!avatar_retry_next_delay (failed_tries, retry_after, &delay_ms))
    return FALSE;

  g_debug ("Trying again in %u ms", delay_ms);
  later = g_new0 (RetryLater, 1);
  later->task = g_object_ref (task);
  later->resend = resend;
  avatar_retry_sleep_async (delay_ms, g_task_get_cancellable (task), retry_later_cb, later);

  return TRUE;
}
