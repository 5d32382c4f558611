/* avatar-window-private.h
 *
 * What the window's own files share: its struct and the functions one part
 * of the window calls in another.  Nothing outside src/app/avatar-window*.c
 * includes it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "avatar-crop-area.h"
#include "avatar-crop-preview.h"
#include "avatar-error.h"
#include "avatar-flow.h"
#include "avatar-variant-row.h"
#include "avatar-window.h"

G_BEGIN_DECLS

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

static inline gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* A fresh cancellable for one kind of work, cancelling what it replaces. */
static inline GCancellable *
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

/* The window's properties, for avatar_window_notify(). */
typedef enum
{
  PROP_0,
  PROP_PROFILE,
  PROP_IMAGE,
  PROP_PREPARED,
  PROP_FLOW,
  N_PROPS
} AvatarWindowProperty;

/* avatar-window.c: pages, messages and the window itself */
/* Tells the property's watchers that the window changed it. */
void                 avatar_window_notify                (AvatarWindow         *self,
                                                          AvatarWindowProperty  property);
/* TRUE once the window was closed and its widgets are gone. */
gboolean             avatar_window_is_closed             (AvatarWindow        *self);
/* TRUE while a flow runs. */
gboolean             avatar_window_is_busy               (AvatarWindow        *self);
gboolean             avatar_window_is_on_page            (AvatarWindow        *self,
                                                          const char          *name);
void                 avatar_window_set_page              (AvatarWindow        *self,
                                                          const char          *name);
void                 avatar_window_show_toast            (AvatarWindow        *self,
                                                          const char          *title);
void                 avatar_window_show_banner           (AvatarWindow        *self,
                                                          const char          *message,
                                                          gboolean             offer_retry);
void                 avatar_window_hide_banner           (AvatarWindow        *self);
/* Words for people; also whether trying again can help. */
const char          *avatar_window_describe_error        (const GError        *error,
                                                          gboolean            *can_retry);
void                 avatar_window_show_error_banner     (AvatarWindow        *self,
                                                          const GError        *error,
                                                          gboolean             offer_retry);
void                 avatar_window_show_error_page       (AvatarWindow        *self,
                                                          const char          *icon_name,
                                                          const char          *title,
                                                          const char          *description,
                                                          const char          *button_label,
                                                          const char          *action_name);
/* Decodes @bytes off the main thread into a texture for display. */
void                 avatar_window_decode_texture_async  (AvatarWindow        *self,
                                                          GBytes              *bytes,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
GdkTexture          *avatar_window_decode_texture_finish (GAsyncResult        *result,
                                                          GError             **error);
/* Enables the actions, and shows the buttons, that fit the page and state. */
void                 avatar_window_update_actions        (AvatarWindow        *self);
/* Presents @dialog, an AdwDialog or a GtkWindow, for this window. */
void                 avatar_window_present_dialog        (AvatarWindow        *self,
                                                          GtkWidget           *dialog);
/* While a file chooser is being opened or is open, "Change Avatar…" is off,
 * so that a second press does not open a second chooser. */
void                 avatar_window_set_choosing          (AvatarWindow        *self,
                                                          gboolean             choosing);

/* avatar-window-actions.c */
void                 avatar_window_class_add_actions     (GtkWidgetClass      *widget_class);

/* avatar-window-profile.c */
void                 avatar_window_show_profile          (AvatarWindow        *self,
                                                          const AvatarProfile *profile);
void                 avatar_window_load_profile          (AvatarWindow        *self);
void                 avatar_window_refresh_profile       (AvatarWindow        *self);
void                 avatar_window_open_account_dialog   (AvatarWindow        *self);
void                 avatar_window_client_changed_cb     (AvatarWindow        *self,
                                                          GParamSpec          *pspec,
                                                          AvatarApplication   *app);
void                 avatar_window_active_cb             (AvatarWindow        *self);

/* avatar-window-crop.c */
gboolean             avatar_window_prepare_now           (gpointer             user_data);
gboolean             avatar_window_prepared_is_current   (AvatarWindow        *self);
void                 avatar_window_crop_changed_cb       (AvatarWindow        *self);
void                 avatar_window_zoom_changed_cb       (AvatarWindow        *self);

/* avatar-window-upload.c */
void                 avatar_window_start_upload          (AvatarWindow        *self);
void                 avatar_window_run_flow              (AvatarWindow        *self);
void                 avatar_window_clear_flow            (AvatarWindow        *self);
AvatarVariantRow    *avatar_window_get_variant_row       (AvatarWindow        *self,
                                                          AvatarVariantKind    kind);
void                 avatar_window_withdraw_upload_done  (AvatarWindow        *self);
void                 avatar_window_url_copied_cb         (AvatarWindow        *self);

/* avatar-window-remove.c */
void                 avatar_window_confirm_remove        (AvatarWindow        *self);

/* avatar-window-open.c */
void                 avatar_window_choose_file           (AvatarWindow        *self);
void                 avatar_window_paste                 (AvatarWindow        *self);
GtkEventController  *avatar_window_create_drop_target    (AvatarWindow        *self);

G_END_DECLS
