/* avatar-flow.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "avatar-enums.h"
#include "avatar-error.h"
#include "avatar-flow-private.h"

#define DEFAULT_PROCESSING_TIMEOUT_MS 30000

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

static void flow_request (AvatarFlow *self);
static void flow_upload  (AvatarFlow *self);
static void flow_process (AvatarFlow *self);

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

gint64
avatar_flow_stage_elapsed_ms (AvatarFlow *self)
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
flow_clear_run (AvatarFlow *self)
{
  avatar_flow_clear_deadline (self);

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

void
avatar_flow_finish (AvatarFlow *self,
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

gboolean
avatar_flow_step_ok (AvatarFlow *self,
                     GError     *error)
{
  if (error == NULL && g_cancellable_is_cancelled (self->cancellable))
    error = flow_cancelled_error (self);

  if (error == NULL)
    return TRUE;

  avatar_flow_finish (self, error);
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
  self->timings.prepare_ms = avatar_flow_stage_elapsed_ms (self);

  if (!avatar_flow_step_ok (self, error))
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
  self->timings.request_ms = avatar_flow_stage_elapsed_ms (self);

  if (!avatar_flow_step_ok (self, error))
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
  self->timings.upload_ms = avatar_flow_stage_elapsed_ms (self);

  if (!avatar_flow_step_ok (self, error))
    {
      g_clear_pointer (&ticket, avatar_ticket_free);
      return;
    }

  /* An expired URL was replaced by a fresh one, with its own asset. */
  flow_take_ticket (self, ticket);
  flow_set_sent (self, TRUE);

  /* A cancel that came once every byte was out waited for this answer. */
  if (self->stop_after_upload)
    avatar_flow_finish (self, flow_cancelled_error (self));
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

/* Waiting for processing, then the variants ------------------------------ */

static void
flow_process (AvatarFlow *self)
{
  flow_set_state (self, AVATAR_FLOW_STATE_PROCESSING);
  avatar_flow_wait_processing (self);
}

void
avatar_flow_processed (AvatarFlow *self,
                       const char *avatar_url)
{
  avatar_flow_clear_deadline (self);
  self->timings.processing_ms = avatar_flow_stage_elapsed_ms (self);
  flow_set_string (self, &self->avatar_url, avatar_url, PROP_AVATAR_URL);
  flow_set_state (self, AVATAR_FLOW_STATE_FETCHING);
  avatar_flow_fetch_variants (self);
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
  avatar_flow_clear_variants (self);
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
      avatar_flow_finish (self, flow_cancelled_error (self));
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

  avatar_flow_clear_variants (self);
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
  avatar_flow_clear_variants (self);
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
