/* avatar-test-broadway.h
 *
 * Helpers for the tests that drive real widgets on a display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

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

G_END_DECLS
