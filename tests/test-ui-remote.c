/* test-ui-remote.c
 *
 * `avatar-uploader FILE` while the application already runs: the second
 * process hands the file to the running instance over a private session bus
 * and exits, and the window that is already open shows the picture.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "avatar-application.h"
#include "avatar-test-broadway.h"
#include "avatar-test-images.h"
#include "avatar-test-server.h"
#include "avatar-test-ui.h"
#include "avatar-window.h"

/* Generous, for a loaded machine running with sanitizers. */
#define WAIT_MS 90000
/* A second instance only forwards its command line; it must not linger. */
#define REMOTE_EXIT_MS 30000

#define PICTURE_NAME   "remote picture.jpg"
#define PICTURE_WIDTH  720
#define PICTURE_HEIGHT 540

typedef struct
{
  AvatarTestUi  ui;
  char         *folder;
  gboolean      finished;
} Scenario;

typedef struct
{
  GSubprocess *process;
  gboolean     exited;
} Remote;

static AvatarWindow *
get_window (Scenario *scenario)
{
  return avatar_test_ui_get_active_window (scenario->ui.app);
}

static guint
count_avatar_windows (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint n_windows = 0;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (AVATAR_IS_WINDOW (window))
        n_windows++;
    }

  return n_windows;
}

static gboolean
welcome_shown (gpointer data)
{
  AvatarWindow *window = get_window (data);

  return window != NULL &&
         gtk_widget_get_mapped (GTK_WIDGET (window)) &&
         g_strcmp0 (avatar_test_ui_get_page (window), "welcome") == 0 &&
         avatar_test_ui_get_profile (window) != NULL;
}

static gboolean
picture_in_crop_view (gpointer data)
{
  AvatarWindow *window = data;
  AvatarImage *image = avatar_test_ui_get_image (window);

  return g_strcmp0 (avatar_test_ui_get_page (window), "crop") == 0 &&
         avatar_test_ui_get_prepared (window) != NULL &&
         image != NULL &&
         g_strcmp0 (avatar_image_get_display_name (image), PICTURE_NAME) == 0;
}

static void
remote_exited_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Remote *remote = user_data;
  g_autoptr (GError) error = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, &error);
  g_assert_no_error (error);
  remote->exited = TRUE;
}

static gboolean
remote_has_exited (gpointer data)
{
  Remote *remote = data;

  return remote->exited;
}

/* Starts the installed program as a person would, in @folder, and waits,
 * serving the running instance meanwhile, until it exits. */
static void
run_second_instance (const char         *folder,
                     const char * const *arguments)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  const char *program = g_getenv ("AVATAR_UPLOADER");
  Remote remote = { 0 };
  gint64 started;

  g_assert_nonnull (program);
  g_ptr_array_add (argv, (char *) program);
  for (guint i = 0; arguments[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) arguments[i]);
  g_ptr_array_add (argv, NULL);

  /* The test speaks TAP on stdout; the program's stderr stays in the log. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_cwd (launcher, folder);
  remote.process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  started = g_get_monotonic_time ();
  g_subprocess_wait_async (remote.process, NULL, remote_exited_cb, &remote);
  if (!avatar_test_ui_wait_until (remote_has_exited, &remote, REMOTE_EXIT_MS))
    {
      g_subprocess_force_exit (remote.process);
      avatar_test_ui_wait_until (remote_has_exited, &remote, WAIT_MS);
      g_error ("The second instance did not exit within %d s", REMOTE_EXIT_MS / 1000);
    }
  g_test_message ("The second instance exited after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);

  g_assert_true (g_subprocess_get_if_exited (remote.process));
  g_assert_cmpint (g_subprocess_get_exit_status (remote.process), ==, EXIT_SUCCESS);
  g_object_unref (remote.process);
}

static gboolean
run_scenario (gpointer data)
{
  Scenario *scenario = data;
  AvatarWindow *window;
  AvatarImage *image;

  g_assert_true (avatar_test_ui_wait_until (welcome_shown, scenario, WAIT_MS));
  window = get_window (scenario);
  g_assert_cmpstr (avatar_test_ui_get_profile (window)->username, ==, scenario->ui.username);
  g_assert_cmpuint (count_avatar_windows (), ==, 1);

  /* A name relative to the second instance's folder, as typed in a
   * terminal there; the running instance works in another folder. */
  {
    const char *arguments[] = { PICTURE_NAME, NULL };

    run_second_instance (scenario->folder, arguments);
  }

  g_assert_true (avatar_test_ui_wait_until (picture_in_crop_view, window, WAIT_MS));
  image = avatar_test_ui_get_image (window);
  g_assert_cmpint (avatar_image_get_width (image), ==, PICTURE_WIDTH);
  g_assert_cmpint (avatar_image_get_height (image), ==, PICTURE_HEIGHT);
  g_assert_cmpstr (avatar_image_get_source_type (image), ==, "image/jpeg");

  /* The picture went to the window that was already there. */
  g_assert_true (get_window (scenario) == window);
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (scenario->ui.app))), ==, 1);
  g_assert_cmpuint (count_avatar_windows (), ==, 1);
  avatar_test_ui_save_screenshot (GTK_WIDGET (window), "remote-open");

  /* Started again without a file, it only brings that window forward and
   * leaves the chosen picture alone. */
  {
    const char *arguments[] = { NULL };

    run_second_instance (scenario->folder, arguments);
  }

  g_assert_true (get_window (scenario) == window);
  g_assert_cmpuint (count_avatar_windows (), ==, 1);
  g_assert_true (picture_in_crop_view (window));

  scenario->finished = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (scenario->ui.app), "quit", NULL);

  return G_SOURCE_REMOVE;
}

static void
write_picture (const char *path)
{
  g_autoptr (GBytes) jpeg = avatar_test_image_new ("jpeg", PICTURE_WIDTH, PICTURE_HEIGHT);
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg),
                                      &error));
  g_assert_no_error (error);
}

static void
test_open_in_running_instance (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  Scenario scenario = { 0 };

  avatar_test_ui_start (&scenario.ui, "remote_open");
  scenario.folder = g_dir_make_tmp ("avatar-remote-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (scenario.folder, PICTURE_NAME, NULL);
  write_picture (path);

  /* The primary instance, unique on the test's own bus. */
  avatar_test_ui_run_app (&scenario.ui, NULL, run_scenario, &scenario);
  g_assert_true (scenario.finished);

  g_unlink (path);
  g_rmdir (scenario.folder);
  g_free (scenario.folder);
  avatar_test_ui_teardown (&scenario.ui);
}

/* Stopped after the tests, and kept: see main(). */
static GTestDBus *test_bus;

int
main (int   argc,
      char *argv[])
{
  int status;

  avatar_test_ui_init (&argc, &argv);

  /* A session bus of the test's own, which the second instance inherits:
   * never the desktop's, where a real instance may run. */
  test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (test_bus);

  g_test_add_func ("/ui-remote/open-in-running-instance", test_open_in_running_instance);

  status = g_test_run ();
  /* libadwaita keeps a proxy on the session bus for the life of the
   * process, so the connection never goes: stop the daemon without waiting
   * for it, and keep the GTestDBus, whose finalizer would wait, until exit. */
  g_test_dbus_stop (test_bus);

  return status;
}
