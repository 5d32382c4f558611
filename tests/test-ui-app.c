/* test-ui-app.c
 *
 * The application as started from the command line: options for the
 * session, a file to open, the account dialog, the shortcuts and About
 * windows, and the window size kept for the next start.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "avatar-account-dialog.h"
#include "avatar-application.h"
#include "avatar-test-broadway.h"
#include "avatar-test-images.h"
#include "avatar-test-server.h"
#include "avatar-test-ui.h"
#include "avatar-window.h"

#define WAIT_MS 90000

typedef struct
{
  AvatarTestUi ui;
  gboolean     finished;
} Scenario;

static AvatarWindow *
get_window (Scenario *scenario)
{
  return avatar_test_ui_get_active_window (scenario->ui.app);
}

static gboolean
crop_view_shown (gpointer data)
{
  Scenario *scenario = data;
  AvatarWindow *window = get_window (scenario);

  return window != NULL &&
         g_strcmp0 (avatar_test_ui_get_page (window), "crop") == 0 &&
         avatar_test_ui_get_profile (window) != NULL &&
         avatar_test_ui_get_prepared (window) != NULL;
}

static gboolean
account_dialog_shown (gpointer data)
{
  AvatarWindow *window = data;
  GtkWidget *dialog = avatar_test_ui_get_account_dialog (window);

  return dialog != NULL && gtk_widget_get_mapped (dialog);
}

static gboolean
shortcuts_window_shown (gpointer data)
{
  return avatar_test_ui_find_shortcuts_window () != NULL;
}

/* The About dialog on screen: from libadwaita 1.5 an AdwAboutDialog inside
 * the window, before it an AdwAboutWindow of its own. */
static GtkWidget *
find_about (AvatarWindow *window)
{
#if ADW_CHECK_VERSION (1, 5, 0)
  AdwDialog *dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window));

  if (ADW_IS_ABOUT_DIALOG (dialog) && gtk_widget_get_mapped (GTK_WIDGET (dialog)))
    return GTK_WIDGET (dialog);
#else
  GtkWindow *about = avatar_test_ui_find_window (ADW_TYPE_ABOUT_WINDOW, GTK_WINDOW (window));

  if (about != NULL && gtk_widget_get_mapped (GTK_WIDGET (about)))
    return GTK_WIDGET (about);
#endif

  return NULL;
}

static void
close_about (GtkWidget *about)
{
#if ADW_CHECK_VERSION (1, 5, 0)
  g_assert_true (adw_dialog_close (ADW_DIALOG (about)));
#else
  gtk_window_close (GTK_WINDOW (about));
#endif
}

static gboolean
about_shown (gpointer data)
{
  return find_about (data) != NULL;
}

static gboolean
about_gone (gpointer data)
{
  return find_about (data) == NULL;
}

/* The shortcuts that the shortcuts window shows. */
static void
assert_shortcuts (AvatarApplication *app)
{
  static const struct {
    const char *action;
    const char *accel;
  } shortcuts[] = {
    { "win.open", "<Control>o" },
    { "win.paste", "<Control>v" },
    { "win.upload", "<Control>Return" },
    { "win.cancel", "Escape" },
    { "window.close", "<Control>w" },
    { "app.quit", "<Control>q" },
    { "win.show-help-overlay", "<Control>question" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (shortcuts); i++)
    {
      g_auto (GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                                      shortcuts[i].action);

      g_assert_true (g_strv_contains ((const char * const *) accels, shortcuts[i].accel));
    }
}

/* The About dialog, about the window, names the application and its
 * version, and closes. */
static void
check_about (AvatarApplication *app,
             AvatarWindow      *window)
{
  g_autofree char *name = NULL;
  g_autofree char *version = NULL;
  GtkWidget *about;

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  g_assert_true (avatar_test_ui_wait_until (about_shown, window, WAIT_MS));
  about = find_about (window);
  g_object_get (about, "application-name", &name, "version", &version, NULL);
  g_assert_cmpstr (name, ==, "Avatar Uploader");
  g_assert_cmpstr (version, ==, PACKAGE_VERSION);
  avatar_test_ui_save_screenshot (about, "app-about");
  close_about (about);
  g_assert_true (avatar_test_ui_wait_until (about_gone, window, WAIT_MS));
}

/* The whole scenario, once the application runs its main loop. */
static gboolean
run_scenario (gpointer data)
{
  Scenario *scenario = data;
  AvatarWindow *window;
  GtkWidget *dialog;
  AvatarClient *client;
  g_autofree char *access_token = NULL;

  g_assert_true (avatar_test_ui_wait_until (crop_view_shown, scenario, WAIT_MS));
  window = get_window (scenario);

  /* Signed in with the options, and the file opened from the command line. */
  client = avatar_application_get_client (scenario->ui.app);
  g_assert_nonnull (client);
  g_assert_cmpstr (avatar_client_get_base_url (client), ==, scenario->ui.server->base_url);
  g_assert_cmpstr (avatar_test_ui_get_profile (window)->username, ==, scenario->ui.username);
  g_assert_cmpint (avatar_image_get_width (avatar_test_ui_get_image (window)), ==, 640);
  avatar_test_ui_save_screenshot (GTK_WIDGET (window), "app-command-line");

  /* The account dialog shows the session's account, and that it is kept
   * for this session only, since the tests have no Secret Service. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.account", NULL));
  g_assert_true (avatar_test_ui_wait_until (account_dialog_shown, window, WAIT_MS));
  dialog = avatar_test_ui_get_account_dialog (window);
  g_assert_false (avatar_secrets_get_available (avatar_application_get_secrets (scenario->ui.app)));
  avatar_test_ui_save_screenshot (dialog, "app-account-dialog");
  gtk_window_close (GTK_WINDOW (dialog));

  access_token = avatar_client_dup_access_token (client);
  g_assert_nonnull (access_token);

  assert_shortcuts (scenario->ui.app);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  g_assert_true (avatar_test_ui_wait_until (shortcuts_window_shown, NULL, WAIT_MS));
  avatar_test_ui_save_screenshot (GTK_WIDGET (avatar_test_ui_find_shortcuts_window ()), "app-shortcuts");
  gtk_window_close (avatar_test_ui_find_shortcuts_window ());

  check_about (scenario->ui.app, window);

  /* A size the person chose, which quitting must remember. */
  gtk_window_set_default_size (GTK_WINDOW (window), 700, 660);

  scenario->finished = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (scenario->ui.app), "quit", NULL);

  return G_SOURCE_REMOVE;
}

static void
test_command_line (void)
{
  g_autoptr (GBytes) jpeg = avatar_test_image_new ("jpeg", 640, 480);
  g_autofree char *path = NULL;
  Scenario scenario = { 0 };

  avatar_test_ui_start (&scenario.ui, "command_line");
  path = g_file_get_path (avatar_test_ui_write_file (&scenario.ui, jpeg, ".jpg"));

  /* No bus in the tests: the application must not need one. */
  g_application_set_flags (G_APPLICATION (scenario.ui.app),
                           g_application_get_flags (G_APPLICATION (scenario.ui.app)) | G_APPLICATION_NON_UNIQUE);
  avatar_test_ui_run_app (&scenario.ui, path, run_scenario, &scenario);
  g_assert_true (scenario.finished);

  /* Quitting closed the window, which kept its size for the next start. */
  {
    g_autoptr (GSettings) settings = g_settings_new (BASE_APP_ID);

    g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 700);
    g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 660);
    g_assert_false (g_settings_get_boolean (settings, "window-maximized"));
  }

  avatar_test_ui_teardown (&scenario.ui);
}

int
main (int   argc,
      char *argv[])
{
  /* No Secret Service here: the tokens must stay for the session only. */
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  avatar_test_ui_init (&argc, &argv);

  g_test_add_func ("/ui-app/command-line", test_command_line);

  return g_test_run ();
}
