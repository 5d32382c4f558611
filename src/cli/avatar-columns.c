/* avatar-columns.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "avatar-columns.h"

int
avatar_count_columns (const char *text)
{
  int columns = 0;

  g_return_val_if_fail (text != NULL, 0);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      columns += g_unichar_iswide (c) ? 2 : 1;
    }

  return columns;
}

char *
avatar_pad_to_columns (const char *text,
                       int         columns)
{
  int missing;

  g_return_val_if_fail (text != NULL, NULL);

  missing = MAX (0, columns - avatar_count_columns (text));

  return g_strdup_printf ("%s%*s", text, missing, "");
}
