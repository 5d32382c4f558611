/* avatar-secrets.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "avatar-keyring.h"
#include "avatar-secrets.h"

#define KIND_ACCESS AVATAR_KEYRING_KIND_ACCESS
#define KIND_REFRESH AVATAR_KEYRING_KIND_REFRESH

typedef struct
{
  char *access_token;
  char *refresh_token;
} TokenPair;

struct _AvatarSecrets
{
  GObject     parent_instance;

  /* server URL → TokenPair: what this session knows, stored or not */
  GHashTable *session;
  gboolean    available;

  /* Stores run in worker threads, in any order: only the newest for a
   * server is written, so that a rotated refresh token is never overwritten
   * by the one it replaced. server URL → serial, under newest_lock, which
   * is held only briefly; write_lock is held in the worker for the writes,
   * which may wait on the keyring for long. */
  GMutex      newest_lock;
  GMutex      write_lock;
  GHashTable *newest_stores;
  guint       store_serial;
};

G_DEFINE_FINAL_TYPE (AvatarSecrets, avatar_secrets, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_AVAILABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
token_pair_free (TokenPair *pair)
{
  g_free (pair->access_token);
  g_free (pair->refresh_token);
  g_free (pair);
}

static TokenPair *
token_pair_new (const char *access_token,
                const char *refresh_token)
{
  TokenPair *pair = g_new0 (TokenPair, 1);

  pair->access_token = g_strdup (access_token);
  pair->refresh_token = g_strdup (refresh_token);

  return pair;
}

static void
set_available (AvatarSecrets *self,
               gboolean       available)
{
  if (self->available == available)
    return;

  self->available = available;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
}

/* Runs in a worker thread: libsecret's synchronous calls keep the code short
 * without blocking the main loop. */
static void
lookup_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  const char *server_url = task_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  access_token = avatar_keyring_lookup (server_url, KIND_ACCESS, cancellable, &error);
  if (error == NULL)
    refresh_token = avatar_keyring_lookup (server_url, KIND_REFRESH, cancellable, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, token_pair_new (access_token, refresh_token),
                         (GDestroyNotify) token_pair_free);
}

void
avatar_secrets_lookup_async (AvatarSecrets       *self,
                             const char          *server_url,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  TokenPair *pair;

  g_return_if_fail (AVATAR_IS_SECRETS (self));
  g_return_if_fail (server_url != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, avatar_secrets_lookup_async);

  pair = g_hash_table_lookup (self->session, server_url);
  if (pair != NULL || !self->available)
    {
      g_task_return_pointer (task,
                             token_pair_new (pair ? pair->access_token : NULL,
                                             pair ? pair->refresh_token : NULL),
                             (GDestroyNotify) token_pair_free);
      return;
    }

  g_task_set_task_data (task, g_strdup (server_url), g_free);
  g_task_run_in_thread (task, lookup_thread);
}

gboolean
avatar_secrets_lookup_finish (AvatarSecrets  *self,
                              GAsyncResult   *result,
                              char          **access_token,
                              char          **refresh_token,
                              GError        **error)
{
  g_autoptr (GError) local_error = NULL;
  TokenPair *pair;

  g_return_val_if_fail (AVATAR_IS_SECRETS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  pair = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (pair == NULL)
    {
      /* No Secret Service: say so, and go on with what the session knows. */
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_message ("No Secret Service, tokens are kept for this session only: %s",
                     local_error->message);
          set_available (self, FALSE);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (access_token != NULL)
    *access_token = g_steal_pointer (&pair->access_token);
  if (refresh_token != NULL)
    *refresh_token = g_steal_pointer (&pair->refresh_token);
  token_pair_free (pair);

  return TRUE;
}

typedef struct
{
  char      *server_url;
  TokenPair  tokens;
  guint      serial;
} StoreData;

static void
store_data_free (StoreData *data)
{
  g_free (data->server_url);
  g_free (data->tokens.access_token);
  g_free (data->tokens.refresh_token);
  g_free (data);
}

static void
store_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  AvatarSecrets *self = source_object;
  StoreData *data = task_data;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->write_lock);
  g_autoptr (GError) error = NULL;
  gboolean newest;

  g_mutex_lock (&self->newest_lock);
  newest = GPOINTER_TO_UINT (g_hash_table_lookup (self->newest_stores, data->server_url)) == data->serial;
  g_mutex_unlock (&self->newest_lock);

  /* A newer store for this server follows and writes. */
  if (!newest)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (avatar_keyring_store (data->server_url, KIND_ACCESS, data->tokens.access_token, NULL, &error) &&
      avatar_keyring_store (data->server_url, KIND_REFRESH, data->tokens.refresh_token, NULL, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
store_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  AvatarSecrets *self = AVATAR_SECRETS (object);
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_message ("Could not store the tokens, they are kept for this session only: %s",
                 error->message);
      set_available (self, FALSE);
    }
}

void
avatar_secrets_store (AvatarSecrets *self,
                      const char    *server_url,
                      const char    *access_token,
                      const char    *refresh_token)
{
  g_autoptr (GTask) task = NULL;
  StoreData *data;

  g_return_if_fail (AVATAR_IS_SECRETS (self));
  g_return_if_fail (server_url != NULL);

  if (access_token == NULL && refresh_token == NULL)
    g_hash_table_remove (self->session, server_url);
  else
    g_hash_table_replace (self->session, g_strdup (server_url),
                          token_pair_new (access_token, refresh_token));

  if (!self->available)
    return;

  data = g_new0 (StoreData, 1);
  data->server_url = g_strdup (server_url);
  data->tokens.access_token = g_strdup (access_token);
  data->tokens.refresh_token = g_strdup (refresh_token);
  data->serial = ++self->store_serial;
  g_mutex_lock (&self->newest_lock);
  g_hash_table_replace (self->newest_stores, g_strdup (server_url), GUINT_TO_POINTER (data->serial));
  g_mutex_unlock (&self->newest_lock);

  task = g_task_new (self, NULL, store_done_cb, NULL);
  g_task_set_source_tag (task, avatar_secrets_store);
  g_task_set_task_data (task, data, (GDestroyNotify) store_data_free);
  g_task_run_in_thread (task, store_thread);
}

gboolean
avatar_secrets_get_available (AvatarSecrets *self)
{
  g_return_val_if_fail (AVATAR_IS_SECRETS (self), FALSE);

  return self->available;
}

static void
avatar_secrets_finalize (GObject *object)
{
  AvatarSecrets *self = AVATAR_SECRETS (object);

  g_clear_pointer (&self->session, g_hash_table_unref);
  g_clear_pointer (&self->newest_stores, g_hash_table_unref);
  g_mutex_clear (&self->newest_lock);
  g_mutex_clear (&self->write_lock);

  G_OBJECT_CLASS (avatar_secrets_parent_class)->finalize (object);
}

static void
avatar_secrets_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  AvatarSecrets *self = AVATAR_SECRETS (object);

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_secrets_class_init (AvatarSecretsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = avatar_secrets_finalize;
  object_class->get_property = avatar_secrets_get_property;

  properties[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL,
                          TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
avatar_secrets_init (AvatarSecrets *self)
{
  self->session = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) token_pair_free);
  self->available = TRUE;
  self->newest_stores = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&self->newest_lock);
  g_mutex_init (&self->write_lock);
}

AvatarSecrets *
avatar_secrets_new (void)
{
  return g_object_new (AVATAR_TYPE_SECRETS, NULL);
}
