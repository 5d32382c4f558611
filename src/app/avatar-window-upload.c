/* avatar-window-upload.c
 *
 * The upload: its progress page, and the result page with every size of the new avatar.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-window-private.h"

/* How often the progress bar pulses while nothing can be measured. */
#define PULSE_INTERVAL_MS 100

/* Words for each step, as a person would say them. */
static const char *
describe_stage (AvatarFlowState state)
{
  switch (state)
    {
    case AVATAR_FLOW_STATE_IDLE:
    case AVATAR_FLOW_STATE_PREPARING:
      return _("Preparing your new avatar…");
    case AVATAR_FLOW_STATE_REQUESTING:
      return _("Contacting the service…");
    case AVATAR_FLOW_STATE_UPLOADING:
      return _("Uploading…");
    case AVATAR_FLOW_STATE_PROCESSING:
      return _("The service is making every size…");
    case AVATAR_FLOW_STATE_FETCHING:
      return _("Getting your new avatar…");
    case AVATAR_FLOW_STATE_DONE:
      return _("Done");
    case AVATAR_FLOW_STATE_FAILED:
    case AVATAR_FLOW_STATE_CANCELLED:
    default:
      return "";
    }
}

static gboolean
pulse_progress (gpointer user_data)
{
  AvatarWindow *self = user_data;

  gtk_progress_bar_pulse (self->progress_bar);

  return G_SOURCE_CONTINUE;
}

/* The bar moves only with real progress: while nothing can be measured it
 * says so by pulsing, at once, instead of standing at a made-up fraction;
 * when it stops, it stands at its fraction again rather than mid-pulse. */
static void
set_progress_indeterminate (AvatarWindow *self,
                            gboolean      indeterminate)
{
  if (!indeterminate)
    {
      if (self->pulse_source != 0)
        gtk_progress_bar_set_fraction (self->progress_bar, gtk_progress_bar_get_fraction (self->progress_bar));
      g_clear_handle_id (&self->pulse_source, g_source_remove);
      return;
    }

  if (self->pulse_source == 0)
    {
      gtk_progress_bar_pulse (self->progress_bar);
      self->pulse_source = g_timeout_add (PULSE_INTERVAL_MS, pulse_progress, self);
    }
}

static void
update_progress (AvatarWindow *self)
{
  AvatarFlowState state;
  g_autofree char *details = NULL;

  if (self->flow == NULL)
    return;

  state = avatar_flow_get_state (self->flow);
  gtk_label_set_label (self->stage_label, describe_stage (state));
  set_progress_indeterminate (self, avatar_window_is_busy (self) && state != AVATAR_FLOW_STATE_UPLOADING);

  /* Once the PUT is answered the picture is the service's: stopping only
   * stops the wait, and the button says so. */
  gtk_button_set_label (self->cancel_button, avatar_flow_get_sent (self->flow) ? _("_Stop Waiting")
                                                                               : _("_Cancel"));

  if (state == AVATAR_FLOW_STATE_UPLOADING)
    {
      AvatarUpload *upload = avatar_flow_get_upload (self->flow);
      g_autofree char *sent = g_format_size (avatar_upload_get_bytes_sent (upload));
      g_autofree char *total = g_format_size (avatar_upload_get_bytes_total (upload));

      gtk_progress_bar_set_fraction (self->progress_bar, avatar_upload_get_fraction (upload));
      /* Translators: upload progress, e.g. "1.2 MB of 3.4 MB". */
      details = g_strdup_printf (_("%s of %s"), sent, total);
      gtk_label_set_label (self->progress_label, details);
    }
  else
    {
      gtk_label_set_label (self->progress_label, "");
    }

  avatar_window_update_actions (self);
}

/* Each run sends the picture through an AvatarUpload of its own, whose
 * progress moves the bar. */
static void
watch_upload (AvatarWindow *self)
{
  AvatarUpload *upload = avatar_flow_get_upload (self->flow);

  if (upload != NULL)
    g_signal_connect_object (upload, "notify::fraction", G_CALLBACK (update_progress), self,
                             G_CONNECT_SWAPPED);
}

/* The progress page follows the flow's state and its upload's bytes;
 * avatar_window_clear_flow() lets go of both. */
static void
bind_progress (AvatarWindow *self)
{
  g_signal_connect_object (self->flow, "notify::state", G_CALLBACK (update_progress), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->flow, "notify::upload", G_CALLBACK (watch_upload), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->flow, "notify::sent", G_CALLBACK (update_progress), self,
                           G_CONNECT_SWAPPED);
}

/* A flow that is let go of may still be running: it must neither go on nor
 * report its progress into the window. */
void
avatar_window_clear_flow (AvatarWindow *self)
{
  AvatarUpload *upload;

  if (self->flow == NULL)
    return;

  upload = avatar_flow_get_upload (self->flow);
  if (upload != NULL)
    g_signal_handlers_disconnect_by_func (upload, update_progress, self);
  g_signal_handlers_disconnect_by_func (self->flow, update_progress, self);
  g_signal_handlers_disconnect_by_func (self->flow, watch_upload, self);
  set_progress_indeterminate (self, FALSE);
  avatar_flow_cancel (self->flow);
  g_clear_object (&self->flow);
  avatar_window_notify (self, PROP_FLOW);
}

static void
variant_texture_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  AvatarVariantRow *row = user_data;
  AvatarWindow *self = AVATAR_WINDOW (object);
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = avatar_window_decode_texture_finish (result, &error);

  if (texture == NULL)
    {
      if (!is_cancelled (error))
        g_debug ("A size of the new avatar cannot be shown: %s", error->message);
      return;
    }

  if (avatar_window_is_closed (self))
    return;

  avatar_variant_row_set_texture (row, texture);

  if (avatar_variant_row_get_kind (row) == AVATAR_VARIANT_ORIGINAL)
    adw_avatar_set_custom_image (self->profile_avatar, GDK_PAINTABLE (texture));
}

AvatarVariantRow *
avatar_window_get_variant_row (AvatarWindow      *self,
                               AvatarVariantKind  kind)
{
  AvatarVariantRow *rows[AVATAR_N_VARIANTS] = {
    self->variant_44, self->variant_48, self->variant_60, self->variant_original, self->variant_raw,
  };

  g_return_val_if_fail (kind < AVATAR_N_VARIANTS, NULL);

  return rows[kind];
}

static void
notify_upload_done (AvatarWindow *self)
{
  g_autoptr (GNotification) notification = NULL;
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  if (gtk_window_is_active (GTK_WINDOW (self)) || app == NULL)
    return;

  /* Notifications travel over the session bus: without one there is no
   * notification server to show them, and GIO would complain loudly. */
  if (g_application_get_dbus_connection (app) == NULL)
    return;

  notification = g_notification_new (_("Your Avatar Was Changed"));
  g_notification_set_body (notification, _("The new picture is ready in every size."));
  g_application_send_notification (app, "upload-done", notification);
  self->upload_notified = TRUE;
}

/* Once the person is back in the window, the news is stale. */
void
avatar_window_withdraw_upload_done (AvatarWindow *self)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  if (!self->upload_notified || !gtk_window_is_active (GTK_WINDOW (self)) || app == NULL)
    return;

  g_application_withdraw_notification (app, "upload-done");
  self->upload_notified = FALSE;
}

static void
show_result (AvatarWindow *self)
{
  for (AvatarVariantKind kind = 0; kind < AVATAR_N_VARIANTS; kind++)
    {
      AvatarVariantRow *row = avatar_window_get_variant_row (self, kind);
      const AvatarVariant *variant = avatar_flow_get_variant (self->flow, kind);

      avatar_variant_row_set_variant (row, variant);
      if (variant != NULL && variant->bytes != NULL)
        avatar_window_decode_texture_async (self, variant->bytes, self->flow_cancellable, variant_texture_cb, row);
    }

  /* raw is checked by its header, not downloaded: its pixels are those
   * that were sent. */
  if (avatar_flow_get_variant (self->flow, AVATAR_VARIANT_RAW)->bytes == NULL)
    avatar_window_decode_texture_async (self, avatar_flow_get_prepared (self->flow)->bytes, self->flow_cancellable,
                                        variant_texture_cb, self->variant_raw);

  if (self->profile != NULL)
    {
      g_free (self->profile->avatar_url);
      self->profile->avatar_url = g_strdup (avatar_flow_get_avatar_url (self->flow));
      avatar_window_notify (self, PROP_PROFILE);
    }

  avatar_window_set_page (self, "result");
  notify_upload_done (self);
}

static void
show_restore_error (AvatarWindow *self,
                    const GError *error)
{
  gboolean can_retry = FALSE;
  g_autofree char *message = NULL;

  /* Translators: %s says why, in a sentence of its own. */
  message = g_strdup_printf (_("Your previous avatar could not be put back. %s"),
                             avatar_window_describe_error (error, &can_retry));
  avatar_window_show_banner (self, message, can_retry);
}

static void
flow_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  AvatarFlow *flow = AVATAR_FLOW (object);
  g_autoptr (GError) error = NULL;
  gboolean restoring;

  if (avatar_flow_run_finish (flow, result, &error))
    {
      if (flow == self->flow && !avatar_window_is_closed (self))
        {
          self->restoring = FALSE;
          show_result (self);
        }
      return;
    }

  /* A flow let go of may still have changed the avatar. */
  if (flow != self->flow && !avatar_window_is_closed (self))
    avatar_window_refresh_profile (self);

  if (flow != self->flow || avatar_window_is_closed (self))
    return;

  avatar_window_refresh_profile (self);
  restoring = self->restoring;
  self->restoring = FALSE;

  /* The service has the picture: home, where it shows once it is live. */
  if (is_cancelled (error) && avatar_flow_get_sent (flow))
    {
      avatar_window_set_page (self, "welcome");
      avatar_window_show_banner (self, error->message, FALSE);
      return;
    }

  if (restoring && !is_cancelled (error))
    {
      avatar_window_set_page (self, "crop");
      show_restore_error (self, error);
      return;
    }

  /* The picture and its crop stay, so that Retry sends them again. */
  avatar_window_set_page (self, "crop");

  if (is_cancelled (error))
    {
      avatar_window_show_toast (self, _("Upload cancelled"));
      return;
    }

  g_debug ("The upload failed: %s", error->message);
  avatar_window_show_error_banner (self, error, TRUE);
}

void
avatar_window_run_flow (AvatarWindow *self)
{
  GCancellable *cancellable = restart_cancellable (&self->flow_cancellable);

  avatar_window_hide_banner (self);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  avatar_window_set_page (self, "progress");
  avatar_flow_run_async (self->flow, cancellable, flow_done_cb, g_object_ref (self));
  update_progress (self);
}

/* Sends the prepared picture the window shows; when the crop has changed
 * since, once that crop is prepared. */
void
avatar_window_start_upload (AvatarWindow *self)
{
  if (self->image == NULL || self->client == NULL || avatar_window_is_busy (self))
    return;

  if (!avatar_window_prepared_is_current (self))
    {
      self->upload_when_prepared = TRUE;
      if (!self->prepare_running || self->prepare_source != 0)
        {
          g_clear_handle_id (&self->prepare_source, g_source_remove);
          avatar_window_prepare_now (self);
        }
      return;
    }

  self->upload_when_prepared = FALSE;
  avatar_window_clear_flow (self);

  self->flow = avatar_flow_new_for_prepared (self->client, self->prepared);
  bind_progress (self);
  avatar_window_notify (self, PROP_FLOW);

  avatar_window_run_flow (self);
}

void
avatar_window_url_copied_cb (AvatarWindow *self)
{
  avatar_window_show_toast (self, _("URL copied"));
}
