/* avatar-flow-wait.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The flow's wait for the service to process the upload: polls of the
 * profile and confirmAvatar, within a deadline.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "avatar-error.h"
#include "avatar-flow-private.h"
#include "avatar-retry.h"

/* One look at the profile every 200 ms, so no more than 5 requests a
 * second: the avatar is seen 100 ms after its promotion on average. The
 * first look comes at a random moment of the first 200 ms, so that no
 * processing time keeps falling just after a look (a quick one that always
 * ends 20 ms after the PUT would otherwise be seen 180 ms late every time).
 * Every fifth look is a confirmAvatar, which also tells of a failed
 * processing. */
#define POLL_INTERVAL_MS              200
#define POLLS_PER_CONFIRM             5

static void flow_poll (AvatarFlow *self);

void
avatar_flow_clear_deadline (AvatarFlow *self)
{
  if (self->deadline == NULL)
    return;

  g_source_destroy (self->deadline);
  g_clear_pointer (&self->deadline, g_source_unref);
}

static gboolean
deadline_cb (gpointer user_data)
{
  AvatarFlow *self = user_data;

  g_debug ("Processing took longer than %u ms", self->processing_timeout_ms);

  /* Stops the poll or pause in progress; its callback ends the run. */
  self->timed_out = TRUE;
  g_clear_pointer (&self->deadline, g_source_unref);
  g_cancellable_cancel (self->cancellable);

  return G_SOURCE_REMOVE;
}

static void
poll_pause_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(AvatarFlow) self = user_data;
  GError *error = NULL;

  avatar_retry_sleep_finish (result, &error);
  if (!avatar_flow_step_ok (self, error))
    return;

  flow_poll (self);
}

/* The next look at the profile, POLL_INTERVAL_MS after the start of the
 * last one, whatever that one took. */
static void
flow_poll_later (AvatarFlow *self)
{
  gint64 elapsed_ms = (g_get_monotonic_time () - self->poll_started_us) / 1000;
  guint delay_ms = (guint) CLAMP (POLL_INTERVAL_MS - elapsed_ms, 0, POLL_INTERVAL_MS);

  avatar_retry_sleep_async (delay_ms, self->cancellable, poll_pause_cb, g_object_ref (self));
}

/* Whether waiting on is worth it after a poll failed: the upload is still
 * being processed, or the service or the network is down for a moment
 * (the client has already retried); the deadline ends it anyway. */
static gboolean
poll_error_is_passing (const GError *error)
{
  return g_error_matches (error, AVATAR_ERROR, AVATAR_ERROR_STILL_PROCESSING) ||
         g_error_matches (error, AVATAR_ERROR, AVATAR_ERROR_UNAVAILABLE) ||
         g_error_matches (error, AVATAR_ERROR, AVATAR_ERROR_NETWORK);
}

static void
polled_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(AvatarFlow) self = user_data;
  g_autoptr(AvatarProfile) profile = NULL;
  GError *error = NULL;

  if (g_async_result_is_tagged (result, avatar_client_confirm_avatar_async))
    profile = avatar_client_confirm_avatar_finish (AVATAR_CLIENT (source), result, &error);
  else
    profile = avatar_client_get_profile_finish (AVATAR_CLIENT (source), result, &error);

  if (g_error_matches (error, AVATAR_ERROR, AVATAR_ERROR_PROCESSING_FAILED))
    {
      g_clear_error (&error);
      error = g_error_new (AVATAR_ERROR, AVATAR_ERROR_PROCESSING_FAILED,
                           _("The picture was uploaded, but the service could not process it. Choose another picture."));
    }

  if (error != NULL && poll_error_is_passing (error) && !g_cancellable_is_cancelled (self->cancellable))
    {
      g_debug ("Still waiting for processing: %s", error->message);
      g_clear_error (&error);
    }

  if (!avatar_flow_step_ok (self, error))
    return;

  /* The previous avatar is not null either: only the new URL will do. */
  if (profile != NULL && g_strcmp0 (profile->avatar_url, self->ticket->cdn_url) == 0)
    avatar_flow_processed (self, profile->avatar_url);
  else
    flow_poll_later (self);
}

static void
flow_poll (AvatarFlow *self)
{
  self->poll_started_us = g_get_monotonic_time ();

  if (++self->polls % POLLS_PER_CONFIRM == 0)
    avatar_client_confirm_avatar_async (self->client, self->cancellable, polled_cb, g_object_ref (self));
  else
    avatar_client_get_profile_async (self->client, self->cancellable, polled_cb, g_object_ref (self));
}

void
avatar_flow_wait_processing (AvatarFlow *self)
{
  self->polls = 0;
  self->timed_out = FALSE;

  self->deadline = g_timeout_source_new (self->processing_timeout_ms);
  g_source_set_static_name (self->deadline, "[avatar] processing deadline");
  /* The source is destroyed before the flow can go away. */
  g_source_set_callback (self->deadline, deadline_cb, self, NULL);
  g_source_attach (self->deadline, g_task_get_context (self->task));

  avatar_retry_sleep_async (g_random_int_range (0, POLL_INTERVAL_MS), self->cancellable,
                            poll_pause_cb, g_object_ref (self));
}
