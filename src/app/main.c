/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "avatar-application.h"

/* The translations of the installation this program is part of: under the
 * prefix it was built for, or, when it runs from a copy of that
 * installation under another root (meson install --destdir, as the
 * meson-install test stages it), under that root. */
static char *
dup_locale_dir (void)
{
  g_autofree char *program = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = program != NULL ? g_path_get_dirname (program) : NULL;
  gsize root_length;

  if (dir == NULL || !g_str_has_suffix (dir, BINDIR) || g_str_equal (dir, BINDIR))
    return g_strdup (LOCALEDIR);

  root_length = strlen (dir) - strlen (BINDIR);
  return g_strdup_printf ("%.*s%s", (int) root_length, dir, LOCALEDIR);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (AvatarApplication) app = NULL;
  g_autofree char *locale_dir = dup_locale_dir ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = avatar_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
