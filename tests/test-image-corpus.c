/* test-image-corpus.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every file of a corpus of valid, corrupt and fuzzed images gets a clean
 * verdict: it loads and prepares, or it is refused with an AVATAR_ERROR.
 * A crash, a hang or a sanitizer report fails the run.
 */

#include "config.h"

#include <string.h>

#include "avatar-error.h"
#include "avatar-image.h"

typedef enum
{
  EXPECT_ANY,
  /* PngSuite: the files named x* are broken on purpose, the others are
   * valid and must open. */
  EXPECT_PNGSUITE,
} Expectation;

typedef struct
{
  const char  *subdir;
  Expectation  expectation;
} CorpusCase;

static const CorpusCase cases[] = {
  { "pngsuite", EXPECT_PNGSUITE },
  { "imagetestsuite/gif", EXPECT_ANY },
  { "imagetestsuite/jpg", EXPECT_ANY },
  { "imagetestsuite/png", EXPECT_ANY },
};

static gboolean
is_image_file_name (const char *name)
{
  return g_str_has_suffix (name, ".png") || g_str_has_suffix (name, ".gif") ||
         g_str_has_suffix (name, ".jpg") || g_str_has_suffix (name, ".jpeg");
}

static GPtrArray *
list_images (const char *dir_path)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  dir = g_dir_open (dir_path, 0, &error);
  g_assert_no_error (error);

  while ((name = g_dir_read_name (dir)) != NULL)
    if (is_image_file_name (name))
      g_ptr_array_add (names, g_strdup (name));

  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  return names;
}

/* Returns TRUE when the file loaded and prepared. */
static gboolean
check_file (const char *path,
            const char *name)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(AvatarImage) image = NULL;
  g_autoptr(AvatarPrepared) prepared = NULL;

  image = avatar_image_new_from_file (file, NULL, &error);
  if (image == NULL)
    {
      g_assert_nonnull (error);
      if (error->domain != AVATAR_ERROR)
        g_error ("%s: refused outside the AVATAR_ERROR domain: %s",
                 name, error->message);
      g_assert_cmpuint (strlen (error->message), >, 0);
      g_test_message ("%s: refused: %s", name, error->message);
      return FALSE;
    }

  g_assert_cmpint (avatar_image_get_width (image), >, 0);
  g_assert_cmpint (avatar_image_get_height (image), >, 0);
  g_assert_nonnull (avatar_image_get_preview (image));
  g_assert_cmpint (MAX (gdk_pixbuf_get_width (avatar_image_get_preview (image)),
                        gdk_pixbuf_get_height (avatar_image_get_preview (image))),
                   <=, AVATAR_IMAGE_PREVIEW_MAX_SIDE);

  prepared = avatar_image_prepare (image, NULL, AVATAR_PREPARE_NONE, NULL, &error);
  if (prepared == NULL)
    {
      g_assert_nonnull (error);
      if (error->domain != AVATAR_ERROR)
        g_error ("%s: preparing failed outside the AVATAR_ERROR domain: %s",
                 name, error->message);
      g_test_message ("%s: loaded, but preparing refused: %s", name, error->message);
      return FALSE;
    }

  g_assert_cmpuint (g_bytes_get_size (prepared->bytes), <=, AVATAR_IMAGE_MAX_UPLOAD_BYTES);
  g_assert_cmpuint (g_bytes_get_size (prepared->bytes), >, 0);
  g_assert_cmpint (prepared->width, ==, prepared->height);
  return TRUE;
}

static void
test_corpus (gconstpointer data)
{
  const CorpusCase *corpus_case = data;
  const char *corpus = g_getenv ("AVATAR_TEST_CORPUS");
  g_autofree char *dir_path = NULL;
  g_autoptr(GPtrArray) names = NULL;
  guint n_loaded = 0;

  if (corpus == NULL || corpus[0] == '\0')
    {
      g_test_skip ("AVATAR_TEST_CORPUS is not set");
      return;
    }

  dir_path = g_build_filename (corpus, corpus_case->subdir, NULL);
  if (!g_file_test (dir_path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *reason = g_strdup_printf ("The image corpus is not at %s", dir_path);

      g_test_skip (reason);
      return;
    }

  names = list_images (dir_path);
  g_assert_cmpuint (names->len, >, 0);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      gint64 start = g_get_monotonic_time ();
      gboolean loaded = check_file (path, name);
      gint64 elapsed_ms = (g_get_monotonic_time () - start) / 1000;

      if (elapsed_ms > 2000)
        g_test_message ("%s: took %" G_GINT64_FORMAT " ms", name, elapsed_ms);

      if (corpus_case->expectation == EXPECT_PNGSUITE)
        {
          if (name[0] == 'x' && loaded)
            g_error ("%s is broken on purpose but was accepted", name);
          if (name[0] != 'x' && !loaded)
            g_error ("%s is a valid PNG but was refused", name);
        }

      n_loaded += loaded ? 1 : 0;
    }

  g_test_message ("%s: %u of %u files loaded and prepared, the rest refused cleanly",
                  corpus_case->subdir, n_loaded, names->len);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/image-corpus/%s", cases[i].subdir);

      g_test_add_data_func (path, &cases[i], test_corpus);
    }

  return g_test_run ();
}
