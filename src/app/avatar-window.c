/* avatar-window.c
 *
 * The window: its pages, its messages (toasts, the banner, the error page),
 * the actions' state, its size and its life; the other avatar-window-*.c
 * files hold one job each.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-window-private.h"

#define WIDE_LAYOUT_MIN_WIDTH 860
#define WIDE_PANEL_WIDTH 300

G_DEFINE_FINAL_TYPE (AvatarWindow, avatar_window, ADW_TYPE_APPLICATION_WINDOW)

static GParamSpec *properties[N_PROPS];

void
avatar_window_notify (AvatarWindow         *self,
                      AvatarWindowProperty  property)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[property]);
}

/* An answer may arrive after the window was closed, if its work had
 * finished just before: the template's widgets are gone by then. */
gboolean
avatar_window_is_closed (AvatarWindow *self)
{
  return self->stack == NULL;
}

gboolean
avatar_window_is_busy (AvatarWindow *self)
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

gboolean
avatar_window_is_on_page (AvatarWindow *self,
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

void
avatar_window_set_page (AvatarWindow *self,
                        const char   *name)
{
  /* News about the page being left, such as "URL copied", goes with it. */
  if (self->toast != NULL && !avatar_window_is_on_page (self, name))
    adw_toast_dismiss (self->toast);

  gtk_stack_set_visible_child_name (self->stack, name);
  adw_window_title_set_title (self->window_title, get_step_title (name));
  gtk_spinner_set_spinning (self->spinner, g_str_equal (name, "loading"));
  avatar_window_update_actions (self);
}


/* Passing news; errors go to the banner, which stays. */
void
avatar_window_show_toast (AvatarWindow *self,
                          const char   *title)
{
  AdwToast *toast = adw_toast_new (title);

  g_set_weak_pointer (&self->toast, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Errors stay in view until dismissed or overtaken, in full sentences that a
 * toast would cut short. */
void
avatar_window_show_banner (AvatarWindow *self,
                           const char   *message,
                           gboolean      offer_retry)
{
  gtk_label_set_label (self->banner_label, message);
  gtk_button_set_label (self->banner_retry_button, _("_Retry"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->banner_retry_button), "win.retry");
  gtk_widget_set_visible (GTK_WIDGET (self->banner_retry_button), offer_retry);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
}

void
avatar_window_hide_banner (AvatarWindow *self)
{
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
}

/* Words for people; also whether trying again can help. */
const char *
avatar_window_describe_error (const GError *error,
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
void
avatar_window_show_error_banner (AvatarWindow *self,
                                 const GError *error,
                                 gboolean      offer_retry)
{
  gboolean can_retry = FALSE;
  const char *message = avatar_window_describe_error (error, &can_retry);

  avatar_window_show_banner (self, message, offer_retry && can_retry);
  if (g_error_matches (error, AVATAR_ERROR, AVATAR_ERROR_AUTH))
    {
      gtk_button_set_label (self->banner_retry_button, _("_Sign In…"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->banner_retry_button), "win.account");
      gtk_widget_set_visible (GTK_WIDGET (self->banner_retry_button), TRUE);
    }
}

void
avatar_window_show_error_page (AvatarWindow *self,
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

void
avatar_window_decode_texture_async (AvatarWindow        *self,
                                    GBytes              *bytes,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, avatar_window_decode_texture_async);
  g_task_set_task_data (task, g_bytes_ref (bytes), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, decode_texture_thread);
}

GdkTexture *
avatar_window_decode_texture_finish (GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- Actions' state ---------------------------------------------------- */

void
avatar_window_update_actions (AvatarWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean busy = avatar_window_is_busy (self);
  gboolean cropping = avatar_window_is_on_page (self, "crop");
  gboolean has_avatar = self->profile != NULL && self->profile->avatar_url != NULL;
  gboolean done = avatar_window_is_on_page (self, "result");
  gboolean can_go_back = avatar_window_is_on_page (self, "crop") || avatar_window_is_on_page (self, "error") || done;

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

  if (direction == GTK_DIR_TAB_FORWARD && avatar_window_is_on_page (self, "crop") &&
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
  g_signal_connect_object (self->settings, "changed::keep-metadata", G_CALLBACK (avatar_window_crop_changed_cb),
                           self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self, "notify::is-active", G_CALLBACK (avatar_window_withdraw_upload_done), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self, "notify::is-active", G_CALLBACK (avatar_window_active_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (app, "notify::client", G_CALLBACK (avatar_window_client_changed_cb), self,
                           G_CONNECT_SWAPPED);

  avatar_window_client_changed_cb (self, NULL, app);
}

/* A dialog about this window: an AdwDialog (libadwaita 1.5) inside it, or a
 * window of its own on top of it. */
void
avatar_window_present_dialog (AvatarWindow *self,
                              GtkWidget    *dialog)
{
#if ADW_CHECK_VERSION (1, 5, 0)
  if (ADW_IS_DIALOG (dialog))
    {
      adw_dialog_present (ADW_DIALOG (dialog), GTK_WIDGET (self));
      return;
    }
#endif
  gtk_window_present (GTK_WINDOW (dialog));
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
  avatar_window_clear_flow (self);
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

  G_OBJECT_CLASS (avatar_window_parent_class)->finalize (object);
}

static void
avatar_window_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  AvatarWindow *self = AVATAR_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      g_value_set_boxed (value, self->profile);
      break;
    case PROP_IMAGE:
      g_value_set_object (value, self->image);
      break;
    case PROP_PREPARED:
      g_value_set_boxed (value, self->prepared);
      break;
    case PROP_FLOW:
      g_value_set_object (value, self->flow);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_window_class_init (AvatarWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = avatar_window_dispose;
  object_class->finalize = avatar_window_finalize;
  object_class->get_property = avatar_window_get_property;

  window_class->close_request = avatar_window_close_request;
  widget_class->size_allocate = avatar_window_size_allocate;
  widget_class->focus = avatar_window_focus;

  /* The signed-in person's profile as the window shows it, or NULL. */
  properties[PROP_PROFILE] =
    g_param_spec_boxed ("profile", NULL, NULL, avatar_profile_get_type (),
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* The picture on the crop page, or NULL. */
  properties[PROP_IMAGE] =
    g_param_spec_object ("image", NULL, NULL, AVATAR_TYPE_IMAGE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* The picture Upload sends, prepared from the image and crop shown, or NULL. */
  properties[PROP_PREPARED] =
    g_param_spec_boxed ("prepared", NULL, NULL, AVATAR_TYPE_PREPARED,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* The upload running or last run, or NULL. */
  properties[PROP_FLOW] =
    g_param_spec_object ("flow", NULL, NULL, AVATAR_TYPE_FLOW,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

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

  avatar_window_class_add_actions (widget_class);
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
  g_signal_connect_object (self->crop_area, "crop-changed", G_CALLBACK (avatar_window_crop_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->zoom_adjustment, "value-changed", G_CALLBACK (avatar_window_zoom_changed_cb), self,
                           G_CONNECT_SWAPPED);
  /* Before and after: the avatar as it is now, beside the new one. */
  g_object_bind_property (self->profile_avatar, "custom-image", self->current_avatar, "custom-image",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->profile_avatar, "text", self->current_avatar, "text",
                          G_BINDING_SYNC_CREATE);

  for (AvatarVariantKind kind = 0; kind < AVATAR_N_VARIANTS; kind++)
    g_signal_connect_object (avatar_window_get_variant_row (self, kind), "url-copied", G_CALLBACK (avatar_window_url_copied_cb),
                             self, G_CONNECT_SWAPPED);

  gtk_widget_add_controller (GTK_WIDGET (self), avatar_window_create_drop_target (self));

  avatar_window_set_page (self, "signed-out");

  g_signal_connect (self, "notify::application", G_CALLBACK (application_set_cb), NULL);
}

AvatarWindow *
avatar_window_new (AvatarApplication *application)
{
  return g_object_new (AVATAR_TYPE_WINDOW, "application", application, NULL);
}

/* --- For the other parts of the window ------------------------------------------ */

void
avatar_window_set_choosing (AvatarWindow *self,
                            gboolean      choosing)
{
  self->choosing = choosing;
  if (!avatar_window_is_closed (self))
    avatar_window_update_actions (self);
}
