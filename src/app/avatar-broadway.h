/* avatar-broadway.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Under Broadway, ends the pointer grab that GTK (4.8, and 4.18 still)
 * leaves on the widget a click or drag pressed in @window; does nothing on
 * other displays. */
void avatar_broadway_release_grabs (GtkWindow *window);

G_END_DECLS
