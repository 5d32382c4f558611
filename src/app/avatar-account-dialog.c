/* avatar-account-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-account-dialog.h"

struct _AvatarAccountDialog
{
  AdwWindow             parent_instance;

  AdwEntryRow          *server_row;
  AdwEntryRow          *app_id_row;
  AdwPreferencesGroup  *tokens_group;
  AdwEntryRow          *access_row;
  AdwEntryRow          *refresh_row;
  GtkLabel             *error_label;
  AdwPreferencesGroup  *sign_out_group;

  AvatarApplication    *application;
};

G_DEFINE_FINAL_TYPE (AvatarAccountDialog, avatar_account_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_APPLICATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_storage_note (AvatarAccountDialog *self)
{
  AvatarSecrets *secrets = avatar_application_get_secrets (self->application);

  if (avatar_secrets_get_available (secrets))
    adw_preferences_group_set_description (self->tokens_group,
                                           _("Stored in your keyring, so you stay signed in"));
  else
    adw_preferences_group_set_description (self->tokens_group,
                                           _("No keyring is available: the tokens are kept only until "
                                             "Avatar Uploader quits, and you will need to sign in again."));
}

static void
fill_in (AvatarAccountDialog *self)
{
  AvatarClient *client = avatar_application_get_client (self->application);
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  gtk_editable_set_text (GTK_EDITABLE (self->server_row),
                         avatar_application_get_server_url (self->application));
  gtk_editable_set_text (GTK_EDITABLE (self->app_id_row),
                         avatar_application_get_app_id (self->application));

  if (client != NULL)
    {
      access_token = avatar_client_dup_access_token (client);
      refresh_token = avatar_client_dup_refresh_token (client);
    }

  gtk_editable_set_text (GTK_EDITABLE (self->access_row), access_token ? access_token : "");
  gtk_editable_set_text (GTK_EDITABLE (self->refresh_row), refresh_token ? refresh_token : "");
  gtk_widget_set_visible (GTK_WIDGET (self->sign_out_group), client != NULL);
  update_storage_note (self);
}

static const char *
row_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  AvatarAccountDialog *self = AVATAR_ACCOUNT_DIALOG (widget);
  g_autoptr (GError) error = NULL;
  g_autofree char *server_url = g_strstrip (g_strdup (row_text (self->server_row)));
  g_autofree char *app_id = g_strstrip (g_strdup (row_text (self->app_id_row)));
  g_autofree char *access_token = g_strstrip (g_strdup (row_text (self->access_row)));
  g_autofree char *refresh_token = g_strstrip (g_strdup (row_text (self->refresh_row)));

  if (!avatar_application_set_account (self->application, server_url, app_id,
                                       access_token[0] ? access_token : NULL,
                                       refresh_token[0] ? refresh_token : NULL,
                                       TRUE, &error))
    {
      gtk_label_set_label (self->error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
      return;
    }

  gtk_window_close (GTK_WINDOW (self));
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  AvatarAccountDialog *self = AVATAR_ACCOUNT_DIALOG (widget);

  avatar_application_sign_out (self->application);
  gtk_window_close (GTK_WINDOW (self));
}

static void
avatar_account_dialog_constructed (GObject *object)
{
  AvatarAccountDialog *self = AVATAR_ACCOUNT_DIALOG (object);

  G_OBJECT_CLASS (avatar_account_dialog_parent_class)->constructed (object);

  g_signal_connect_object (avatar_application_get_secrets (self->application), "notify::available",
                           G_CALLBACK (update_storage_note), self, G_CONNECT_SWAPPED);
  fill_in (self);
}

static void
avatar_account_dialog_dispose (GObject *object)
{
  AvatarAccountDialog *self = AVATAR_ACCOUNT_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), AVATAR_TYPE_ACCOUNT_DIALOG);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (avatar_account_dialog_parent_class)->dispose (object);
}

static void
avatar_account_dialog_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  AvatarAccountDialog *self = AVATAR_ACCOUNT_DIALOG (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      self->application = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_account_dialog_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  AvatarAccountDialog *self = AVATAR_ACCOUNT_DIALOG (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      g_value_set_object (value, self->application);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_account_dialog_class_init (AvatarAccountDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = avatar_account_dialog_constructed;
  object_class->dispose = avatar_account_dialog_dispose;
  object_class->set_property = avatar_account_dialog_set_property;
  object_class->get_property = avatar_account_dialog_get_property;

  /* Not GtkWindow:application: the dialog must not count as one of the
   * application's windows, or closing the main window would leave it running. */
  properties[PROP_APPLICATION] =
    g_param_spec_object ("avatar-application", NULL, NULL,
                         AVATAR_TYPE_APPLICATION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE_PATH "/avatar-account-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, AvatarAccountDialog, server_row);
  gtk_widget_class_bind_template_child (widget_class, AvatarAccountDialog, app_id_row);
  gtk_widget_class_bind_template_child (widget_class, AvatarAccountDialog, tokens_group);
  gtk_widget_class_bind_template_child (widget_class, AvatarAccountDialog, access_row);
  gtk_widget_class_bind_template_child (widget_class, AvatarAccountDialog, refresh_row);
  gtk_widget_class_bind_template_child (widget_class, AvatarAccountDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, AvatarAccountDialog, sign_out_group);

  gtk_widget_class_install_action (widget_class, "account.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "account.sign-out", NULL, sign_out_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

/* An error is about what was typed, and goes once it is edited. */
static void
entry_changed_cb (AvatarAccountDialog *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
}

static void
entry_activated_cb (AvatarAccountDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "account.save", NULL);
}

static void
avatar_account_dialog_init (AvatarAccountDialog *self)
{
  AdwEntryRow *rows[4];

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Enter in any field signs in, as in a form. */
  rows[0] = self->server_row;
  rows[1] = self->app_id_row;
  rows[2] = self->access_row;
  rows[3] = self->refresh_row;
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_signal_connect_object (rows[i], "entry-activated", G_CALLBACK (entry_activated_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (rows[i], "changed", G_CALLBACK (entry_changed_cb), self,
                               G_CONNECT_SWAPPED);
    }
}

AvatarAccountDialog *
avatar_account_dialog_new (AvatarApplication *application)
{
  g_return_val_if_fail (AVATAR_IS_APPLICATION (application), NULL);

  return g_object_new (AVATAR_TYPE_ACCOUNT_DIALOG, "avatar-application", application, NULL);
}
