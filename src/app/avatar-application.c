/* avatar-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "avatar-application.h"
#include "avatar-broadway.h"
#include "avatar-resources.h"
#include "avatar-window.h"

struct _AvatarApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  AvatarSecrets  *secrets;
  AvatarClient   *client;
  char           *server_url;
  char           *app_id;
  /* Whether the current tokens came from, and go back to, the Secret Service. */
  gboolean        remember;
  /* Stored tokens are being looked up. */
  gboolean        signing_in;
  /* Bumped on every account change, so a late lookup does not undo a newer choice. */
  guint           account_generation;
  GCancellable   *cancellable;
};

G_DEFINE_FINAL_TYPE (AvatarApplication, avatar_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const GOptionEntry option_entries[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_("Address of the avatar service, for this session"), N_("URL") },
  { "app-id", 'a', 0, G_OPTION_ARG_STRING, NULL,
    N_("Application ID to send to the service, for this session"), N_("ID") },
  { "token", 't', 0, G_OPTION_ARG_STRING, NULL,
    N_("Access token, for this session (or AVATAR_TOKEN, which others cannot see)"), N_("TOKEN") },
  { "refresh-token", 'r', 0, G_OPTION_ARG_STRING, NULL,
    N_("Refresh token, for this session (or AVATAR_REFRESH_TOKEN)"), N_("TOKEN") },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, NULL,
    NULL, N_("[FILE]") },
  { NULL }
};

static void
tokens_changed_cb (AvatarApplication *self,
                   AvatarClient      *client)
{
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  if (client != self->client || !self->remember)
    return;

  access_token = avatar_client_dup_access_token (client);
  refresh_token = avatar_client_dup_refresh_token (client);
  avatar_secrets_store (self->secrets, self->server_url, access_token, refresh_token);
}

static void
replace_client (AvatarApplication *self,
                AvatarClient      *client,
                const char        *server_url,
                const char        *app_id,
                gboolean           remember)
{
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_func (self->client, tokens_changed_cb, self);

  g_set_object (&self->client, client);
  g_free (self->server_url);
  self->server_url = g_strdup (server_url);
  g_free (self->app_id);
  self->app_id = g_strdup (app_id);
  self->remember = remember;
  self->signing_in = FALSE;
  self->account_generation++;

  if (client != NULL)
    g_signal_connect_object (client, "tokens-changed", G_CALLBACK (tokens_changed_cb), self,
                             G_CONNECT_SWAPPED);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

static AvatarClient *
create_client (const char  *server_url,
               const char  *app_id,
               const char  *access_token,
               const char  *refresh_token,
               GError     **error)
{
  g_autoptr (AvatarClient) client = NULL;

  client = avatar_client_new (server_url, app_id, error);
  if (client == NULL)
    return NULL;

  avatar_client_set_tokens (client, access_token, refresh_token);

  return g_steal_pointer (&client);
}

/* The lookup may wait on a keyring prompt for as long as the person likes;
 * it must not keep the application alive meanwhile. */
typedef struct
{
  GWeakRef  self;
  guint  generation;
  char  *server_url;
  char  *app_id;
} LookupData;

static void
lookup_data_free (LookupData *data)
{
  g_weak_ref_clear (&data->self);
  g_free (data->server_url);
  g_free (data->app_id);
  g_free (data);
}

static void
stored_tokens_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  AvatarSecrets *secrets = AVATAR_SECRETS (object);
  LookupData *data = user_data;
  g_autoptr (AvatarApplication) self = g_weak_ref_get (&data->self);
  g_autoptr (GError) error = NULL;
  g_autoptr (AvatarClient) client = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  avatar_secrets_lookup_finish (secrets, result, &access_token, &refresh_token, &error);
  if (self == NULL ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      data->generation != self->account_generation)
    {
      lookup_data_free (data);
      return;
    }

  if (data->server_url[0] == '\0')
    {
      self->signing_in = FALSE;
      lookup_data_free (data);
      return;
    }

  if (access_token != NULL || refresh_token != NULL)
    {
      g_autoptr (GError) client_error = NULL;

      client = create_client (data->server_url, data->app_id, access_token, refresh_token,
                              &client_error);
      if (client == NULL)
        g_message ("The saved server address cannot be used: %s", client_error->message);
    }

  replace_client (self, client, data->server_url, data->app_id, TRUE);
  lookup_data_free (data);
}

static void
load_stored_account (AvatarApplication *self)
{
  g_autofree char *server_url = g_settings_get_string (self->settings, "server-url");
  g_autofree char *app_id = g_settings_get_string (self->settings, "app-id");
  LookupData *data;

  g_free (self->server_url);
  self->server_url = g_strdup (server_url);
  g_free (self->app_id);
  self->app_id = g_strdup (app_id);
  self->remember = TRUE;

  /* Even with no server to sign in to, the lookup tells whether there is a
   * Secret Service, which the account dialog mentions. */
  self->signing_in = server_url[0] != '\0';

  data = g_new0 (LookupData, 1);
  g_weak_ref_init (&data->self, self);
  data->generation = self->account_generation;
  data->server_url = g_steal_pointer (&server_url);
  data->app_id = g_steal_pointer (&app_id);
  avatar_secrets_lookup_async (self->secrets, data->server_url, self->cancellable,
                               stored_tokens_cb, data);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  AvatarApplication *self = user_data;
  static const char *developers[] = { "The Avatar Uploader developers", NULL };
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

#if ADW_CHECK_VERSION (1, 5, 0)
  adw_show_about_dialog (GTK_WIDGET (window),
#else
  adw_show_about_window (window,
#endif
                         "application-name", _("Avatar Uploader"),
                         "application-icon", APP_ID,
                         "developer-name", _("The Avatar Uploader developers"),
                         "developers", developers,
                         "version", PACKAGE_VERSION,
                         "comments", _("Choose a picture, crop it, and upload it as your avatar."),
                         "copyright", "© 2026 The Avatar Uploader developers",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         /* Translators: put your names here, one per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GApplication *app = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  /* Closing the windows lets them save their size first. */
  for (GList *l = windows; l != NULL;)
    {
      GtkWindow *window = l->data;

      l = l->next;
      gtk_window_close (window);
    }

  g_application_quit (app);
}

static const GActionEntry app_actions[] = {
  { "about", about_action },
  { "quit", quit_action },
};

static void
avatar_application_startup (GApplication *app)
{
  AvatarApplication *self = AVATAR_APPLICATION (app);
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.paste", { "<Control>v", NULL } },
    { "win.upload", { "<Control>Return", NULL } },
    { "win.cancel", { "Escape", NULL } },
    { "win.back", { "<Alt>Left", "<Alt>KP_Left", NULL } },
    /* Broadway reports "?" with the Shift that typed it still set, where
     * other backends count the Shift as used up: accept both. */
    { "win.show-help-overlay", { "<Control>question", "<Shift><Control>question", NULL } },
  };

  G_APPLICATION_CLASS (avatar_application_parent_class)->startup (app);

  self->settings = g_settings_new (BASE_APP_ID);
  self->secrets = avatar_secrets_new ();

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);

  load_stored_account (self);
}

static AvatarWindow *
ensure_window (AvatarApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (avatar_window_new (self));

  return AVATAR_WINDOW (window);
}

static void
avatar_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (ensure_window (AVATAR_APPLICATION (app))));
}

static void
avatar_application_open (GApplication  *app,
                         GFile        **files,
                         int            n_files,
                         const char    *hint)
{
  AvatarWindow *window = ensure_window (AVATAR_APPLICATION (app));

  gtk_window_present (GTK_WINDOW (window));
  /* One avatar at a time: the first file wins. */
  if (n_files > 0)
    avatar_window_open_file (window, files[0]);
}

static int
avatar_application_command_line (GApplication            *app,
                                 GApplicationCommandLine *command_line)
{
  AvatarApplication *self = AVATAR_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  const char *server_url = NULL;
  const char *app_id = NULL;
  const char *access_token = NULL;
  const char *refresh_token = NULL;
  g_autofree const char **filenames = NULL;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);

  g_variant_dict_lookup (options, "server", "&s", &server_url);
  g_variant_dict_lookup (options, "app-id", "&s", &app_id);
  g_variant_dict_lookup (options, "token", "&s", &access_token);
  g_variant_dict_lookup (options, "refresh-token", "&s", &refresh_token);
  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&ay", &filenames);

  /* A command line is visible to every user of the computer; the
   * environment only to its owner. */
  if (access_token == NULL && refresh_token == NULL)
    {
      access_token = g_application_command_line_getenv (command_line, "AVATAR_TOKEN");
      refresh_token = g_application_command_line_getenv (command_line, "AVATAR_REFRESH_TOKEN");
    }

  if (server_url != NULL || app_id != NULL || access_token != NULL || refresh_token != NULL)
    {
      g_autoptr (GError) error = NULL;

      if (!avatar_application_set_account (self,
                                           server_url ? server_url : self->server_url,
                                           app_id ? app_id : self->app_id,
                                           access_token, refresh_token,
                                           FALSE, &error))
        {
          g_application_command_line_printerr (command_line, "%s\n", error->message);
          return EXIT_FAILURE;
        }
    }

  for (guint i = 0; filenames != NULL && filenames[i] != NULL; i++)
    g_ptr_array_add (files, g_application_command_line_create_file_for_arg (command_line, filenames[i]));

  if (files->len > 0)
    g_application_open (app, (GFile **) files->pdata, (int) files->len, "");
  else
    g_application_activate (app);

  return EXIT_SUCCESS;
}

static void
avatar_application_dispose (GObject *object)
{
  AvatarApplication *self = AVATAR_APPLICATION (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_func (self->client, tokens_changed_cb, self);

  g_clear_object (&self->client);
  g_clear_object (&self->secrets);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (avatar_application_parent_class)->dispose (object);
}

static void
avatar_application_finalize (GObject *object)
{
  AvatarApplication *self = AVATAR_APPLICATION (object);

  g_free (self->server_url);
  g_free (self->app_id);

  G_OBJECT_CLASS (avatar_application_parent_class)->finalize (object);
}

static void
avatar_application_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  AvatarApplication *self = AVATAR_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_application_window_added (GtkApplication *app,
                                 GtkWindow      *window)
{
  GTK_APPLICATION_CLASS (avatar_application_parent_class)->window_added (app, window);

  /* The windows of the application and the shortcuts window it gives each;
   * the account dialog is seen to where it is made. */
  avatar_broadway_release_grabs (window);
  if (GTK_IS_APPLICATION_WINDOW (window) &&
      gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)) != NULL)
    avatar_broadway_release_grabs (GTK_WINDOW (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window))));
}

static void
avatar_application_class_init (AvatarApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  GtkApplicationClass *gtk_app_class = GTK_APPLICATION_CLASS (klass);

  object_class->dispose = avatar_application_dispose;
  object_class->finalize = avatar_application_finalize;
  object_class->get_property = avatar_application_get_property;

  app_class->startup = avatar_application_startup;
  app_class->activate = avatar_application_activate;
  app_class->open = avatar_application_open;
  app_class->command_line = avatar_application_command_line;

  gtk_app_class->window_added = avatar_application_window_added;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL,
                         AVATAR_TYPE_CLIENT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Referencing the bundle keeps it linked from the static library. */
  g_resources_register (avatar_app_get_resource ());
}

static void
avatar_application_init (AvatarApplication *self)
{
  self->cancellable = g_cancellable_new ();
  self->server_url = g_strdup ("");
  self->app_id = g_strdup ("");

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
}

AvatarApplication *
avatar_application_new (void)
{
  /* The resources live under the base ID, also in the development profile. */
  return g_object_new (AVATAR_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN | G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", RESOURCE_BASE_PATH,
                       NULL);
}

GSettings *
avatar_application_get_settings (AvatarApplication *self)
{
  g_return_val_if_fail (AVATAR_IS_APPLICATION (self), NULL);

  return self->settings;
}

AvatarSecrets *
avatar_application_get_secrets (AvatarApplication *self)
{
  g_return_val_if_fail (AVATAR_IS_APPLICATION (self), NULL);

  return self->secrets;
}

AvatarClient *
avatar_application_get_client (AvatarApplication *self)
{
  g_return_val_if_fail (AVATAR_IS_APPLICATION (self), NULL);

  return self->client;
}

const char *
avatar_application_get_server_url (AvatarApplication *self)
{
  g_return_val_if_fail (AVATAR_IS_APPLICATION (self), NULL);

  return self->server_url;
}

const char *
avatar_application_get_app_id (AvatarApplication *self)
{
  g_return_val_if_fail (AVATAR_IS_APPLICATION (self), NULL);

  return self->app_id;
}

gboolean
avatar_application_set_account (AvatarApplication  *self,
                                const char         *server_url,
                                const char         *app_id,
                                const char         *access_token,
                                const char         *refresh_token,
                                gboolean            remember,
                                GError            **error)
{
  g_autoptr (AvatarClient) client = NULL;

  g_return_val_if_fail (AVATAR_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (server_url != NULL, FALSE);

  if (server_url[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter the address of the avatar service."));
      return FALSE;
    }

  client = create_client (server_url, app_id ? app_id : "", access_token, refresh_token, error);
  if (client == NULL)
    return FALSE;

  if (remember)
    {
      g_settings_set_string (self->settings, "server-url", server_url);
      g_settings_set_string (self->settings, "app-id", app_id ? app_id : "");
      avatar_secrets_store (self->secrets, server_url, access_token, refresh_token);
    }

  replace_client (self, client, server_url, app_id ? app_id : "", remember);

  return TRUE;
}

void
avatar_application_sign_out (AvatarApplication *self)
{
  g_autofree char *server_url = NULL;
  g_autofree char *app_id = NULL;

  g_return_if_fail (AVATAR_IS_APPLICATION (self));

  server_url = g_strdup (self->server_url);
  app_id = g_strdup (self->app_id);

  if (server_url[0] != '\0')
    avatar_secrets_store (self->secrets, server_url, NULL, NULL);

  replace_client (self, NULL, server_url, app_id, TRUE);
}

gboolean
avatar_application_get_signing_in (AvatarApplication *self)
{
  g_return_val_if_fail (AVATAR_IS_APPLICATION (self), FALSE);

  return self->signing_in;
}

