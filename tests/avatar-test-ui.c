/* avatar-test-ui.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "avatar-test-ui.h"
#include "avatar-window-private.h"

void
avatar_test_ui_setup (AvatarTestUi *ui,
                      const char   *test_name)
{
  g_autoptr (GError) error = NULL;

  ui->server = avatar_test_server_start (NULL);
  ui->username = g_strdelimit (g_strdup (test_name), "-", '_');
  avatar_test_server_login (ui->server, ui->username,
                            &ui->access_token, &ui->refresh_token, NULL);

  ui->app = avatar_application_new ();
  /* No bus in the tests: the application must not need one. */
  g_application_set_flags (G_APPLICATION (ui->app),
                           g_application_get_flags (G_APPLICATION (ui->app)) | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (ui->app), NULL, &error));
  g_assert_no_error (error);

  g_assert_true (avatar_application_set_account (ui->app,
                                                 ui->server->base_url,
                                                 ui->server->app_id,
                                                 ui->access_token,
                                                 ui->refresh_token,
                                                 FALSE, &error));
  g_assert_no_error (error);

  ui->window = avatar_window_new (ui->app);
  gtk_window_set_default_size (GTK_WINDOW (ui->window), 600, 720);
  gtk_window_present (GTK_WINDOW (ui->window));
}

void
avatar_test_ui_teardown (AvatarTestUi *ui)
{
  /* A test may have closed it already. */
  if (ui->window != NULL)
    gtk_window_destroy (GTK_WINDOW (ui->window));
  /* Let the cancelled work wind down before the objects go. */
  for (guint i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);

  if (ui->file != NULL)
    {
      g_file_delete (ui->file, NULL, NULL);
      g_object_unref (ui->file);
    }

  g_object_unref (ui->app);
  avatar_test_server_stop (ui->server);
  g_free (ui->username);
  g_free (ui->access_token);
  g_free (ui->refresh_token);
}

gboolean
avatar_test_ui_is_on_page (AvatarTestUi *ui,
                           const char   *page)
{
  return g_strcmp0 (avatar_window_get_page (ui->window), page) == 0;
}

const char *
avatar_test_ui_get_page (AvatarTestUi *ui)
{
  return avatar_window_get_page (ui->window);
}

const char *
avatar_test_ui_get_message (AvatarTestUi *ui)
{
  return avatar_window_get_message (ui->window);
}

AvatarWindow *
avatar_test_ui_get_active_window (AvatarApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  return AVATAR_IS_WINDOW (window) ? AVATAR_WINDOW (window) : NULL;
}

int
avatar_test_ui_run_app (AvatarApplication *app,
                        AvatarTestServer  *server,
                        const char        *access_token,
                        const char        *refresh_token,
                        const char        *path,
                        GSourceFunc        scenario,
                        gpointer           data)
{
  char *argv[] = {
    (char *) "avatar-uploader",
    (char *) "--server", server->base_url,
    (char *) "--app-id", server->app_id,
    (char *) path,
    NULL
  };
  /* Without a path, the list ends where it would be. */
  int argc = path != NULL ? G_N_ELEMENTS (argv) - 1 : G_N_ELEMENTS (argv) - 2;
  int status;

  /* The tokens come through the environment, as build-aux/run gives them. */
  if (access_token != NULL)
    g_setenv ("AVATAR_TOKEN", access_token, TRUE);
  if (refresh_token != NULL)
    g_setenv ("AVATAR_REFRESH_TOKEN", refresh_token, TRUE);

  g_idle_add (scenario, data);
  status = g_application_run (G_APPLICATION (app), argc, argv);

  g_unsetenv ("AVATAR_TOKEN");
  g_unsetenv ("AVATAR_REFRESH_TOKEN");

  return status;
}
