/* avatar-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-account-dialog.h"
#include "avatar-broadway.h"
#include "avatar-crop-area.h"
#include "avatar-crop-preview.h"
#include "avatar-error.h"
#include "avatar-flow.h"
#include "avatar-variant-row.h"
#include "avatar-window.h"
#include "avatar-window-private.h"

#define WIDE_LAYOUT_MIN_WIDTH 860
#define WIDE_PANEL_WIDTH 300

/* How often the progress bar pulses while nothing can be measured. */
#define PULSE_INTERVAL_MS 100

/* How long Undo stays offered after a removal, in seconds. */
#define UNDO_TIMEOUT_S 8

/* How long the crop must rest before the picture is prepared again. */
#define PREPARE_DELAY_MS 250

struct _AvatarWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkRevealer          *banner_revealer;
  GtkLabel             *banner_label;
  GtkButton            *banner_retry_button;
  GtkButton            *back_button;
  GtkButton            *done_button;
  GtkButton            *upload_button;
  GtkButton            *cancel_button;
  AdwWindowTitle       *window_title;
  GtkStack             *stack;
  GtkSpinner           *spinner;
  GtkLabel             *loading_label;
  AdwAvatar            *profile_avatar;
  GtkLabel             *username_label;
  GtkButton            *remove_button;
  AdwStatusPage        *error_page;
  GtkButton            *error_button;
  GtkBox               *crop_box;
  AdwClamp             *crop_panel;
  AvatarCropArea       *crop_area;
  GtkAdjustment        *zoom_adjustment;
  AdwAvatar            *current_avatar;
  AvatarCropPreview    *preview_44;
  AvatarCropPreview    *preview_48;
  AvatarCropPreview    *preview_60;
  GtkLabel             *prepared_label;
  GtkLabel             *changes_label;
  AvatarCropPreview    *progress_preview;
  GtkLabel             *stage_label;
  GtkProgressBar       *progress_bar;
  GtkLabel             *progress_label;
  AvatarVariantRow     *variant_44;
  AvatarVariantRow     *variant_48;
  AvatarVariantRow     *variant_60;
  AvatarVariantRow     *variant_original;
  AvatarVariantRow     *variant_raw;

  GSettings            *settings;
  AvatarClient         *client;
  AvatarProfile        *profile;
  AvatarImage          *image;
  /* What the crop page shows and what Upload sends; the flow shares its bytes. */
  AvatarPrepared       *prepared;
  AvatarCrop            prepared_crop;
  AvatarPrepareFlags    prepared_flags;
  AvatarCrop            preparing_crop;
  AvatarPrepareFlags    preparing_flags;
  gboolean              prepare_running;
  gboolean              prepare_failed;
  /* Upload was asked for while the picture was being prepared again. */
  gboolean              upload_when_prepared;
  gboolean              loading_picture;
  gboolean              choosing;
  /* The zoom slider is being set from the crop, not by the person. */
  gboolean              syncing_zoom;
  /* The removed avatar as it was uploaded, for Undo; and whether the
   * picture being opened or uploaded is that avatar being put back. */
  GBytes               *removed_raw;
  gboolean              restoring;
  /* A notification about a finished upload is on the desktop. */
  gboolean              upload_notified;
  AvatarFlow           *flow;
  char                 *message;
  /* The toast in view, if any (weak). */
  AdwToast             *toast;
  GtkWidget            *remove_dialog;
  GtkWidget            *account_dialog;
  guint                 prepare_source;
  guint                 pulse_source;

  /* All cancelled in dispose, so no answer reaches a window that is gone:
   * one for the window's own small jobs, one per kind of work. */
  GCancellable         *cancellable;
  GCancellable         *profile_cancellable;
  GCancellable         *load_cancellable;
  GCancellable         *prepare_cancellable;
  GCancellable         *flow_cancellable;
};

G_DEFINE_FINAL_TYPE (AvatarWindow, avatar_window, ADW_TYPE_APPLICATION_WINDOW)

static void update_actions (AvatarWindow *self);
static void start_upload (AvatarWindow *self);
static void load_profile (AvatarWindow *self);

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* An answer may arrive after the window was closed, if its work had
 * finished just before: the template's widgets are gone by then. */
static gboolean
is_gone (AvatarWindow *self)
{
  return self->stack == NULL;
}

/* A fresh cancellable for one kind of work, cancelling what it replaces. */
static GCancellable *
restart_cancellable (GCancellable **slot)
{
  if (*slot != NULL)
    {
      g_cancellable_cancel (*slot);
      g_clear_object (slot);
    }

  *slot = g_cancellable_new ();

  return *slot;
}

static gboolean
is_flow_running (AvatarWindow *self)
{
  if (self->flow == NULL)
    return FALSE;

  switch (avatar_flow_get_state (self->flow))
    {
    case AVATAR_FLOW_STATE_PREPARING:
    case AVATAR_FLOW_STATE_REQUESTING:
    case AVATAR_FLOW_STATE_UPLOADING:
    case AVATAR_FLOW_STATE_PROCESSING:
    case AVATAR_FLOW_STATE_FETCHING:
      return TRUE;
    case AVATAR_FLOW_STATE_IDLE:
    case AVATAR_FLOW_STATE_DONE:
    case AVATAR_FLOW_STATE_FAILED:
    case AVATAR_FLOW_STATE_CANCELLED:
    default:
      return FALSE;
    }
}

static gboolean
page_is (AvatarWindow *self,
         const char   *name)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), name) == 0;
}

/* The header names the step the person is at. */
static const char *
get_step_title (const char *page)
{
  if (g_str_equal (page, "welcome"))
    return _("Choose a Picture");
  if (g_str_equal (page, "crop"))
    return _("Crop");
  if (g_str_equal (page, "progress"))
    return _("Uploading");
  if (g_str_equal (page, "result"))
    return _("Your New Avatar");

  return _("Avatar Uploader");
}

static void
set_page (AvatarWindow *self,
          const char   *name)
{
  /* News about the page being left, such as "URL copied", goes with it. */
  if (self->toast != NULL && !page_is (self, name))
    adw_toast_dismiss (self->toast);

  gtk_stack_set_visible_child_name (self->stack, name);
  adw_window_title_set_title (self->window_title, get_step_title (name));
  gtk_spinner_set_spinning (self->spinner, g_str_equal (name, "loading"));
  update_actions (self);
}

static void
set_message (AvatarWindow *self,
             const char   *message)
{
  g_free (self->message);
  self->message = g_strdup (message);
}

/* Passing news; errors go to the banner, which stays. */
static void
show_toast (AvatarWindow *self,
            const char   *title)
{
  AdwToast *toast = adw_toast_new (title);

  set_message (self, title);
  g_set_weak_pointer (&self->toast, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Errors stay in view until dismissed or overtaken, in full sentences that a
 * toast would cut short. */
static void
show_banner (AvatarWindow *self,
             const char   *message,
             gboolean      offer_retry)
{
  set_message (self, message);
  gtk_label_set_label (self->banner_label, message);
  gtk_button_set_label (self->banner_retry_button, _("_Retry"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->banner_retry_button), "win.retry");
  gtk_widget_set_visible (GTK_WIDGET (self->banner_retry_button), offer_retry);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
}

static void
hide_banner (AvatarWindow *self)
{
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
}

/* Words for people; also whether trying again can help. */
static const char *
describe_error (const GError *error,
                gboolean     *can_retry)
{
  *can_retry = FALSE;

  if (error->domain != AVATAR_ERROR)
    {
      *can_retry = TRUE;
      return _("Something went wrong. Try again.");
    }

  switch ((AvatarError) error->code)
    {
    case AVATAR_ERROR_NETWORK:
      *can_retry = TRUE;
      return _("The avatar service could not be reached. Check your connection and try again.");
    case AVATAR_ERROR_SERVER:
    case AVATAR_ERROR_UNAVAILABLE:
      *can_retry = TRUE;
      return _("The avatar service has a problem right now. Try again in a moment.");
    case AVATAR_ERROR_UPLOAD_REJECTED:
      *can_retry = TRUE;
      return _("The storage service refused the picture. Try again, or choose another picture.");
    case AVATAR_ERROR_URL_EXPIRED:
      *can_retry = TRUE;
      return _("The upload took too long and its address expired. Try again.");
    case AVATAR_ERROR_PROCESSING_TIMEOUT:
      *can_retry = TRUE;
      return _("The picture arrived, but the service did not finish processing it in time. Try again later.");
    case AVATAR_ERROR_PROCESSING_FAILED:
      return _("The picture arrived, but the service could not process it. Choose another picture.");
    case AVATAR_ERROR_UNSUPPORTED_TYPE:
      return _("The avatar service does not accept this type of picture. Choose a JPEG, PNG, GIF or WebP picture.");
    case AVATAR_ERROR_AUTH:
      return _("You were signed out. Sign in again to go on.");
    case AVATAR_ERROR_PROTOCOL:
      return _("The avatar service answered in a way this app does not understand. Check the server address.");
    case AVATAR_ERROR_INSECURE_URL:
      return _("The avatar service gave an unencrypted address, so nothing was sent. Check the server address.");
    case AVATAR_ERROR_INVALID_IMAGE:
    case AVATAR_ERROR_TOO_LARGE:
    case AVATAR_ERROR_TOO_MANY_PIXELS:
    case AVATAR_ERROR_UNREADABLE:
      /* The image code words these for people already. */
      return error->message;
    default:
      *can_retry = TRUE;
      return _("Something went wrong. Try again.");
    }
}

/* An expired sign-in offers to sign in, rather than to try again; the
 * account dialog opens when the person asks for it, not by itself. */
static void
show_error_banner (AvatarWindow *self,
                   const GError *error,
                   gboolean      offer_retry)
{
  gboolean can_retry = FALSE;
  const char *message = describe_error (error, &can_retry);

  show_banner (self, message, offer_retry && can_retry);
  if (g_error_matches (error, AVATAR_ERROR, AVATAR_ERROR_AUTH))
    {
      gtk_button_set_label (self->banner_retry_button, _("_Sign In…"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->banner_retry_button), "win.account");
      gtk_widget_set_visible (GTK_WIDGET (self->banner_retry_button), TRUE);
    }
}

static void update_progress (AvatarWindow *self);

/* A flow that is let go of may still be running: it must neither go on nor
 * report its progress into the window. */
static void
clear_flow (AvatarWindow *self)
{
  if (self->flow == NULL)
    return;

  g_signal_handlers_disconnect_by_func (self->flow, update_progress, self);
  g_clear_handle_id (&self->pulse_source, g_source_remove);
  avatar_flow_cancel (self->flow);
  g_clear_object (&self->flow);
}

/* --- Textures, decoded off the main thread ------------------------------ */

/* Through libavatar's decoder, with its pixel limits and libwebp for WebP,
 * like every picture the app opens: upright, at most
 * AVATAR_IMAGE_PREVIEW_MAX_SIDE a side. */
static void
decode_texture_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  GError *error = NULL;
  g_autoptr (AvatarImage) image = avatar_image_new_from_bytes (task_data, NULL, cancellable, &error);

  if (image == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, gdk_texture_new_for_pixbuf (avatar_image_get_preview (image)),
                           g_object_unref);
}

static void
decode_texture_async (AvatarWindow        *self,
                      GBytes              *bytes,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, decode_texture_async);
  g_task_set_task_data (task, g_bytes_ref (bytes), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, decode_texture_thread);
}

static GdkTexture *
decode_texture_finish (GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- Actions' state ---------------------------------------------------- */

static void
update_actions (AvatarWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean busy = is_flow_running (self);
  gboolean cropping = page_is (self, "crop");
  gboolean has_avatar = self->profile != NULL && self->profile->avatar_url != NULL;
  gboolean done = page_is (self, "result");
  gboolean can_go_back = page_is (self, "crop") || page_is (self, "error") || done;

  gtk_widget_action_set_enabled (widget, "win.open", !busy && !self->choosing);
  gtk_widget_action_set_enabled (widget, "win.paste", !busy);
  gtk_widget_action_set_enabled (widget, "win.upload",
                                 cropping && !busy && self->client != NULL && self->image != NULL &&
                                 self->prepared != NULL && !self->prepare_failed);
  gtk_widget_action_set_enabled (widget, "win.cancel", busy);
  gtk_widget_action_set_enabled (widget, "win.turn-left", cropping && !busy);
  gtk_widget_action_set_enabled (widget, "win.turn-right", cropping && !busy);
  gtk_widget_action_set_enabled (widget, "win.flip", cropping && !busy);
  gtk_widget_action_set_enabled (widget, "win.retry",
                                 !busy && self->client != NULL && self->flow != NULL &&
                                 avatar_flow_get_state (self->flow) == AVATAR_FLOW_STATE_FAILED);
  gtk_widget_action_set_enabled (widget, "win.remove", !busy && self->client != NULL && has_avatar);
  gtk_widget_action_set_enabled (widget, "win.back", !busy && can_go_back);

  /* One way back from the result: Done, where no toast can cover it. */
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), can_go_back && !done);
  gtk_widget_set_visible (GTK_WIDGET (self->done_button), done);
  gtk_widget_set_visible (GTK_WIDGET (self->upload_button), cropping);
  gtk_widget_set_visible (GTK_WIDGET (self->remove_button), has_avatar);
}

/* --- Profile -------------------------------------------------------------- */

static void
profile_image_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = decode_texture_finish (result, &error);

  if (texture == NULL)
    {
      if (!is_cancelled (error))
        g_debug ("The current avatar cannot be shown: %s", error->message);
      return;
    }

  if (is_gone (self))
    return;

  adw_avatar_set_custom_image (self->profile_avatar, GDK_PAINTABLE (texture));
}

static void
profile_image_fetched_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  bytes = avatar_client_fetch_finish (AVATAR_CLIENT (object), result, NULL, &error);
  if (bytes == NULL)
    {
      if (!is_cancelled (error))
        g_debug ("The current avatar could not be fetched: %s", error->message);
      return;
    }

  if (is_gone (self))
    return;

  decode_texture_async (self, bytes, self->profile_cancellable, profile_image_cb, g_object_ref (self));
}

static void
show_profile (AvatarWindow        *self,
              const AvatarProfile *profile)
{
  if (profile != self->profile)
    {
      g_clear_pointer (&self->profile, avatar_profile_free);
      self->profile = profile ? avatar_profile_copy (profile) : NULL;
    }

  gtk_label_set_label (self->username_label, profile ? profile->username : "");
  adw_avatar_set_text (self->profile_avatar, profile ? profile->username : NULL);
  adw_avatar_set_custom_image (self->profile_avatar, NULL);

  if (profile != NULL && profile->avatar_url != NULL && self->client != NULL)
    avatar_client_fetch_async (self->client, profile->avatar_url, self->profile_cancellable,
                               profile_image_fetched_cb, g_object_ref (self));

  update_actions (self);
}

static void
open_account_dialog (AvatarWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (self->account_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->account_dialog));
      return;
    }

  /* The account belongs to the application: without it there is none to edit. */
  if (!AVATAR_IS_APPLICATION (app))
    return;

  self->account_dialog = GTK_WIDGET (avatar_account_dialog_new (AVATAR_APPLICATION (app)));
  g_object_add_weak_pointer (G_OBJECT (self->account_dialog), (gpointer *) &self->account_dialog);
  avatar_broadway_release_grabs (GTK_WINDOW (self->account_dialog));
  gtk_window_set_transient_for (GTK_WINDOW (self->account_dialog), GTK_WINDOW (self));
  gtk_window_present (GTK_WINDOW (self->account_dialog));
}

static void
show_error_page (AvatarWindow *self,
                 const char   *icon_name,
                 const char   *title,
                 const char   *description,
                 const char   *button_label,
                 const char   *action_name)
{
  adw_status_page_set_icon_name (self->error_page, icon_name);
  adw_status_page_set_title (self->error_page, title);
  adw_status_page_set_description (self->error_page, description);
  gtk_button_set_label (self->error_button, button_label);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->error_button), action_name);
}

static void
profile_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AvatarProfile) profile = NULL;
  gboolean can_retry = FALSE;

  profile = avatar_client_get_profile_finish (AVATAR_CLIENT (object), result, &error);
  if (is_cancelled (error) || is_gone (self) || AVATAR_CLIENT (object) != self->client)
    return;

  if (profile == NULL)
    {
      const char *message = describe_error (error, &can_retry);

      g_debug ("The profile could not be loaded: %s", error->message);
      set_message (self, message);
      if (g_error_matches (error, AVATAR_ERROR, AVATAR_ERROR_AUTH))
        show_error_page (self, "avatar-default-symbolic", _("Signed Out — Sign In Again"),
                         message, _("_Sign In…"), "win.account");
      else
        show_error_page (self, "network-offline-symbolic", _("Your Profile Did Not Load"),
                         message, _("_Try Again"), "win.reload");
      if (!self->loading_picture && !page_is (self, "crop") && !page_is (self, "progress"))
        set_page (self, "error");
      return;
    }

  show_profile (self, profile);
  /* A picture being opened keeps its page; it shows the crop view next. */
  if (!self->loading_picture &&
      (page_is (self, "loading") || page_is (self, "signed-out") || page_is (self, "error")))
    set_page (self, "welcome");
}

static void
load_profile (AvatarWindow *self)
{
  GCancellable *cancellable = restart_cancellable (&self->profile_cancellable);

  if (self->client == NULL)
    return;

  if (!self->loading_picture && !page_is (self, "crop") && !page_is (self, "progress") &&
      !page_is (self, "result"))
    {
      gtk_label_set_label (self->loading_label, _("Signing In…"));
      set_page (self, "loading");
    }

  avatar_client_get_profile_async (self->client, cancellable, profile_loaded_cb, g_object_ref (self));
}

static void
client_changed_cb (AvatarWindow      *self,
                   GParamSpec        *pspec,
                   AvatarApplication *app)
{
  AvatarClient *client = avatar_application_get_client (app);

  if (client != self->client)
    {
      /* A job of the old account must not go on under the new one. */
      clear_flow (self);

      g_set_object (&self->client, client);
      g_clear_pointer (&self->profile, avatar_profile_free);
      show_profile (self, NULL);
    }
  else if (client != NULL)
    {
      return;
    }

  if (client == NULL)
    {
      restart_cancellable (&self->profile_cancellable);
      if (avatar_application_get_signing_in (app))
        {
          gtk_label_set_label (self->loading_label, _("Signing In…"));
          set_page (self, "loading");
        }
      else if (!page_is (self, "crop") && !self->loading_picture)
        {
          set_page (self, "signed-out");
        }
      update_actions (self);
      return;
    }

  load_profile (self);
}

/* --- Choosing and loading a picture ------------------------------------- */

static void
show_image_error (AvatarWindow *self,
                  const GError *error)
{
  gboolean can_retry = FALSE;
  const char *message = describe_error (error, &can_retry);

  hide_banner (self);
  g_clear_object (&self->image);
  g_clear_pointer (&self->prepared, avatar_prepared_free);
  avatar_crop_area_set_picture (self->crop_area, NULL, 0, 0);

  set_message (self, message);
  show_error_page (self, "image-missing-symbolic", _("This Picture Cannot Be Used"), message,
                   _("_Choose Another Picture…"), "win.open");
  set_page (self, "error");
}

static void
show_prepared (AvatarWindow *self)
{
  const AvatarPrepared *prepared = self->prepared;
  g_autofree char *size = NULL;
  g_autofree char *summary = NULL;
  g_auto (GStrv) changes = NULL;
  g_autofree char *changes_text = NULL;

  if (prepared == NULL)
    return;

  size = g_format_size (g_bytes_get_size (prepared->bytes));

  /* Translators: what will be uploaded: a type such as "JPEG", width and height in pixels, and bytes. */
  summary = g_strdup_printf (_("Sends a %s of %d × %d pixels, %s"),
                             avatar_prepared_get_format_name (prepared), prepared->width, prepared->height, size);
  gtk_label_set_label (self->prepared_label, summary);

  if (prepared->passthrough)
    {
      gtk_label_set_label (self->changes_label, _("The file is sent exactly as it is."));
      return;
    }

  changes = avatar_prepared_describe_changes (prepared);
  changes_text = g_strjoinv ("\n", changes);
  gtk_label_set_label (self->changes_label, changes_text);
}

static AvatarPrepareFlags
get_prepare_flags (AvatarWindow *self)
{
  return g_settings_get_boolean (self->settings, "keep-metadata")
           ? AVATAR_PREPARE_KEEP_METADATA : AVATAR_PREPARE_NONE;
}

static void start_upload (AvatarWindow *self);

static void
prepared_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AvatarPrepared) prepared = NULL;
  gboolean can_retry = FALSE;

  prepared = avatar_image_prepare_finish (AVATAR_IMAGE (object), result, &error);
  if (is_cancelled (error) || is_gone (self) || AVATAR_IMAGE (object) != self->image)
    return;

  self->prepare_running = FALSE;
  g_clear_pointer (&self->prepared, avatar_prepared_free);

  if (prepared == NULL)
    {
      const char *message = describe_error (error, &can_retry);

      self->prepare_failed = TRUE;
      self->upload_when_prepared = FALSE;
      set_message (self, message);
      gtk_label_set_label (self->prepared_label, _("This picture cannot be uploaded"));
      gtk_label_set_label (self->changes_label, message);
    }
  else
    {
      self->prepare_failed = FALSE;
      self->prepared = g_steal_pointer (&prepared);
      self->prepared_crop = self->preparing_crop;
      self->prepared_flags = self->preparing_flags;
      show_prepared (self);
    }

  update_actions (self);

  if (self->upload_when_prepared && self->prepared != NULL)
    start_upload (self);
}

static gboolean
prepare_now (gpointer user_data)
{
  AvatarWindow *self = user_data;
  GCancellable *cancellable;
  AvatarCrop crop;

  self->prepare_source = 0;

  if (self->image == NULL)
    return G_SOURCE_REMOVE;

  cancellable = restart_cancellable (&self->prepare_cancellable);
  avatar_crop_area_get_crop (self->crop_area, &crop);
  self->preparing_crop = crop;
  self->preparing_flags = get_prepare_flags (self);
  self->prepare_running = TRUE;
  avatar_image_prepare_async (self->image, &crop, self->preparing_flags, cancellable,
                              prepared_cb, g_object_ref (self));

  return G_SOURCE_REMOVE;
}

/* The slider follows the crop, however it was zoomed: keys, scroll, pinch. */
static void
sync_zoom_scale (AvatarWindow *self)
{
  self->syncing_zoom = TRUE;
  gtk_adjustment_configure (self->zoom_adjustment,
                            avatar_crop_area_get_zoom (self->crop_area),
                            1.0, avatar_crop_area_get_max_zoom (self->crop_area),
                            0.1, 0.5, 0.0);
  self->syncing_zoom = FALSE;
}

static void
zoom_changed_cb (AvatarWindow *self)
{
  if (!self->syncing_zoom)
    avatar_crop_area_set_zoom (self->crop_area, gtk_adjustment_get_value (self->zoom_adjustment));
}

static void
crop_changed_cb (AvatarWindow *self)
{
  sync_zoom_scale (self);

  if (self->image == NULL)
    return;

  g_clear_handle_id (&self->prepare_source, g_source_remove);
  self->prepare_source = g_timeout_add (PREPARE_DELAY_MS, prepare_now, self);
}

static void
set_image (AvatarWindow *self,
           AvatarImage  *image)
{
  g_autoptr (GdkTexture) texture = NULL;

  hide_banner (self);
  g_set_object (&self->image, image);
  /* A crop change then only cuts and encodes: see the README. */
  avatar_image_set_keep_pixels (image, TRUE);
  g_clear_pointer (&self->prepared, avatar_prepared_free);
  self->prepare_failed = FALSE;
  self->upload_when_prepared = FALSE;
  clear_flow (self);

  texture = gdk_texture_new_for_pixbuf (avatar_image_get_preview (image));
  gtk_label_set_label (self->prepared_label, _("Checking the picture…"));
  gtk_label_set_label (self->changes_label, "");
  avatar_crop_area_set_picture (self->crop_area, texture,
                                avatar_image_get_width (image), avatar_image_get_height (image));
  sync_zoom_scale (self);

  g_clear_handle_id (&self->prepare_source, g_source_remove);
  prepare_now (self);

  set_page (self, "crop");
  gtk_widget_grab_focus (GTK_WIDGET (self->crop_area));
}

static void
image_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AvatarImage) image = NULL;

  /* Both loaders finish the same way. */
  if (g_async_result_is_tagged (result, avatar_image_load_bytes_async))
    image = avatar_image_load_bytes_finish (result, &error);
  else
    image = avatar_image_load_file_finish (result, &error);

  if (is_cancelled (error) || is_gone (self))
    return;

  self->loading_picture = FALSE;
  if (image == NULL)
    {
      self->restoring = FALSE;
      show_image_error (self, error);
      return;
    }

  set_image (self, image);
  /* Undo sends the removed avatar through the same steps as any picture. */
  if (self->restoring)
    start_upload (self);
}

static void
show_loading_picture (AvatarWindow *self,
                      const char   *display_name)
{
  g_autofree char *label = NULL;

  /* Translators: %s is a file name. */
  label = g_strdup_printf (_("Opening “%s”…"), display_name);
  gtk_label_set_label (self->loading_label, label);
  self->loading_picture = TRUE;
  set_page (self, "loading");
}

void
avatar_window_open_file (AvatarWindow *self,
                         GFile        *file)
{
  g_autofree char *name = NULL;
  GCancellable *cancellable;

  g_return_if_fail (AVATAR_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  /* A chooser or a paste may answer after the window closed. */
  if (is_gone (self) || is_flow_running (self))
    return;

  name = g_file_get_basename (file);
  show_loading_picture (self, name);

  cancellable = restart_cancellable (&self->load_cancellable);
  avatar_image_load_file_async (file, cancellable, image_loaded_cb, g_object_ref (self));
}

void
avatar_window_open_bytes (AvatarWindow *self,
                          GBytes       *bytes,
                          const char   *display_name)
{
  GCancellable *cancellable;

  g_return_if_fail (AVATAR_IS_WINDOW (self));
  g_return_if_fail (bytes != NULL);

  if (is_gone (self) || is_flow_running (self))
    return;

  show_loading_picture (self, display_name);

  cancellable = restart_cancellable (&self->load_cancellable);
  avatar_image_load_bytes_async (bytes, display_name, cancellable, image_loaded_cb, g_object_ref (self));
}

/* --- Upload ---------------------------------------------------------------- */

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
 * says so by pulsing, instead of standing at a made-up fraction. */
static void
set_progress_indeterminate (AvatarWindow *self,
                            gboolean      indeterminate)
{
  if (!indeterminate)
    {
      g_clear_handle_id (&self->pulse_source, g_source_remove);
      return;
    }

  if (self->pulse_source == 0)
    self->pulse_source = g_timeout_add (PULSE_INTERVAL_MS, pulse_progress, self);
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
  set_progress_indeterminate (self, is_flow_running (self) && state != AVATAR_FLOW_STATE_UPLOADING);

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

  update_actions (self);
}

/* Each run puts the picture through an AvatarUpload of its own, whose
 * progress moves the bar. */
static void
watch_upload (AvatarWindow *self)
{
  AvatarUpload *upload = avatar_flow_get_upload (self->flow);

  if (upload != NULL)
    g_signal_connect_object (upload, "notify::fraction", G_CALLBACK (update_progress), self,
                             G_CONNECT_SWAPPED);
}

static void
variant_texture_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  AvatarVariantRow *row = user_data;
  AvatarWindow *self = AVATAR_WINDOW (object);
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = decode_texture_finish (result, &error);

  if (texture == NULL)
    {
      if (!is_cancelled (error))
        g_debug ("A size of the new avatar cannot be shown: %s", error->message);
      return;
    }

  if (is_gone (self))
    return;

  avatar_variant_row_set_texture (row, texture);

  if (avatar_variant_row_get_kind (row) == AVATAR_VARIANT_ORIGINAL)
    adw_avatar_set_custom_image (self->profile_avatar, GDK_PAINTABLE (texture));
}

static AvatarVariantRow *
get_variant_row (AvatarWindow      *self,
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

static void refresh_profile (AvatarWindow *self);

static void
window_active_cb (AvatarWindow *self)
{
  if (gtk_window_is_active (GTK_WINDOW (self)))
    refresh_profile (self);
}

/* Once the person is back in the window, the news is stale. */
static void
withdraw_upload_done (AvatarWindow *self)
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
      AvatarVariantRow *row = get_variant_row (self, kind);
      const AvatarVariant *variant = avatar_flow_get_variant (self->flow, kind);

      avatar_variant_row_set_variant (row, variant);
      if (variant != NULL && variant->bytes != NULL)
        decode_texture_async (self, variant->bytes, self->flow_cancellable, variant_texture_cb, row);
    }

  /* raw is checked by its header, not downloaded: its pixels are those
   * that were sent. */
  if (avatar_flow_get_variant (self->flow, AVATAR_VARIANT_RAW)->bytes == NULL)
    decode_texture_async (self, avatar_flow_get_prepared (self->flow)->bytes, self->flow_cancellable,
                          variant_texture_cb, self->variant_raw);

  if (self->profile != NULL)
    {
      g_free (self->profile->avatar_url);
      self->profile->avatar_url = g_strdup (avatar_flow_get_avatar_url (self->flow));
    }

  set_page (self, "result");
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
                             describe_error (error, &can_retry));
  show_banner (self, message, can_retry);
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
      if (flow == self->flow && !is_gone (self))
        {
          self->restoring = FALSE;
          show_result (self);
        }
      return;
    }

  /* A flow let go of may still have changed the avatar. */
  if (flow != self->flow && !is_gone (self))
    refresh_profile (self);

  if (flow != self->flow || is_gone (self))
    return;

  refresh_profile (self);
  restoring = self->restoring;
  self->restoring = FALSE;

  /* The service has the picture: home, where it shows once it is live. */
  if (is_cancelled (error) && avatar_flow_get_sent (flow))
    {
      set_page (self, "welcome");
      show_banner (self, error->message, FALSE);
      return;
    }

  if (restoring && !is_cancelled (error))
    {
      set_page (self, "crop");
      show_restore_error (self, error);
      return;
    }

  /* The picture and its crop stay, so that Retry sends them again. */
  set_page (self, "crop");

  if (is_cancelled (error))
    {
      show_toast (self, _("Upload cancelled"));
      return;
    }

  g_debug ("The upload failed: %s", error->message);
  show_error_banner (self, error, TRUE);
}

static void
profile_refreshed_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AvatarProfile) profile = NULL;

  profile = avatar_client_get_profile_finish (AVATAR_CLIENT (object), result, &error);
  if (profile == NULL)
    {
      if (!is_cancelled (error))
        g_debug ("The profile could not be refreshed: %s", error->message);
      return;
    }

  if (is_gone (self) || AVATAR_CLIENT (object) != self->client || self->profile == NULL)
    return;

  if (g_strcmp0 (profile->avatar_url, self->profile->avatar_url) != 0 ||
      g_strcmp0 (profile->username, self->profile->username) != 0)
    show_profile (self, profile);
}

/* The profile again, staying on the page: when a flow ends in any way and
 * when the window becomes active, so that an avatar the service promoted
 * meanwhile shows. Not the profile's cancellable, which its picture uses. */
static void
refresh_profile (AvatarWindow *self)
{
  if (self->client == NULL || self->profile == NULL || is_flow_running (self) ||
      !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;

  avatar_client_get_profile_async (self->client, self->cancellable, profile_refreshed_cb,
                                   g_object_ref (self));
}

static void
run_flow (AvatarWindow *self)
{
  GCancellable *cancellable = restart_cancellable (&self->flow_cancellable);

  hide_banner (self);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  set_page (self, "progress");
  avatar_flow_run_async (self->flow, cancellable, flow_done_cb, g_object_ref (self));
  update_progress (self);
}

/* Whether the prepared picture is the one for the crop and settings shown. */
static gboolean
prepared_is_current (AvatarWindow *self)
{
  AvatarCrop crop;

  if (self->prepared == NULL || self->prepare_running || self->prepare_source != 0)
    return FALSE;

  avatar_crop_area_get_crop (self->crop_area, &crop);
  return crop.x == self->prepared_crop.x && crop.y == self->prepared_crop.y &&
         crop.size == self->prepared_crop.size &&
         self->prepared_flags == get_prepare_flags (self);
}

/* Sends the prepared picture the window shows; when the crop has changed
 * since, once that crop is prepared. */
static void
start_upload (AvatarWindow *self)
{
  if (self->image == NULL || self->client == NULL || is_flow_running (self))
    return;

  if (!prepared_is_current (self))
    {
      self->upload_when_prepared = TRUE;
      if (!self->prepare_running || self->prepare_source != 0)
        {
          g_clear_handle_id (&self->prepare_source, g_source_remove);
          prepare_now (self);
        }
      return;
    }

  self->upload_when_prepared = FALSE;
  clear_flow (self);

  self->flow = avatar_flow_new_for_prepared (self->client, self->prepared);
  g_signal_connect_object (self->flow, "notify::state", G_CALLBACK (update_progress), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->flow, "notify::upload", G_CALLBACK (watch_upload), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->flow, "notify::sent", G_CALLBACK (update_progress), self,
                           G_CONNECT_SWAPPED);

  run_flow (self);
}

/* --- Removing the avatar ---------------------------------------------------- */

static void
show_removed_toast (AvatarWindow *self)
{
  AdwToast *toast = adw_toast_new (_("Your avatar was removed"));

  if (self->removed_raw != NULL)
    {
      adw_toast_set_button_label (toast, _("_Undo"));
      adw_toast_set_action_name (toast, "win.undo-remove");
      adw_toast_set_timeout (toast, UNDO_TIMEOUT_S);
    }
  set_message (self, adw_toast_get_title (toast));
  g_set_weak_pointer (&self->toast, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
avatar_removed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AvatarProfile) profile = NULL;

  profile = avatar_client_remove_avatar_finish (AVATAR_CLIENT (object), result, &error);
  if (is_cancelled (error) || is_gone (self))
    return;

  if (profile == NULL)
    {
      show_error_banner (self, error, FALSE);
      return;
    }

  show_profile (self, profile);
  set_page (self, "welcome");
  show_removed_toast (self);
}

/* The removed avatar's bytes, kept before the removal, since a service may
 * delete them with it; without them there is nothing to undo. */
static void
removed_raw_fetched_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  bytes = avatar_client_fetch_finish (AVATAR_CLIENT (object), result, NULL, &error);
  if (is_cancelled (error) || is_gone (self))
    return;
  if (bytes == NULL)
    g_debug ("The avatar cannot be kept for Undo: %s", error->message);

  g_clear_pointer (&self->removed_raw, g_bytes_unref);
  self->removed_raw = g_steal_pointer (&bytes);

  /* Not the profile's cancellable: reloading the profile meanwhile must not
   * drop the removal the person confirmed. */
  avatar_client_remove_avatar_async (AVATAR_CLIENT (object), self->cancellable,
                                     avatar_removed_cb, g_object_ref (self));
}

static void
remove_avatar (AvatarWindow *self)
{
  g_autofree char *raw_url = NULL;

  if (self->client == NULL || self->profile == NULL || self->profile->avatar_url == NULL)
    return;

  /* "raw", the picture as it was uploaded, is a sibling of the avatar's URL. */
  raw_url = g_uri_resolve_relative (self->profile->avatar_url, "raw", G_URI_FLAGS_ENCODED, NULL);
  avatar_client_fetch_async (self->client, raw_url != NULL ? raw_url : self->profile->avatar_url,
                             self->cancellable, removed_raw_fetched_cb, g_object_ref (self));
}

#if ADW_CHECK_VERSION (1, 5, 0)
static void
remove_response_cb (AvatarWindow   *self,
                    const char     *response,
                    AdwAlertDialog *dialog)
{
  g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->remove_dialog);
  self->remove_dialog = NULL;

  if (g_str_equal (response, "remove"))
    remove_avatar (self);
}

static void
confirm_remove (AvatarWindow *self)
{
  AdwDialog *dialog;

  dialog = adw_alert_dialog_new (_("Remove Your Avatar?"),
                                 _("People will see your initials instead of a picture."));
  adw_alert_dialog_add_responses (ADW_ALERT_DIALOG (dialog),
                                  "cancel", _("_Cancel"),
                                  "remove", _("_Remove"),
                                  NULL);
  adw_alert_dialog_set_response_appearance (ADW_ALERT_DIALOG (dialog), "remove",
                                            ADW_RESPONSE_DESTRUCTIVE);
  adw_alert_dialog_set_default_response (ADW_ALERT_DIALOG (dialog), "cancel");
  adw_alert_dialog_set_close_response (ADW_ALERT_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self,
                           G_CONNECT_SWAPPED);

  self->remove_dialog = GTK_WIDGET (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->remove_dialog);
  adw_dialog_present (dialog, GTK_WIDGET (self));
}
#else
static void
remove_response_cb (AvatarWindow     *self,
                    const char       *response,
                    AdwMessageDialog *dialog)
{
  g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->remove_dialog);
  self->remove_dialog = NULL;

  if (g_str_equal (response, "remove"))
    remove_avatar (self);
}

static void
confirm_remove (AvatarWindow *self)
{
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self),
                                   _("Remove Your Avatar?"),
                                   _("People will see your initials instead of a picture."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self,
                           G_CONNECT_SWAPPED);

  self->remove_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->remove_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}
#endif

/* --- Actions ---------------------------------------------------------------- */

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  avatar_window_choose_file (AVATAR_WINDOW (widget));
}

static void
paste_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  avatar_window_paste (AVATAR_WINDOW (widget));
}

static void
upload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  start_upload (AVATAR_WINDOW (widget));
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  AvatarWindow *self = AVATAR_WINDOW (widget);

  if (self->flow != NULL && !is_flow_running (self))
    run_flow (self);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  AvatarWindow *self = AVATAR_WINDOW (widget);

  if (self->flow != NULL)
    avatar_flow_cancel (self->flow);
}

static void
undo_remove_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  AvatarWindow *self = AVATAR_WINDOW (widget);
  g_autoptr (GBytes) bytes = g_steal_pointer (&self->removed_raw);

  if (bytes == NULL || is_flow_running (self))
    {
      show_banner (self, _("Your previous avatar could not be put back: it was not kept."), FALSE);
      return;
    }

  self->restoring = TRUE;
  avatar_window_open_bytes (self, bytes, _("Your previous avatar"));
}

static void
turn_left_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  avatar_crop_area_turn (AVATAR_WINDOW (widget)->crop_area, -1);
}

static void
turn_right_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  avatar_crop_area_turn (AVATAR_WINDOW (widget)->crop_area, 1);
}

static void
flip_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  avatar_crop_area_flip (AVATAR_WINDOW (widget)->crop_area);
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  confirm_remove (AVATAR_WINDOW (widget));
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  AvatarWindow *self = AVATAR_WINDOW (widget);

  g_cancellable_cancel (self->load_cancellable);
  g_cancellable_cancel (self->prepare_cancellable);
  self->loading_picture = FALSE;
  set_page (self, self->client != NULL ? "welcome" : "signed-out");
}

static void
account_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  open_account_dialog (AVATAR_WINDOW (widget));
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  load_profile (AVATAR_WINDOW (widget));
}

static void
dismiss_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  hide_banner (AVATAR_WINDOW (widget));
}

static void
url_copied_cb (AvatarWindow *self)
{
  show_toast (self, _("URL copied"));
}

/* --- Window state ----------------------------------------------------------- */

static void
restore_window_state (AvatarWindow *self)
{
  int width = g_settings_get_int (self->settings, "window-width");
  int height = g_settings_get_int (self->settings, "window-height");

  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

/* libadwaita 1.2 has no breakpoints: a wide window puts the previews beside
 * the crop instead of below it. The threshold is wide enough that the
 * panel's own width cannot make the layout flip back and forth. */
static void
avatar_window_size_allocate (GtkWidget *widget,
                             int        width,
                             int        height,
                             int        baseline)
{
  AvatarWindow *self = AVATAR_WINDOW (widget);
  gboolean wide = width >= WIDE_LAYOUT_MIN_WIDTH && width > height;
  GtkOrientation orientation = wide ? GTK_ORIENTATION_HORIZONTAL : GTK_ORIENTATION_VERTICAL;

  if (self->crop_box != NULL && gtk_orientable_get_orientation (GTK_ORIENTABLE (self->crop_box)) != orientation)
    {
      gtk_orientable_set_orientation (GTK_ORIENTABLE (self->crop_box), orientation);
      gtk_widget_set_valign (GTK_WIDGET (self->crop_panel), wide ? GTK_ALIGN_CENTER : GTK_ALIGN_FILL);
      gtk_widget_set_size_request (GTK_WIDGET (self->crop_panel), wide ? WIDE_PANEL_WIDTH : -1, -1);
    }

  GTK_WIDGET_CLASS (avatar_window_parent_class)->size_allocate (widget, width, height, baseline);
}

/* On the crop page, the first Tab goes to the crop area, which the keys act
 * on, rather than to the header bar's buttons above it. */
static gboolean
avatar_window_focus (GtkWidget        *widget,
                     GtkDirectionType  direction)
{
  AvatarWindow *self = AVATAR_WINDOW (widget);

  if (direction == GTK_DIR_TAB_FORWARD && page_is (self, "crop") &&
      gtk_root_get_focus (GTK_ROOT (self)) == NULL &&
      gtk_widget_grab_focus (GTK_WIDGET (self->crop_area)))
    return TRUE;

  return GTK_WIDGET_CLASS (avatar_window_parent_class)->focus (widget, direction);
}

static gboolean
avatar_window_close_request (GtkWindow *window)
{
  AvatarWindow *self = AVATAR_WINDOW (window);
  gboolean maximized = gtk_window_is_maximized (window);

  if (self->flow != NULL)
    avatar_flow_cancel (self->flow);

  /* Without an AvatarApplication there is nowhere to remember the size. */
  if (self->settings == NULL)
    return GTK_WINDOW_CLASS (avatar_window_parent_class)->close_request (window);

  /* The unmaximized size, so that unmaximizing next time gives it back. */
  if (!maximized)
    {
      int width, height;

      gtk_window_get_default_size (window, &width, &height);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized", maximized);

  return GTK_WINDOW_CLASS (avatar_window_parent_class)->close_request (window);
}

/* GtkWindow:application is set after construction, so the window joins its
 * application when the property changes, once. */
static void
application_set_cb (AvatarWindow *self)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));
  g_autoptr (GAction) keep_metadata = NULL;
  AvatarApplication *app;

  if (self->settings != NULL || !AVATAR_IS_APPLICATION (application))
    return;

  app = AVATAR_APPLICATION (application);
  self->settings = g_object_ref (avatar_application_get_settings (app));
  restore_window_state (self);

  /* Whether a file that passes through unchanged may keep its metadata;
   * what will be sent is worked out again when it changes. */
  keep_metadata = g_settings_create_action (self->settings, "keep-metadata");
  g_action_map_add_action (G_ACTION_MAP (self), keep_metadata);
  g_signal_connect_object (self->settings, "changed::keep-metadata", G_CALLBACK (crop_changed_cb),
                           self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self, "notify::is-active", G_CALLBACK (withdraw_upload_done), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self, "notify::is-active", G_CALLBACK (window_active_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (app, "notify::client", G_CALLBACK (client_changed_cb), self,
                           G_CONNECT_SWAPPED);

  client_changed_cb (self, NULL, app);
}

/* A dialog about this window goes with it; its weak pointer must not be
 * cleared into a window that is gone. */
static void
close_dialog (AvatarWindow  *self,
              GtkWidget    **dialog)
{
  GtkWidget *widget = *dialog;

  if (widget == NULL)
    return;

  g_signal_handlers_disconnect_by_data (widget, self);
  g_object_remove_weak_pointer (G_OBJECT (widget), (gpointer *) dialog);
  *dialog = NULL;
#if ADW_CHECK_VERSION (1, 5, 0)
  if (ADW_IS_DIALOG (widget))
    {
      adw_dialog_force_close (ADW_DIALOG (widget));
      return;
    }
#endif
  gtk_window_destroy (GTK_WINDOW (widget));
}

static void
avatar_window_dispose (GObject *object)
{
  AvatarWindow *self = AVATAR_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->profile_cancellable);
  g_cancellable_cancel (self->load_cancellable);
  g_cancellable_cancel (self->prepare_cancellable);
  g_cancellable_cancel (self->flow_cancellable);
  g_clear_handle_id (&self->prepare_source, g_source_remove);
  g_clear_handle_id (&self->pulse_source, g_source_remove);
  g_clear_weak_pointer (&self->toast);
  clear_flow (self);
  close_dialog (self, &self->remove_dialog);
  close_dialog (self, &self->account_dialog);

  gtk_widget_dispose_template (GTK_WIDGET (self), AVATAR_TYPE_WINDOW);

  g_clear_object (&self->image);
  g_clear_pointer (&self->removed_raw, g_bytes_unref);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->prepared, avatar_prepared_free);
  g_clear_pointer (&self->profile, avatar_profile_free);
  g_clear_object (&self->profile_cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->prepare_cancellable);
  g_clear_object (&self->flow_cancellable);

  G_OBJECT_CLASS (avatar_window_parent_class)->dispose (object);
}

static void
avatar_window_finalize (GObject *object)
{
  AvatarWindow *self = AVATAR_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_free (self->message);

  G_OBJECT_CLASS (avatar_window_parent_class)->finalize (object);
}

static void
avatar_window_class_init (AvatarWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = avatar_window_dispose;
  object_class->finalize = avatar_window_finalize;

  window_class->close_request = avatar_window_close_request;
  widget_class->size_allocate = avatar_window_size_allocate;
  widget_class->focus = avatar_window_focus;

  g_type_ensure (AVATAR_TYPE_CROP_AREA);
  g_type_ensure (AVATAR_TYPE_CROP_PREVIEW);
  g_type_ensure (AVATAR_TYPE_VARIANT_ROW);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/avatar-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, banner_retry_button);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, upload_button);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, done_button);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, loading_label);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, profile_avatar);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, username_label);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, remove_button);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, error_button);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, crop_box);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, crop_panel);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, crop_area);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, zoom_adjustment);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, current_avatar);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, preview_44);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, preview_48);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, preview_60);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, prepared_label);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, changes_label);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, progress_preview);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, stage_label);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, variant_44);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, variant_48);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, variant_60);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, variant_original);
  gtk_widget_class_bind_template_child (widget_class, AvatarWindow, variant_raw);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_action);
  gtk_widget_class_install_action (widget_class, "win.upload", NULL, upload_action);
  gtk_widget_class_install_action (widget_class, "win.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "win.undo-remove", NULL, undo_remove_action);
  gtk_widget_class_install_action (widget_class, "win.turn-left", NULL, turn_left_action);
  gtk_widget_class_install_action (widget_class, "win.turn-right", NULL, turn_right_action);
  gtk_widget_class_install_action (widget_class, "win.flip", NULL, flip_action);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "win.account", NULL, account_action);
  gtk_widget_class_install_action (widget_class, "win.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss", NULL, dismiss_action);
}

static void
avatar_window_init (AvatarWindow *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  if (g_str_equal (PROFILE, "development"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  avatar_crop_preview_set_crop_area (self->preview_44, self->crop_area);
  avatar_crop_preview_set_crop_area (self->preview_48, self->crop_area);
  avatar_crop_preview_set_crop_area (self->preview_60, self->crop_area);
  avatar_crop_preview_set_crop_area (self->progress_preview, self->crop_area);
  g_signal_connect_object (self->crop_area, "crop-changed", G_CALLBACK (crop_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->zoom_adjustment, "value-changed", G_CALLBACK (zoom_changed_cb), self,
                           G_CONNECT_SWAPPED);
  /* Before and after: the avatar as it is now, beside the new one. */
  g_object_bind_property (self->profile_avatar, "custom-image", self->current_avatar, "custom-image",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->profile_avatar, "text", self->current_avatar, "text",
                          G_BINDING_SYNC_CREATE);

  for (AvatarVariantKind kind = 0; kind < AVATAR_N_VARIANTS; kind++)
    g_signal_connect_object (get_variant_row (self, kind), "url-copied", G_CALLBACK (url_copied_cb),
                             self, G_CONNECT_SWAPPED);

  gtk_widget_add_controller (GTK_WIDGET (self), avatar_window_create_drop_target (self));

  set_page (self, "signed-out");

  g_signal_connect (self, "notify::application", G_CALLBACK (application_set_cb), NULL);
}

AvatarWindow *
avatar_window_new (AvatarApplication *application)
{
  return g_object_new (AVATAR_TYPE_WINDOW, "application", application, NULL);
}

/* --- For the other parts of the window ------------------------------------------ */

gboolean
avatar_window_is_busy (AvatarWindow *self)
{
  return is_flow_running (self);
}

gboolean
avatar_window_is_closed (AvatarWindow *self)
{
  return is_gone (self);
}

void
avatar_window_show_toast (AvatarWindow *self,
                          const char   *title)
{
  show_toast (self, title);
}

GSettings *
avatar_window_get_settings (AvatarWindow *self)
{
  return self->settings;
}

GCancellable *
avatar_window_get_cancellable (AvatarWindow *self)
{
  return self->cancellable;
}

void
avatar_window_set_choosing (AvatarWindow *self,
                            gboolean      choosing)
{
  self->choosing = choosing;
  if (!is_gone (self))
    update_actions (self);
}

/* --- For the UI tests --------------------------------------------------------- */

const char *
avatar_window_get_page (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

AvatarCropArea *
avatar_window_get_crop_area (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);

  return self->crop_area;
}

AvatarImage *
avatar_window_get_image (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);

  return self->image;
}

const AvatarPrepared *
avatar_window_get_prepared (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);

  return self->prepared;
}

AvatarFlow *
avatar_window_get_flow (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);

  return self->flow;
}

const AvatarProfile *
avatar_window_get_profile (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);

  return self->profile;
}

AdwAvatar *
avatar_window_get_profile_avatar (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);

  return self->profile_avatar;
}

GdkTexture *
avatar_window_get_variant_texture (AvatarWindow      *self,
                                   AvatarVariantKind  kind)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);
  g_return_val_if_fail (kind < AVATAR_N_VARIANTS, NULL);

  return avatar_variant_row_get_texture (get_variant_row (self, kind));
}

const char *
avatar_window_get_message (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);

  return self->message;
}

GtkWidget *
avatar_window_get_remove_dialog (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);

  return self->remove_dialog;
}

GtkWidget *
avatar_window_get_upload_button (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);

  return GTK_WIDGET (self->upload_button);
}

GtkWidget *
avatar_window_get_account_dialog (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), NULL);

  return self->account_dialog;
}

gboolean
avatar_window_is_progress_pulsing (AvatarWindow *self)
{
  g_return_val_if_fail (AVATAR_IS_WINDOW (self), FALSE);

  return self->pulse_source != 0;
}
