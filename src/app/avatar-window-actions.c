/* avatar-window-actions.c
 *
 * The window's actions, "win.*", installed on its class.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-window-private.h"

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
  avatar_window_start_upload (AVATAR_WINDOW (widget));
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  AvatarWindow *self = AVATAR_WINDOW (widget);

  if (self->flow != NULL && !avatar_window_is_busy (self))
    avatar_window_run_flow (self);
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

  if (bytes == NULL || avatar_window_is_busy (self))
    {
      avatar_window_show_banner (self, _("Your previous avatar could not be put back: it was not kept."), FALSE);
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
  avatar_window_confirm_remove (AVATAR_WINDOW (widget));
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
  avatar_window_set_page (self, self->client != NULL ? "welcome" : "signed-out");
}

static void
account_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  avatar_window_open_account_dialog (AVATAR_WINDOW (widget));
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  avatar_window_load_profile (AVATAR_WINDOW (widget));
}

static void
dismiss_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  avatar_window_hide_banner (AVATAR_WINDOW (widget));
}

void
avatar_window_class_add_actions (GtkWidgetClass *widget_class)
{
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
