/* avatar-window-remove.c
 *
 * Removing the avatar, after the person confirms, keeping it for Undo.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-window-private.h"

/* How long Undo stays offered after a removal, in seconds. */
#define UNDO_TIMEOUT_S 8

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
  if (is_cancelled (error) || avatar_window_is_closed (self))
    return;

  if (profile == NULL)
    {
      avatar_window_show_error_banner (self, error, FALSE);
      return;
    }

  avatar_window_show_profile (self, profile);
  avatar_window_set_page (self, "welcome");
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
  if (is_cancelled (error) || avatar_window_is_closed (self))
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

static void
remove_response_cb (AvatarWindow *self,
                    const char   *response,
                    GObject      *dialog)
{
  g_object_remove_weak_pointer (dialog, (gpointer *) &self->remove_dialog);
  self->remove_dialog = NULL;

  if (g_str_equal (response, "remove"))
    remove_avatar (self);
}

/* libadwaita 1.5 asks inside the window, with an AdwAlertDialog; 1.2 has
 * only AdwMessageDialog, a window of its own.  Both take the same responses
 * and properties, and answer with the same "response" signal. */
static GtkWidget *
new_remove_dialog (AvatarWindow *self,
                   const char   *heading,
                   const char   *body)
{
#if ADW_CHECK_VERSION (1, 5, 0)
  AdwAlertDialog *dialog = ADW_ALERT_DIALOG (adw_alert_dialog_new (heading, body));

  adw_alert_dialog_add_responses (dialog, "cancel", _("_Cancel"), "remove", _("_Remove"), NULL);
  adw_alert_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
#else
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, body));

  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
#endif

  return GTK_WIDGET (dialog);
}

void
avatar_window_confirm_remove (AvatarWindow *self)
{
  GtkWidget *dialog = new_remove_dialog (self, _("Remove Your Avatar?"),
                                         _("People will see your initials instead of a picture."));

  g_object_set (dialog, "default-response", "cancel", "close-response", "cancel", NULL);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self,
                           G_CONNECT_SWAPPED);

  self->remove_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->remove_dialog);
  avatar_window_present_dialog (self, dialog);
}
