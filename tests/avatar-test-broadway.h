/* avatar-test-broadway.h
 *
 * Helpers for the tests that drive real widgets on a display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Initializes GTK for a test, in the C locale, without animations. */
void     avatar_test_ui_init            (int         *argc,
                                         char      ***argv);
/* Iterates the main context until @cond holds, for at most @timeout_ms. */
gboolean avatar_test_ui_wait_until      (gboolean  (*cond) (gpointer data),
                                         gpointer    data,
                                         guint       timeout_ms);
/* Waits until @window is mapped, has its size and painted a frame. */
void     avatar_test_ui_wait_for_paint  (GtkWindow  *window);
/* Renders @widget and saves it as $G_TEST_BUILDDIR/screenshots/@name.png. */
void     avatar_test_ui_save_screenshot (GtkWidget  *widget,
                                         const char *name);
/* Sends a key press through @widget's key controllers, as the keyboard would. */
gboolean avatar_test_ui_press_key       (GtkWidget       *widget,
                                         guint            keyval,
                                         GdkModifierType  state);

/* A mouse driven through gtk4-broadwayd's web socket, sending what its web
 * page sends for one: events come to the window through the display, with
 * Broadway's own button states (a release reports the state after it). */
typedef struct _AvatarTestPointer AvatarTestPointer;

/* Connects to the display of $BROADWAY_DISPLAY as its web page does and
 * finds @window there; @window must be mapped. */
AvatarTestPointer *avatar_test_pointer_new     (GtkWindow         *window);
/* Each returns once the window has received the event. @x and @y are in
 * @widget's coordinates. */
void               avatar_test_pointer_move    (AvatarTestPointer *pointer,
                                                GtkWidget         *widget,
                                                double             x,
                                                double             y);
void               avatar_test_pointer_press   (AvatarTestPointer *pointer);
void               avatar_test_pointer_release (AvatarTestPointer *pointer);
void               avatar_test_pointer_free    (AvatarTestPointer *pointer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvatarTestPointer, avatar_test_pointer_free)

G_END_DECLS
