/* avatar-flow.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <webp/decode.h>

#include "avatar-enums.h"
#include "avatar-error.h"
#include "avatar-flow.h"
#include "avatar-retry.h"
#include "avatar-sniff.h"
#include "avatar-upload.h"

#define DEFAULT_PROCESSING_TIMEOUT_MS 30000
/* One look at the profile every 200 ms, so no more than 5 requests a
 * second: the avatar is seen 100 ms after its promotion on average. The
 * first look comes at a random moment of the first 200 ms, so that no
 * processing time keeps falling just after a look (a quick one that always
 * ends 20 ms after the PUT would otherwise be seen 180 ms late every time).
 * Every fifth look is a confirmAvatar, which also tells of a failed
 * processing. */
#define POLL_INTERVAL_MS              200
#define POLLS_PER_CONFIRM             5

struct _AvatarFlow
{
  GObject             parent_instance;

  AvatarClient       *client;
  AvatarImage        *image;
  AvatarCrop          crop;
  gboolean            has_crop;
  AvatarPrepareFlags  flags;
  guint               processing_timeout_ms;
  gboolean            fetch_raw;

  AvatarFlowState     state;
  AvatarUpload       *upload;
  GError             *error;
  char               *avatar_url;
  char               *asset_key;
  gboolean            sent;
  AvatarPrepared     *prepared;
  AvatarVariant       variants[AVATAR_N_VARIANTS];
  AvatarFlowTimings   timings;

  /* While a run is in progress. */
  GTask              *task;
  GCancellable       *cancellable;
  GCancellable       *caller_cancellable;
  gulong              caller_cancelled_id;
  AvatarTicket       *ticket;
  gint64              run_started_us;
  gint64              stage_started_us;
  GSource            *deadline;
  gboolean            timed_out;
  guint               polls;
  gint64              poll_started_us;
  gboolean            stop_after_upload;
  guint               fetches_pending;
  GError             *fetch_error;
};

G_DEFINE_FINAL_TYPE (AvatarFlow, avatar_flow, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_UPLOAD,
  PROP_ERROR,
  PROP_AVATAR_URL,
  PROP_ASSET_KEY,
  PROP_SENT,
  PROP_PREPARED,
  PROP_PROCESSING_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const struct {
  const char *file;
  int         side;  /* 0: any size */
} variant_specs[AVATAR_N_VARIANTS] = {
  [AVATAR_VARIANT_44]       = { "44.webp", 44 },
  [AVATAR_VARIANT_48]       = { "48.webp", 48 },
  [AVATAR_VARIANT_60]       = { "60.webp", 60 },
  [AVATAR_VARIANT_ORIGINAL] = { "original.webp", 0 },
  [AVATAR_VARIANT_RAW]      = { "raw", 0 },
};

static void flow_request (AvatarFlow *self);
static void flow_upload  (AvatarFlow *self);
static void flow_process (AvatarFlow *self);
static void flow_poll    (AvatarFlow *self);
static void flow_fetch   (AvatarFlow *self);

/* Properties ------------------------------------------------------------- */

static void
flow_set_state (AvatarFlow      *self,
                AvatarFlowState  state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Each run puts its bytes through an AvatarUpload of its own; NULL until
 * then. */
static void
flow_set_upload (AvatarFlow   *self,
                 AvatarUpload *upload)
{
  if (g_set_object (&self->upload, upload))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPLOAD]);
}

static void
flow_set_string (AvatarFlow  *self,
                 char       **field,
                 const char  *value,
                 guint        prop_id)
{
  if (g_strcmp0 (*field, value) == 0)
    return;

  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
flow_set_sent (AvatarFlow *self,
               gboolean    sent)
{
  if (self->sent == sent)
    return;

  self->sent = sent;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SENT]);
}

static void
flow_set_error (AvatarFlow   *self,
                const GError *error)
{
  if (self->error == NULL && error == NULL)
    return;

  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
clear_variants (AvatarFlow *self)
{
  for (guint i = 0; i < AVATAR_N_VARIANTS; i++)
    {
      AvatarVariant *variant = &self->variants[i];

      g_clear_pointer (&variant->url, g_free);
      g_clear_pointer (&variant->content_type, g_free);
      g_clear_pointer (&variant->bytes, g_bytes_unref);
      variant->kind = i;
      variant->width = 0;
      variant->height = 0;
      variant->byte_size = 0;
    }
}

static gint64
stage_elapsed_ms (AvatarFlow *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 elapsed = (now - self->stage_started_us) / 1000;

  self->stage_started_us = now;
  return elapsed;
}

/* Ending a run ----------------------------------------------------------- */

/* Once the service has the picture, stopping only stops the wait. */
static GError *
flow_cancelled_error (AvatarFlow *self)
{
  if (self->sent)
    return g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                        _("The picture was sent. It becomes your avatar as soon as the service has processed it."));

  return g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The upload was cancelled."));
}

static void
flow_clear_deadline (AvatarFlow *self)
{
  if (self->deadline == NULL)
    return;

  g_source_destroy (self->deadline);
  g_clear_pointer (&self->deadline, g_source_unref);
}

static void
flow_clear_run (AvatarFlow *self)
{
  flow_clear_deadline (self);

  if (self->caller_cancellable != NULL)
    {
      /* Waits for a handler running in another thread, so it is never
       * called on a finished run. */
      g_cancellable_disconnect (self->caller_cancellable, self->caller_cancelled_id);
      self->caller_cancelled_id = 0;
      g_clear_object (&self->caller_cancellable);
    }

  g_clear_pointer (&self->ticket, avatar_ticket_free);
  g_clear_error (&self->fetch_error);
  g_clear_object (&self->cancellable);
}

static void
flow_finish (AvatarFlow *self,
             GError     *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);
  gboolean cancelled = self->stop_after_upload ||
                       (self->cancellable != NULL && g_cancellable_is_cancelled (self->cancellable));

  g_assert (task != NULL);

  /* Whatever failed last, the reason for stopping comes first: the time
   * limit, then a cancel. */
  if (error != NULL && self->timed_out)
    {
      g_clear_error (&error);
      error = g_error_new (AVATAR_ERROR, AVATAR_ERROR_PROCESSING_TIMEOUT,
                           _("The picture was uploaded, but the service did not finish processing it in time. Try again later."));
    }
  else if (error != NULL && (cancelled || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
    {
      g_clear_error (&error);
      error = flow_cancelled_error (self);
    }

  self->timings.total_ms = (g_get_monotonic_time () - self->run_started_us) / 1000;
  flow_clear_run (self);

  g_object_freeze_notify (G_OBJECT (self));
  if (error != NULL)
    {
      flow_set_error (self, error);
      flow_set_state (self, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                              ? AVATAR_FLOW_STATE_CANCELLED
                              : AVATAR_FLOW_STATE_FAILED);
    }
  else
    {
      flow_set_state (self, AVATAR_FLOW_STATE_DONE);
    }
  g_object_thaw_notify (G_OBJECT (self));

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* After an asynchronous step: FALSE, with the run ended, when it failed or
 * the run was cancelled meanwhile. Takes @error. */
static gboolean
flow_step_ok (AvatarFlow *self,
              GError     *error)
{
  if (error == NULL && g_cancellable_is_cancelled (self->cancellable))
    error = flow_cancelled_error (self);

  if (error == NULL)
    return TRUE;

  flow_finish (self, error);
  return FALSE;
}

/* Preparing -------------------------------------------------------------- */

static void
prepared_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(AvatarFlow) self = user_data;
  GError *error = NULL;
  AvatarPrepared *prepared;

  prepared = avatar_image_prepare_finish (AVATAR_IMAGE (source), result, &error);
  self->timings.prepare_ms = stage_elapsed_ms (self);

  if (!flow_step_ok (self, error))
    {
      g_clear_pointer (&prepared, avatar_prepared_free);
      return;
    }

  g_clear_pointer (&self->prepared, avatar_prepared_free);
  self->prepared = prepared;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PREPARED]);

  flow_request (self);
}

static void
flow_prepare (AvatarFlow *self)
{
  flow_set_state (self, AVATAR_FLOW_STATE_PREPARING);

  avatar_image_prepare_async (self->image, self->has_crop ? &self->crop : NULL,
                              self->flags, self->cancellable,
                              prepared_cb, g_object_ref (self));
}

/* Requesting an upload URL ----------------------------------------------- */

static void
flow_take_ticket (AvatarFlow   *self,
                  AvatarTicket *ticket)
{
  g_clear_pointer (&self->ticket, avatar_ticket_free);
  self->ticket = ticket;
  flow_set_string (self, &self->asset_key, ticket->asset_key, PROP_ASSET_KEY);
}

static void
requested_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(AvatarFlow) self = user_data;
  GError *error = NULL;
  AvatarTicket *ticket;

  ticket = avatar_client_request_upload_finish (AVATAR_CLIENT (source), result, &error);
  self->timings.request_ms = stage_elapsed_ms (self);

  if (!flow_step_ok (self, error))
    {
      g_clear_pointer (&ticket, avatar_ticket_free);
      return;
    }

  flow_take_ticket (self, ticket);
  flow_upload (self);
}

static void
flow_request (AvatarFlow *self)
{
  flow_set_state (self, AVATAR_FLOW_STATE_REQUESTING);

  avatar_client_request_upload_async (self->client, self->prepared->content_type,
                                      self->cancellable, requested_cb, g_object_ref (self));
}

/* Uploading -------------------------------------------------------------- */

static void
uploaded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(AvatarFlow) self = user_data;
  GError *error = NULL;
  AvatarTicket *ticket;

  ticket = avatar_upload_run_finish (AVATAR_UPLOAD (source), result, &error);
  self->timings.upload_ms = stage_elapsed_ms (self);

  if (!flow_step_ok (self, error))
    {
      g_clear_pointer (&ticket, avatar_ticket_free);
      return;
    }

  /* An expired URL was replaced by a fresh one, with its own asset. */
  flow_take_ticket (self, ticket);
  flow_set_sent (self, TRUE);

  /* A cancel that came once every byte was out waited for this answer. */
  if (self->stop_after_upload)
    flow_finish (self, flow_cancelled_error (self));
  else
    flow_process (self);
}

static void
flow_upload (AvatarFlow *self)
{
  g_autoptr(AvatarUpload) upload = NULL;

  /* The upload is there by the time the state says uploading. */
  upload = avatar_upload_new (self->client, self->prepared->bytes, self->prepared->content_type);
  flow_set_upload (self, upload);
  flow_set_state (self, AVATAR_FLOW_STATE_UPLOADING);

  avatar_upload_run_async (self->upload, self->ticket, self->cancellable,
                           uploaded_cb, g_object_ref (self));
}

/* Waiting for processing ------------------------------------------------- */

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
  if (!flow_step_ok (self, error))
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
flow_processed (AvatarFlow *self,
                const char *avatar_url)
{
  flow_clear_deadline (self);
  self->timings.processing_ms = stage_elapsed_ms (self);
  flow_set_string (self, &self->avatar_url, avatar_url, PROP_AVATAR_URL);
  flow_fetch (self);
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

  if (!flow_step_ok (self, error))
    return;

  /* The previous avatar is not null either: only the new URL will do. */
  if (profile != NULL && g_strcmp0 (profile->avatar_url, self->ticket->cdn_url) == 0)
    flow_processed (self, profile->avatar_url);
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

static void
flow_process (AvatarFlow *self)
{
  flow_set_state (self, AVATAR_FLOW_STATE_PROCESSING);

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

/* Fetching the variants -------------------------------------------------- */

/* A variant is checked by its header alone, its type and its size against
 * what the contract promises; its pixels are decoded only where they are
 * shown. */
static gboolean
check_variant (AvatarVariant  *variant,
               GError        **error)
{
  const char *file = variant_specs[variant->kind].file;
  int side = variant_specs[variant->kind].side;
  const AvatarSniffedType *type;
  WebPBitstreamFeatures features;
  const guint8 *data;
  gsize size;

  data = g_bytes_get_data (variant->bytes, &size);
  type = avatar_sniff_type (data, size);

  if (type == NULL || !g_str_equal (type->mime_type, "image/webp") ||
      WebPGetFeatures (data, size, &features) != VP8_STATUS_OK)
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("The service sent a “%s” picture that cannot be decoded."), file);
      return FALSE;
    }

  if (features.width > AVATAR_IMAGE_MAX_SIDE || features.height > AVATAR_IMAGE_MAX_SIDE ||
      (gint64) features.width * features.height > AVATAR_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("The service sent a “%s” picture with too many pixels."), file);
      return FALSE;
    }

  variant->width = features.width;
  variant->height = features.height;

  if (side != 0 && (variant->width != side || variant->height != side))
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("The service sent a “%s” picture of %d × %d pixels instead of %d × %d."),
                   file, variant->width, variant->height, side, side);
      return FALSE;
    }

  return TRUE;
}

/* raw is the uploaded bytes: the type and the length the header gives must
 * be those that were sent, and then its pixels are those of the prepared
 * picture. */
static gboolean
check_raw (AvatarFlow     *self,
           AvatarVariant  *variant,
           goffset         length,
           GError        **error)
{
  const AvatarPrepared *prepared = self->prepared;

  if (g_strcmp0 (variant->content_type, prepared->content_type) != 0 ||
      (length >= 0 && (guint64) length != g_bytes_get_size (prepared->bytes)))
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("The service’s “raw” file is not the picture that was uploaded."));
      return FALSE;
    }

  variant->byte_size = g_bytes_get_size (prepared->bytes);
  variant->width = prepared->width;
  variant->height = prepared->height;
  return TRUE;
}

/* Once every fetch is back: nothing may still run when the flow reports
 * the end. Takes @error. */
static void
fetch_done (AvatarFlow *self,
            GError     *error)
{
  if (error != NULL && self->fetch_error == NULL)
    self->fetch_error = error;
  else
    g_clear_error (&error);

  if (--self->fetches_pending > 0)
    return;

  self->timings.variants_ms = stage_elapsed_ms (self);

  if (!flow_step_ok (self, g_steal_pointer (&self->fetch_error)))
    return;

  flow_finish (self, NULL);
}

typedef struct
{
  AvatarFlow        *flow;
  AvatarVariantKind  kind;
} Fetch;

static void
fetched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fetch *fetch = user_data;
  g_autoptr(AvatarFlow) self = fetch->flow;
  AvatarVariant *variant = &self->variants[fetch->kind];
  GError *error = NULL;

  g_free (fetch);
  variant->bytes = avatar_client_fetch_finish (AVATAR_CLIENT (source), result,
                                               &variant->content_type, &error);
  if (variant->bytes != NULL)
    {
      variant->byte_size = g_bytes_get_size (variant->bytes);
      if (variant->kind == AVATAR_VARIANT_RAW)
        check_raw (self, variant, variant->byte_size, &error);
      else
        check_variant (variant, &error);
    }

  fetch_done (self, error);
}

static void
raw_head_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(AvatarFlow) self = user_data;
  AvatarVariant *variant = &self->variants[AVATAR_VARIANT_RAW];
  GError *error = NULL;
  goffset length = -1;

  if (avatar_client_head_finish (AVATAR_CLIENT (source), result, &variant->content_type, &length, &error))
    check_raw (self, variant, length, &error);

  fetch_done (self, error);
}

static void
flow_fetch (AvatarFlow *self)
{
  flow_set_state (self, AVATAR_FLOW_STATE_FETCHING);

  for (guint i = 0; i < AVATAR_N_VARIANTS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = NULL;

      /* The variants are the siblings of original.webp. */
      url = g_uri_resolve_relative (self->ticket->cdn_url, variant_specs[i].file,
                                    G_URI_FLAGS_ENCODED, &error);
      if (url == NULL)
        {
          flow_finish (self, g_error_new (AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                                          _("The service gave an address for the avatar that cannot be used.")));
          return;
        }
      self->variants[i].url = g_steal_pointer (&url);
    }

  /* All at once; raw, the whole upload again, only when asked for. */
  self->fetches_pending = AVATAR_N_VARIANTS;
  for (guint i = 0; i < AVATAR_N_VARIANTS; i++)
    {
      Fetch *fetch;

      if (i == AVATAR_VARIANT_RAW && !self->fetch_raw)
        {
          avatar_client_head_async (self->client, self->variants[i].url, self->cancellable,
                                    raw_head_cb, g_object_ref (self));
          continue;
        }

      fetch = g_new0 (Fetch, 1);
      fetch->flow = g_object_ref (self);
      fetch->kind = i;
      avatar_client_fetch_async (self->client, self->variants[i].url, self->cancellable,
                                 fetched_cb, fetch);
    }
}

/* Running ---------------------------------------------------------------- */

static void
caller_cancelled_cb (GCancellable *caller_cancellable,
                     GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

void
avatar_flow_run_async (AvatarFlow          *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (AVATAR_IS_FLOW (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, avatar_flow_run_async);
  g_task_set_check_cancellable (self->task, FALSE);

  self->cancellable = g_cancellable_new ();
  self->timed_out = FALSE;
  self->stop_after_upload = FALSE;
  self->run_started_us = g_get_monotonic_time ();
  self->stage_started_us = self->run_started_us;
  memset (&self->timings, 0, sizeof self->timings);

  g_object_freeze_notify (G_OBJECT (self));
  clear_variants (self);
  flow_set_error (self, NULL);
  flow_set_string (self, &self->avatar_url, NULL, PROP_AVATAR_URL);
  flow_set_string (self, &self->asset_key, NULL, PROP_ASSET_KEY);
  flow_set_sent (self, FALSE);
  flow_set_upload (self, NULL);
  g_object_thaw_notify (G_OBJECT (self));

  if (cancellable != NULL)
    {
      self->caller_cancellable = g_object_ref (cancellable);
      self->caller_cancelled_id = g_cancellable_connect (cancellable,
                                                         G_CALLBACK (caller_cancelled_cb),
                                                         g_object_ref (self->cancellable),
                                                         g_object_unref);
    }

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      flow_finish (self, flow_cancelled_error (self));
      return;
    }

  /* A second run sends the same bytes again. */
  if (self->prepared != NULL)
    flow_request (self);
  else
    flow_prepare (self);
}

gboolean
avatar_flow_run_finish (AvatarFlow    *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (AVATAR_IS_FLOW (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == avatar_flow_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
avatar_flow_cancel (AvatarFlow *self)
{
  g_return_if_fail (AVATAR_IS_FLOW (self));

  /* Once the whole body is out, the object may be stored already: the
   * answer to the PUT tells, and the run ends with it. */
  if (self->state == AVATAR_FLOW_STATE_UPLOADING &&
      avatar_upload_get_bytes_total (self->upload) > 0 &&
      avatar_upload_get_bytes_sent (self->upload) == avatar_upload_get_bytes_total (self->upload))
    {
      self->stop_after_upload = TRUE;
      return;
    }

  /* The step in progress notices, and the run ends once it has stopped. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

/* The object ------------------------------------------------------------- */

static void
avatar_flow_dispose (GObject *object)
{
  AvatarFlow *self = (AvatarFlow *)object;

  /* Every step holds a reference, so no run can be in progress here. */
  g_assert (self->task == NULL);

  g_clear_object (&self->client);
  g_clear_object (&self->image);
  g_clear_object (&self->upload);

  G_OBJECT_CLASS (avatar_flow_parent_class)->dispose (object);
}

static void
avatar_flow_finalize (GObject *object)
{
  AvatarFlow *self = (AvatarFlow *)object;

  clear_variants (self);
  g_clear_error (&self->error);
  g_clear_pointer (&self->avatar_url, g_free);
  g_clear_pointer (&self->asset_key, g_free);
  g_clear_pointer (&self->prepared, avatar_prepared_free);

  G_OBJECT_CLASS (avatar_flow_parent_class)->finalize (object);
}

static void
avatar_flow_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  AvatarFlow *self = AVATAR_FLOW (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_UPLOAD:
      g_value_set_object (value, self->upload);
      break;

    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;

    case PROP_AVATAR_URL:
      g_value_set_string (value, self->avatar_url);
      break;

    case PROP_ASSET_KEY:
      g_value_set_string (value, self->asset_key);
      break;

    case PROP_SENT:
      g_value_set_boolean (value, self->sent);
      break;

    case PROP_PREPARED:
      g_value_set_boxed (value, self->prepared);
      break;

    case PROP_PROCESSING_TIMEOUT:
      g_value_set_uint (value, self->processing_timeout_ms);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_flow_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  AvatarFlow *self = AVATAR_FLOW (object);

  switch (prop_id)
    {
    case PROP_PROCESSING_TIMEOUT:
      avatar_flow_set_processing_timeout (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_flow_class_init (AvatarFlowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = avatar_flow_dispose;
  object_class->finalize = avatar_flow_finalize;
  object_class->get_property = avatar_flow_get_property;
  object_class->set_property = avatar_flow_set_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       AVATAR_TYPE_FLOW_STATE, AVATAR_FLOW_STATE_IDLE,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_UPLOAD] =
    g_param_spec_object ("upload", NULL, NULL,
                         AVATAR_TYPE_UPLOAD,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL,
                        G_TYPE_ERROR,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_AVATAR_URL] =
    g_param_spec_string ("avatar-url", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_ASSET_KEY] =
    g_param_spec_string ("asset-key", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_SENT] =
    g_param_spec_boolean ("sent", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_PREPARED] =
    g_param_spec_boxed ("prepared", NULL, NULL,
                        avatar_prepared_get_type (),
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_PROCESSING_TIMEOUT] =
    g_param_spec_uint ("processing-timeout", NULL, NULL,
                       1, G_MAXUINT, DEFAULT_PROCESSING_TIMEOUT_MS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
avatar_flow_init (AvatarFlow *self)
{
  self->processing_timeout_ms = DEFAULT_PROCESSING_TIMEOUT_MS;
  self->state = AVATAR_FLOW_STATE_IDLE;
  clear_variants (self);
}

AvatarFlow *
avatar_flow_new (AvatarClient       *client,
                 AvatarImage        *image,
                 const AvatarCrop   *crop,
                 AvatarPrepareFlags  flags)
{
  AvatarFlow *self;

  g_return_val_if_fail (AVATAR_IS_CLIENT (client), NULL);
  g_return_val_if_fail (AVATAR_IS_IMAGE (image), NULL);

  self = g_object_new (AVATAR_TYPE_FLOW, NULL);
  self->client = g_object_ref (client);
  self->image = g_object_ref (image);
  self->flags = flags;
  if (crop != NULL)
    {
      self->crop = *crop;
      self->has_crop = TRUE;
    }

  return self;
}

AvatarFlow *
avatar_flow_new_for_prepared (AvatarClient         *client,
                              const AvatarPrepared *prepared)
{
  AvatarFlow *self;

  g_return_val_if_fail (AVATAR_IS_CLIENT (client), NULL);
  g_return_val_if_fail (prepared != NULL && prepared->bytes != NULL, NULL);

  self = g_object_new (AVATAR_TYPE_FLOW, NULL);
  self->client = g_object_ref (client);
  /* Shares the bytes: the picture shown is the one sent. */
  self->prepared = avatar_prepared_copy (prepared);

  return self;
}

AvatarFlowState
avatar_flow_get_state (AvatarFlow *self)
{
  g_return_val_if_fail (AVATAR_IS_FLOW (self), AVATAR_FLOW_STATE_IDLE);

  return self->state;
}

AvatarUpload *
avatar_flow_get_upload (AvatarFlow *self)
{
  g_return_val_if_fail (AVATAR_IS_FLOW (self), NULL);

  return self->upload;
}

const GError *
avatar_flow_get_error (AvatarFlow *self)
{
  g_return_val_if_fail (AVATAR_IS_FLOW (self), NULL);

  return self->error;
}

const char *
avatar_flow_get_avatar_url (AvatarFlow *self)
{
  g_return_val_if_fail (AVATAR_IS_FLOW (self), NULL);

  return self->avatar_url;
}

const char *
avatar_flow_get_asset_key (AvatarFlow *self)
{
  g_return_val_if_fail (AVATAR_IS_FLOW (self), NULL);

  return self->asset_key;
}

gboolean
avatar_flow_get_sent (AvatarFlow *self)
{
  g_return_val_if_fail (AVATAR_IS_FLOW (self), FALSE);

  return self->sent;
}

const AvatarPrepared *
avatar_flow_get_prepared (AvatarFlow *self)
{
  g_return_val_if_fail (AVATAR_IS_FLOW (self), NULL);

  return self->prepared;
}

const AvatarVariant *
avatar_flow_get_variant (AvatarFlow        *self,
                         AvatarVariantKind  kind)
{
  g_return_val_if_fail (AVATAR_IS_FLOW (self), NULL);
  g_return_val_if_fail (kind < AVATAR_N_VARIANTS, NULL);

  /* Only a finished run has variants worth showing. */
  if (self->state != AVATAR_FLOW_STATE_DONE)
    return NULL;

  return &self->variants[kind];
}

void
avatar_flow_get_timings (AvatarFlow        *self,
                         AvatarFlowTimings *timings)
{
  g_return_if_fail (AVATAR_IS_FLOW (self));
  g_return_if_fail (timings != NULL);

  *timings = self->timings;
}

void
avatar_flow_set_fetch_raw (AvatarFlow *self,
                           gboolean    fetch_raw)
{
  g_return_if_fail (AVATAR_IS_FLOW (self));

  self->fetch_raw = !!fetch_raw;
}

void
avatar_flow_set_processing_timeout (AvatarFlow *self,
                                    guint       timeout_ms)
{
  g_return_if_fail (AVATAR_IS_FLOW (self));
  g_return_if_fail (timeout_ms > 0);

  if (self->processing_timeout_ms == timeout_ms)
    return;

  self->processing_timeout_ms = timeout_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROCESSING_TIMEOUT]);
}
