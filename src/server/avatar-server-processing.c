/* avatar-server-processing.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The processing that follows an upload: each stored object waits for the
 * processing delay, then an AvatarProcessor makes its variants and the
 * store records the outcome. */

#include "config.h"

#include "avatar-server-private.h"

typedef struct
{
  AvatarServer *server;
  char         *key;
  guint         source_id;
  gboolean      fail;
} ProcessingJob;

static void
processing_job_free (ProcessingJob *job)
{
  g_clear_handle_id (&job->source_id, g_source_remove);
  g_free (job->key);
  g_free (job);
}

static void
finish_processing (AvatarServer     *self,
                   const char       *key,
                   AvatarAssetState  state,
                   const char       *reason,
                   int               width,
                   int               height)
{
  g_autoptr(GError) error = NULL;
  gboolean promoted = FALSE;

  if (state == AVATAR_ASSET_FAILED)
    g_message ("Processing of %s failed: %s", key, reason);

  if (!avatar_store_finish_asset (self->store, key, state, reason, width, height, &error) ||
      (state == AVATAR_ASSET_READY && !avatar_store_promote_asset (self->store, key, &promoted, &error)))
    g_warning ("Cannot record the processing of %s: %s", key, error->message);
  else if (state == AVATAR_ASSET_READY)
    g_message ("Processed %s (%d × %d)%s", key, width, height,
               promoted ? "; it is now the avatar" : "; a newer upload is the avatar");

  g_assert (self->in_flight > 0);
  self->in_flight--;
  avatar_server_check_drained (self);
}

typedef struct
{
  AvatarServer *server;
  char         *key;
} ProcessingRun;

static void
processing_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ProcessingRun *run = user_data;
  g_autoptr(GError) error = NULL;
  int width = 0, height = 0;

  if (avatar_processor_process_finish (AVATAR_PROCESSOR (source), result, &width, &height, &error))
    finish_processing (run->server, run->key, AVATAR_ASSET_READY, NULL, width, height);
  else
    finish_processing (run->server, run->key, AVATAR_ASSET_FAILED, error->message, 0, 0);

  g_object_unref (run->server);
  g_free (run->key);
  g_free (run);
}

static void
start_processing (AvatarServer *self,
                  const char   *key,
                  gboolean      fail)
{
  g_autoptr(AvatarStoreAsset) asset = avatar_store_get_asset (self->store, key);
  g_autofree char *dir = NULL;
  g_autofree char *raw_path = NULL;
  ProcessingRun *run;

  if (asset == NULL)
    {
      finish_processing (self, key, AVATAR_ASSET_FAILED, "The asset vanished", 0, 0);
      return;
    }

  if (fail)
    {
      finish_processing (self, key, AVATAR_ASSET_FAILED, "Processing failed because a fault rule asked so", 0, 0);
      return;
    }

  dir = avatar_server_dup_asset_dir (self, asset->user_id, key);
  raw_path = g_build_filename (dir, "raw", NULL);
  run = g_new0 (ProcessingRun, 1);
  /* The worker writes into the server's data directory and the result goes
   * to its store: both must outlive the processing. */
  run->server = g_object_ref (self);
  run->key = g_strdup (key);
  avatar_processor_process_async (self->processor, raw_path, asset->content_type, dir, NULL,
                                  processing_done, run);
}

static gboolean
processing_delay_elapsed (gpointer data)
{
  ProcessingJob *job = data;
  AvatarServer *self = job->server;
  g_autofree char *key = g_strdup (job->key);
  gboolean fail = job->fail;

  job->source_id = 0;
  g_hash_table_remove (self->scheduled, key);
  start_processing (self, key, fail);

  return G_SOURCE_REMOVE;
}

void
avatar_server_schedule_processing (AvatarServer *self,
                                   const char   *key)
{
  AvatarProcessingFault fault = AVATAR_PROCESSING_NORMAL;
  ProcessingJob *job;
  int delay = (int) self->processing_delay_ms;

  if (self->faults_enabled)
    {
      fault = avatar_faults_take_processing (self->faults);
      delay = avatar_faults_get_processing_delay (self->faults, delay);
    }

  if (fault == AVATAR_PROCESSING_HANG)
    {
      g_message ("Processing of %s will not finish, as a fault rule asks", key);
      return;
    }

  /* Objects are written once, so a key is scheduled once. */
  g_assert (!g_hash_table_contains (self->scheduled, key));

  job = g_new0 (ProcessingJob, 1);
  job->server = self;
  job->key = g_strdup (key);
  job->fail = fault == AVATAR_PROCESSING_FAIL;
  job->source_id = g_timeout_add ((guint) delay, processing_delay_elapsed, job);
  g_hash_table_insert (self->scheduled, g_strdup (key), job);
  self->in_flight++;
}

GHashTable *
avatar_server_new_schedule_table (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) processing_job_free);
}

/* Starts every delayed processing job now; used when shutting down. */
void
avatar_server_flush_processing (AvatarServer *self)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) processing_job_free);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->scheduled);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_hash_table_iter_steal (&iter);
      g_free (key);
      g_ptr_array_add (jobs, value);
    }

  for (guint i = 0; i < jobs->len; i++)
    {
      ProcessingJob *job = g_ptr_array_index (jobs, i);

      g_clear_handle_id (&job->source_id, g_source_remove);
      start_processing (self, job->key, job->fail);
    }
}
