/* avatar-test-ui.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "avatar-application.h"
#include "avatar-flow.h"
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

/* Starts a devserver, signs @username in there, and makes the application,
 * not yet registered: for a test that runs it, as a person starts it. */
void        avatar_test_ui_start      (AvatarTestUi *ui,
                                       const char   *username);
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
/* Replaces the window with a new one, presented at @width × @height, and
 * waits for its welcome page. */
void        avatar_test_ui_present_sized      (AvatarTestUi *ui,
                                               int           width,
                                               int           height);
/* Writes @bytes to a new temporary file named with @suffix and returns it,
 * as ui->file; a file written before is deleted. */
GFile      *avatar_test_ui_write_file         (AvatarTestUi *ui,
                                               GBytes       *bytes,
                                               const char   *suffix);
/* Activates the window's @action, which must be enabled. */
void        avatar_test_ui_activate           (AvatarWindow *window,
                                               const char   *action);
/* Upload is in view and would send. */
gboolean    avatar_test_ui_can_upload         (AvatarWindow *window);
/* The result view shows every size of the new avatar. */
gboolean    avatar_test_ui_all_variants_shown (AvatarWindow *window);

/* The first of @root and its descendants, depth first, that @match accepts, or NULL. */
typedef gboolean (*AvatarTestUiMatch) (GtkWidget     *widget,
                                       gconstpointer  data);
GtkWidget  *avatar_test_ui_find_widget (GtkWidget         *root,
                                        AvatarTestUiMatch  match,
                                        gconstpointer      data);

/* What the tests read of a window, through the widgets that show it or the
 * window's properties; NULL once the window is closed. */
/* The template child called @name (the id in avatar-window.ui). */
gpointer              avatar_test_ui_get_child           (AvatarWindow      *window,
                                                          const char        *name);
/* "loading", "signed-out", "welcome", "error", "crop", "progress" or "result" */
const char           *avatar_test_ui_get_page            (AvatarWindow      *window);
/* The message in view: on the banner, in a toast or on the error page. */
const char           *avatar_test_ui_get_message         (AvatarWindow      *window);
/* AvatarWindow's properties, borrowed: the window keeps the objects, and
 * the copies of the boxed ones, until it is finalized. */
AvatarImage          *avatar_test_ui_get_image           (AvatarWindow      *window);
AvatarFlow           *avatar_test_ui_get_flow            (AvatarWindow      *window);
const AvatarProfile  *avatar_test_ui_get_profile         (AvatarWindow      *window);
const AvatarPrepared *avatar_test_ui_get_prepared        (AvatarWindow      *window);
/* The decoded picture of a variant in the result view, once it is shown. */
GdkTexture           *avatar_test_ui_get_variant_texture (AvatarWindow      *window,
                                                          AvatarVariantKind  kind);
/* The open "Remove Avatar" confirmation or account dialog, or NULL. */
GtkWidget            *avatar_test_ui_get_remove_dialog   (AvatarWindow      *window);
GtkWidget            *avatar_test_ui_get_account_dialog  (AvatarWindow      *window);
/* TRUE while the progress bar pulses, for want of anything to measure. */
gboolean              avatar_test_ui_is_progress_pulsing (AvatarWindow      *window);

/* The first window of @type that is transient for @parent, or of any
 * parent when that is NULL; or NULL. */
GtkWindow    *avatar_test_ui_find_window       (GType              type,
                                                GtkWindow         *parent);
/* The shortcuts window, once it is mapped. */
GtkWindow    *avatar_test_ui_find_shortcuts_window (void);
/* The application's active window when it is an AvatarWindow, or NULL. */
AvatarWindow *avatar_test_ui_get_active_window (AvatarApplication *app);
/* Runs ui->app signed in with ui's tokens, given in its environment,
 * opening @path (nullable), and calls @scenario once its main loop runs;
 * asserts that it exits with 0. */
void          avatar_test_ui_run_app           (AvatarTestUi      *ui,
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
                   #condition, avatar_test_ui_get_page ((ui)->window),        \
                   avatar_test_ui_get_message ((ui)->window));                \
        if (!g_main_context_iteration (NULL, FALSE))                          \
          g_usleep (1000);                                                    \
      }                                                                       \
  } G_STMT_END

G_END_DECLS
