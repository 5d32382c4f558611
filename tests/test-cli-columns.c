/* test-cli-columns.c
 *
 * avatar-upload's progress labels padded by terminal columns: translations
 * with accents, wide and combining characters line up like English.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>

#include "avatar-columns.h"

static void
assert_padded (const char *label,
               int         columns,
               const char *expected)
{
  g_autofree char *padded = avatar_pad_to_columns (label, columns);

  g_assert_cmpstr (padded, ==, expected);
  g_assert_cmpint (avatar_count_columns (padded), ==, MAX (columns, avatar_count_columns (label)));
}

static void
test_count (void)
{
  g_assert_cmpint (avatar_count_columns (""), ==, 0);
  g_assert_cmpint (avatar_count_columns ("Uploading"), ==, 9);
  /* Two bytes for "é", one column. */
  g_assert_cmpint (avatar_count_columns ("Préparation"), ==, 11);
  /* "e" and a combining acute accent: one column. */
  g_assert_cmpint (avatar_count_columns ("Pre\xcc\x81paration"), ==, 11);
  /* Two wide characters: two columns each. */
  g_assert_cmpint (avatar_count_columns ("\xe6\xba\x96\xe5\x82\x99"), ==, 4);
}

static void
test_pad (void)
{
  g_autofree char *by_bytes = g_strdup_printf ("%-12s", "Préparation");

  /* What printf's width did: twelve bytes, one column short. */
  g_assert_cmpint (avatar_count_columns (by_bytes), ==, 11);

  assert_padded ("Uploading", 12, "Uploading   ");
  assert_padded ("Préparation", 12, "Préparation ");
  assert_padded ("Pre\xcc\x81paration", 12, "Pre\xcc\x81paration ");
  assert_padded ("\xe6\xba\x96\xe5\x82\x99", 12, "\xe6\xba\x96\xe5\x82\x99        ");
  /* Wider than the column: left as it is. */
  assert_padded ("Téléchargement", 12, "Téléchargement");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli-columns/count", test_count);
  g_test_add_func ("/cli-columns/pad", test_pad);

  return g_test_run ();
}
