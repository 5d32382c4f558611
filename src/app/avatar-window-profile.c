/* avatar-window-profile.c
 *
 * The signed-in person's profile: loading it, showing it, and the account dialog.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-account-dialog.h"
#include "avatar-broadway.h"
#include "avatar-window-private.h"

static void
profile_image_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = avatar_window_decode_texture_finish (result, &error);

  if (texture == NULL)
    {
      if (!is_cancelled (error))
        g_debug ("The current avatar cannot be shown: %s", error->message);
      return;
    }

  if (avatar_window_is_closed (self))
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

  if (avatar_window_is_closed (self))
    return;

  avatar_window_decode_texture_async (self, bytes, self->profile_cancellable, profile_image_cb, g_object_ref (self));
}

void
avatar_window_show_profile (AvatarWindow        *self,
                            const AvatarProfile *profile)
{
  if (profile != self->profile)
    {
      g_clear_pointer (&self->profile, avatar_profile_free);
      self->profile = profile ? avatar_profile_copy (profile) : NULL;
      avatar_window_notify (self, PROP_PROFILE);
    }

  gtk_label_set_label (self->username_label, profile ? profile->username : "");
  adw_avatar_set_text (self->profile_avatar, profile ? profile->username : NULL);
  adw_avatar_set_custom_image (self->profile_avatar, NULL);

  if (profile != NULL && profile->avatar_url != NULL && self->client != NULL)
    avatar_client_fetch_async (self->client, profile->avatar_url, self->profile_cancellable,
                               profile_image_fetched_cb, g_object_ref (self));

  avatar_window_update_actions (self);
}

void
avatar_window_open_account_dialog (AvatarWindow *self)
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
profile_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (AvatarWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AvatarProfile) profile = NULL;
  gboolean can_retry = FALSE;

  profile = avatar_client_get_profile_finish (AVATAR_CLIENT (object), result, &error);
  if (is_cancelled (error) || avatar_window_is_closed (self) || AVATAR_CLIENT (object) != self->client)
    return;

  if (profile == NULL)
    {
      const char *message = avatar_window_describe_error (error, &can_retry);

      g_debug ("The profile could not be loaded: %s", error->message);
      if (g_error_matches (error, AVATAR_ERROR, AVATAR_ERROR_AUTH))
        avatar_window_show_error_page (self, "avatar-default-symbolic", _("Signed Out — Sign In Again"),
                                       message, _("_Sign In…"), "win.account");
      else
        avatar_window_show_error_page (self, "network-offline-symbolic", _("Your Profile Did Not Load"),
                                       message, _("_Try Again"), "win.reload");
      if (!self->loading_picture && !avatar_window_is_on_page (self, "crop") && !avatar_window_is_on_page (self, "progress"))
        avatar_window_set_page (self, "error");
      return;
    }

  avatar_window_show_profile (self, profile);
  /* A picture being opened keeps its page; it shows the crop view next. */
  if (!self->loading_picture &&
      (avatar_window_is_on_page (self, "loading") || avatar_window_is_on_page (self, "signed-out") || avatar_window_is_on_page (self, "error")))
    avatar_window_set_page (self, "welcome");
}

void
avatar_window_load_profile (AvatarWindow *self)
{
  GCancellable *cancellable = restart_cancellable (&self->profile_cancellable);

  if (self->client == NULL)
    return;

  if (!self->loading_picture && !avatar_window_is_on_page (self, "crop") && !avatar_window_is_on_page (self, "progress") &&
      !avatar_window_is_on_page (self, "result"))
    {
      gtk_label_set_label (self->loading_label, _("Signing In…"));
      avatar_window_set_page (self, "loading");
    }

  avatar_client_get_profile_async (self->client, cancellable, profile_loaded_cb, g_object_ref (self));
}

void
avatar_window_client_changed_cb (AvatarWindow      *self,
                                 GParamSpec        *pspec,
                                 AvatarApplication *app)
{
  AvatarClient *client = avatar_application_get_client (app);

  if (client != self->client)
    {
      /* A job of the old account must not go on under the new one. */
      avatar_window_clear_flow (self);

      g_set_object (&self->client, client);
      avatar_window_show_profile (self, NULL);
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
          avatar_window_set_page (self, "loading");
        }
      else if (!avatar_window_is_on_page (self, "crop") && !self->loading_picture)
        {
          avatar_window_set_page (self, "signed-out");
        }
      avatar_window_update_actions (self);
      return;
    }

  avatar_window_load_profile (self);
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

  if (avatar_window_is_closed (self) || AVATAR_CLIENT (object) != self->client || self->profile == NULL)
    return;

  if (g_strcmp0 (profile->avatar_url, self->profile->avatar_url) != 0 ||
      g_strcmp0 (profile->username, self->profile->username) != 0)
    avatar_window_show_profile (self, profile);
}

/* The profile again, staying on the page: when a flow ends in any way and
 * when the window becomes active, so that an avatar the service promoted
 * meanwhile shows. Not the profile's cancellable, which its picture uses. */
void
avatar_window_refresh_profile (AvatarWindow *self)
{
  if (self->client == NULL || self->profile == NULL || avatar_window_is_busy (self) ||
      !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;

  avatar_client_get_profile_async (self->client, self->cancellable, profile_refreshed_cb,
                                   g_object_ref (self));
}

void
avatar_window_active_cb (AvatarWindow *self)
{
  if (gtk_window_is_active (GTK_WINDOW (self)))
    avatar_window_refresh_profile (self);
}
