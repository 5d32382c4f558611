/* fuzz-replay.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A main() for a fuzz target without libFuzzer: runs every file of the
 * folders given (those that exist) through LLVMFuzzerTestOneInput once,
 * in name order, one TAP line each. A crash, a sanitizer report or a
 * critical fails the test.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-target.h"

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
collect_files (const char *dir_path,
               GPtrArray  *files)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect_files (path, files);
      else if (name[0] != '.')
        g_ptr_array_add (files, g_steal_pointer (&path));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);

      collect_files (argv[i], found);
      g_ptr_array_sort (found, compare_names);
      g_ptr_array_extend_and_steal (files, g_steal_pointer (&found));
    }

  /* No inputs means the seeds were not made: a failure, never a skip. */
  if (files->len == 0)
    {
      printf ("Bail out! no inputs in the folders given\n");
      return EXIT_FAILURE;
    }
  printf ("1..%u\n", files->len);

  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      g_autofree char *contents = NULL;
      gsize size = 0;
      g_autoptr(GError) error = NULL;

      if (!g_file_get_contents (path, &contents, &size, &error))
        {
          printf ("not ok %u - %s: %s\n", i + 1, path, error->message);
          return EXIT_FAILURE;
        }

      /* A copy of the exact size, so that ASan sees a read past the end. */
      {
        g_autofree guint8 *input = g_malloc (MAX (size, 1));

        memcpy (input, contents, size);

        LLVMFuzzerTestOneInput (input, size);
      }
      printf ("ok %u - %s\n", i + 1, path);
      fflush (stdout);
    }

  return EXIT_SUCCESS;
}
