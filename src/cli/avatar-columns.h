/* avatar-columns.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Widths of text on a terminal, in columns: printf's widths count bytes,
 * which misaligns accented and wide characters.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How many terminal columns the UTF-8 @text takes. */
int   avatar_count_columns  (const char *text);
/* @text followed by spaces up to @columns terminal columns; @text itself
 * when it is as wide or wider. Returns: (transfer full) */
char *avatar_pad_to_columns (const char *text,
                             int         columns);

G_END_DECLS
