/* avatar-test-ui.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "avatar-application.h"
#include "avatar-test-server.h"
#include "avatar-window.h"

G_BEGIN_DECLS

/* One signed-in application window against its own devserver. */
typedef struct
{
  AvatarTestServer  *server;
  AvatarApplication *app;
  AvatarWindow      *window;
  char              *username;
  char              *access_token;
  char              *refresh_token;
  /* A picture the test wrote; deleted on teardown when set. */
  GFile             *file;
} AvatarTestUi;

/* Starts a devserver, signs in a user named after @test_name (dashes become
 * underscores), registers the application without a bus and presents its
 * window.  The caller waits for the first page. */
void        avatar_test_ui_setup      (AvatarTestUi *ui,
                                       const char   *test_name);
/* Destroys the window unless the test cleared ui->window, lets cancelled work wind down, deletes ui->file and
 * stops the devserver. */
void        avatar_test_ui_teardown   (AvatarTestUi *ui);
gboolean    avatar_test_ui_is_on_page (AvatarTestUi *ui,
                                       const char   *page);
const char *avatar_test_ui_get_page   (AvatarTestUi *ui);
const char *avatar_test_ui_get_message (AvatarTestUi *ui);

/* The application's active window when it is an AvatarWindow, or NULL. */
AvatarWindow *avatar_test_ui_get_active_window (AvatarApplication *app);
/* Runs @app signed in to @server with the tokens given in its environment,
 * opening @path (nullable), and calls @scenario once its main loop runs;
 * returns the exit status. */
int           avatar_test_ui_run_app           (AvatarApplication *app,
                                                AvatarTestServer  *server,
                                                const char        *access_token,
                                                const char        *refresh_token,
                                                const char        *path,
                                                GSourceFunc        scenario,
                                                gpointer           data);

/* Generous, for a loaded machine running with sanitizers. */
#define AVATAR_TEST_UI_WAIT_MS 90000

/* Iterates the main context until @condition holds; fails the test, naming
 * the page and message in view, when it does not within the bound. */
#define AVATAR_TEST_UI_WAIT_FOR(ui, condition)                                \
  G_STMT_START {                                                              \
    gint64 _deadline = g_get_monotonic_time () +                              \
                       (gint64) AVATAR_TEST_UI_WAIT_MS * 1000;                \
    while (!(condition))                                                      \
      {                                                                       \
        if (g_get_monotonic_time () > _deadline)                              \
          g_error ("Timed out waiting for %s (page %s, message %s)",          \
                   #condition, avatar_test_ui_get_page (ui),                  \
                   avatar_test_ui_get_message (ui));                          \
        if (!g_main_context_iteration (NULL, FALSE))                          \
          g_usleep (1000);                                                    \
      }                                                                       \
  } G_STMT_END

G_END_DECLS
