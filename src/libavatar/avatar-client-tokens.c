/* avatar-client-tokens.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The client's sign-in: its two tokens, kept under a lock, and their
 * refresh, one in flight that every caller waits for.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "avatar-client-private.h"
#include "avatar-error.h"
#include "avatar-request.h"

/* Tokens ----------------------------------------------------------------- */

/* Takes both tokens; the callers may be on any thread. */
static void
client_store_tokens (AvatarClient *self,
                     char         *access_token,
                     char         *refresh_token)
{
  g_mutex_lock (&self->token_lock);
  g_free (self->access_token);
  self->access_token = access_token;
  g_free (self->refresh_token);
  self->refresh_token = refresh_token;
  g_mutex_unlock (&self->token_lock);
}

static char *
client_dup_token (AvatarClient  *self,
                  char         **token)
{
  char *copy;

  g_mutex_lock (&self->token_lock);
  copy = g_strdup (*token);
  g_mutex_unlock (&self->token_lock);

  return copy;
}

void
avatar_client_set_tokens (AvatarClient *self,
                          const char   *access_token,
                          const char   *refresh_token)
{
  g_return_if_fail (AVATAR_IS_CLIENT (self));

  client_store_tokens (self, g_strdup (access_token), g_strdup (refresh_token));
}

char *
avatar_client_dup_access_token (AvatarClient *self)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), NULL);

  return client_dup_token (self, &self->access_token);
}

char *
avatar_client_dup_refresh_token (AvatarClient *self)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), NULL);

  return client_dup_token (self, &self->refresh_token);
}

/* Refresh: one in flight, every caller waits for it ---------------------- */

typedef struct
{
  GTask   *task;
  GSource *cancelled;
} RefreshWaiter;

static void
refresh_waiter_complete (RefreshWaiter *waiter,
                         const GError  *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&waiter->task);

  if (waiter->cancelled != NULL)
    {
      g_source_destroy (waiter->cancelled);
      g_clear_pointer (&waiter->cancelled, g_source_unref);
    }
  g_free (waiter);

  if (error != NULL)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
refresh_waiter_cancelled_cb (GCancellable *cancellable,
                             gpointer      user_data)
{
  RefreshWaiter *waiter = user_data;
  AvatarClient *self = g_task_get_source_object (waiter->task);
  g_autoptr(GError) error = NULL;

  /* The refresh itself goes on: its result is good for everyone else. */
  g_ptr_array_remove (self->refresh_waiters, waiter);
  error = avatar_error_new_cancelled ();
  refresh_waiter_complete (waiter, error);

  return G_SOURCE_REMOVE;
}

static void
client_finish_refresh (AvatarClient *self,
                       const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->refresh_waiters);

  for (guint i = 0; i < waiters->len; i++)
    refresh_waiter_complete (g_ptr_array_index (waiters, i), error);
}

static void
refresh_sent_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(AvatarClient) self = user_data;
  g_autoptr(AvatarResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  response = avatar_request_finish (self, result, &error);

  if (response == NULL)
    {
      /* A refusal means the sign-in is over; a network or server failure
       * is reported as such, since signing in again would not help. */
      if (g_error_matches (error, AVATAR_ERROR, AVATAR_ERROR_AUTH))
        {
          g_clear_error (&error);
          g_set_error (&error, AVATAR_ERROR, AVATAR_ERROR_AUTH,
                       _("Your sign-in has expired; sign in again."));
        }
      client_finish_refresh (self, error);
      return;
    }

  if (!avatar_client_parse_tokens (response->body, &access_token, &refresh_token, &error))
    {
      client_finish_refresh (self, error);
      return;
    }

  g_debug ("The service issued new tokens");

  client_store_tokens (self, g_steal_pointer (&access_token), g_steal_pointer (&refresh_token));
  avatar_client_emit_tokens_changed (self);

  client_finish_refresh (self, NULL);
}

static void
client_start_refresh (AvatarClient *self)
{
  g_autofree char *refresh_token = avatar_client_dup_refresh_token (self);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GUri) uri = NULL;

  if (refresh_token == NULL)
    {
      g_autoptr(GError) error = g_error_new (AVATAR_ERROR, AVATAR_ERROR_AUTH,
                                             _("Your sign-in has expired; sign in again."));

      client_finish_refresh (self, error);
      return;
    }

  body = avatar_request_json_body_new ("refreshToken", json_node_init_string (json_node_alloc (), refresh_token));
  uri = avatar_request_api_uri (self, "/auth/refresh");

  /* Not tied to any caller's cancellable: the new tokens are worth having
   * even when the call that needed them was cancelled. A refresh that was
   * processed invalidates the old refresh token, so it is only repeated
   * when the server surely did not process it. */
  avatar_request_async (self, "POST", uri, body,
                        AVATAR_REQUEST_API | AVATAR_REQUEST_NO_BEARER, AVATAR_REQUEST_API_MAX_BODY,
                        NULL, refresh_sent_cb, g_object_ref (self));
}

void
avatar_client_refresh_async (AvatarClient        *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  RefreshWaiter *waiter;
  gboolean start;

  g_return_if_fail (AVATAR_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  waiter = g_new0 (RefreshWaiter, 1);
  waiter->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (waiter->task, avatar_client_refresh_async);
  g_task_set_check_cancellable (waiter->task, FALSE);

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_autoptr(GError) error = avatar_error_new_cancelled ();

      refresh_waiter_complete (waiter, error);
      return;
    }

  if (cancellable != NULL)
    {
      waiter->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_static_name (waiter->cancelled, "[avatar] refresh waiter cancelled");
      g_source_set_callback (waiter->cancelled, G_SOURCE_FUNC (refresh_waiter_cancelled_cb),
                             waiter, NULL);
      g_source_attach (waiter->cancelled, g_task_get_context (waiter->task));
    }

  start = self->refresh_waiters == NULL;
  if (start)
    self->refresh_waiters = g_ptr_array_new ();
  g_ptr_array_add (self->refresh_waiters, waiter);

  if (start)
    client_start_refresh (self);
}

gboolean
avatar_client_refresh_finish (AvatarClient  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == avatar_client_refresh_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
