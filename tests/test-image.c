/* test-image.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "avatar-error.h"
#include "avatar-image.h"
#include "avatar-test-images.h"

/* Loading files ------------------------------------------------------------- */

/* Writes @bytes to a file @name in a new temporary folder;
 * remove_temp_file() removes both. */
static GFile *
write_temp_file (GBytes     *bytes,
                 const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("avatar-test-XXXXXX", &error);
  g_autofree char *path = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, name, NULL);
  avatar_test_write_file (path, bytes);

  return g_file_new_for_path (path);
}

static void
remove_temp_file (GFile *file)
{
  g_autoptr(GFile) dir = g_file_get_parent (file);

  g_remove (g_file_peek_path (file));
  g_rmdir (g_file_peek_path (dir));
}

static void
test_load_type_from_bytes (void)
{
  g_autoptr(GBytes) png = avatar_test_image_new ("png", 64, 64);
  g_autoptr(GFile) file = write_temp_file (png, "photo.jpg");
  g_autoptr(GError) error = NULL;
  g_autoptr(AvatarImage) image = NULL;
  g_autoptr(AvatarPrepared) prepared = NULL;

  image = avatar_image_new_from_file (file, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (avatar_image_get_display_name (image), ==, "photo.jpg");
  g_assert_cmpstr (avatar_image_get_source_type (image), ==, "image/png");
  g_assert_cmpstr (avatar_image_get_format_name (image), ==, "PNG");

  prepared = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
  g_assert_true (prepared->passthrough);
  g_assert_cmpstr (prepared->content_type, ==, "image/png");

  remove_temp_file (file);
}

static void
assert_file_unreadable (const char *path,
                        const char *message_part)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(AvatarImage) image = NULL;

  image = avatar_image_new_from_file (file, NULL, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_UNREADABLE);
  if (message_part != NULL)
    g_assert_nonnull (strstr (error->message, message_part));
  g_assert_null (image);
}

static void
test_load_unreadable (void)
{
  assert_file_unreadable ("/nonexistent/avatar-test/missing-photo.png", "missing-photo.png");
  assert_file_unreadable (g_get_tmp_dir (), NULL);
  assert_file_unreadable ("/dev/null", NULL);
}

/* Orientation --------------------------------------------------------------- */

/* The 96 × 64 test pattern as a camera held at EXIF @orientation stores it. */
static GdkPixbuf *
stored_pattern_new (int orientation)
{
  g_autoptr(GdkPixbuf) upright = avatar_test_pattern_new (96, 64, FALSE);

  return avatar_test_unorient (upright, orientation);
}

/* @image is the 96 × 64 test pattern, stored with EXIF @orientation, and
 * its preview shows every cell where it belongs. */
static void
assert_loaded_upright (AvatarImage *image,
                       int          orientation)
{
  GdkPixbuf *preview = avatar_image_get_preview (image);

  g_assert_cmpint (avatar_image_get_orientation (image), ==, orientation);
  g_assert_cmpint (avatar_image_get_width (image), ==, 96);
  g_assert_cmpint (avatar_image_get_height (image), ==, 64);
  for (int row = 0; row < AVATAR_TEST_PATTERN_ROWS; row++)
    for (int column = 0; column < AVATAR_TEST_PATTERN_COLUMNS; column++)
      g_assert_true (avatar_test_pattern_cell_matches (preview, row, column));
}

/* The square holds the two left columns of cells, upright. */
static void
assert_left_square_upright (AvatarPrepared *prepared)
{
  g_autoptr(GdkPixbuf) output = avatar_test_decode_prepared (prepared);

  for (int row = 0; row < AVATAR_TEST_PATTERN_ROWS; row++)
    for (int column = 0; column < 2; column++)
      g_assert_true (avatar_test_color_near (output, 16 + 32 * column, 16 + 32 * row,
                                             avatar_test_pattern_color (row, column), 60));
}

static void
test_orientation (gconstpointer data)
{
  int orientation = GPOINTER_TO_INT (data);
  g_autoptr(GdkPixbuf) stored = stored_pattern_new (orientation);
  g_autoptr(GBytes) jpeg = avatar_test_jpeg_with_exif_new (stored, orientation, FALSE);
  g_autoptr(AvatarImage) image = avatar_test_load (jpeg, "turned.jpg");
  g_autoptr(AvatarPrepared) prepared = NULL;
  AvatarCrop left_square = { 0, 0, 64 };
  GdkPixbuf *preview = avatar_image_get_preview (image);
  AvatarChanges expected;

  assert_loaded_upright (image, orientation);
  /* An orientation tag alone says nothing about the person. */
  g_assert_false (avatar_image_get_has_metadata (image));
  g_assert_cmpint (gdk_pixbuf_get_width (preview), ==, 96);
  g_assert_cmpint (gdk_pixbuf_get_height (preview), ==, 64);

  g_assert_false (avatar_image_would_pass_through (image, &left_square, AVATAR_PREPARE_NONE));
  prepared = avatar_test_prepare (image, &left_square, AVATAR_PREPARE_NONE);
  g_assert_false (prepared->passthrough);
  g_assert_cmpstr (prepared->content_type, ==, "image/jpeg");
  g_assert_cmpint (prepared->width, ==, 64);

  expected = AVATAR_CHANGE_CROPPED | AVATAR_CHANGE_REENCODED;
  if (orientation != 1)
    expected |= AVATAR_CHANGE_ROTATED;
  g_assert_cmphex (prepared->changes, ==, expected);
  assert_left_square_upright (prepared);
}

static void
test_metadata_png_orientation (void)
{
  g_autoptr(GdkPixbuf) stored = stored_pattern_new (6);
  g_autoptr(GBytes) png = avatar_test_encode (stored, "png");
  g_autoptr(GBytes) exif = avatar_test_exif_new (6, FALSE);
  g_autoptr(GBytes) turned = avatar_test_png_with_exif (png, exif);
  g_autoptr(AvatarImage) image = avatar_test_load (turned, "turned.png");

  assert_loaded_upright (image, 6);
}

/* libtiff turns orientations 2-4 itself and leaves 5-8 half done; the
 * picture must come out upright either way. */
static void
test_orientation_tiff (gconstpointer data)
{
  int orientation = GPOINTER_TO_INT (data);
  g_autoptr(GdkPixbuf) stored = stored_pattern_new (orientation);
  g_autoptr(GBytes) tiff = avatar_test_tiff_with_orientation_new (stored, orientation);
  g_autoptr(AvatarImage) image = avatar_test_load (tiff, "turned.tiff");
  g_autoptr(AvatarPrepared) prepared = NULL;
  AvatarCrop left_square = { 0, 0, 64 };

  assert_loaded_upright (image, orientation);

  prepared = avatar_test_prepare (image, &left_square, AVATAR_PREPARE_NONE);
  g_assert_cmphex (prepared->changes, ==, AVATAR_CHANGE_CONVERTED | AVATAR_CHANGE_CROPPED |
                                          AVATAR_CHANGE_ROTATED | AVATAR_CHANGE_REENCODED);
  assert_left_square_upright (prepared);
}

/* Preview ------------------------------------------------------------------- */

static void
test_preview_scaled (void)
{
  g_autoptr(GBytes) png = avatar_test_image_new ("png", 3000, 1000);
  g_autoptr(GBytes) jpeg = avatar_test_image_new ("jpeg", 1000, 3000);
  g_autoptr(AvatarImage) wide = avatar_test_load (png, "wide.png");
  g_autoptr(AvatarImage) tall = avatar_test_load (jpeg, "tall.jpg");
  GdkPixbuf *preview;

  preview = avatar_image_get_preview (wide);
  g_assert_cmpint (gdk_pixbuf_get_width (preview), ==, AVATAR_IMAGE_PREVIEW_MAX_SIDE);
  g_assert_cmpint (gdk_pixbuf_get_height (preview), ==, 341);
  g_assert_cmpfloat_with_epsilon (avatar_image_get_preview_scale (wide), 1024.0 / 3000.0, 0.001);
  g_assert_true (avatar_test_pattern_cell_matches (preview, 1, 2));

  preview = avatar_image_get_preview (tall);
  g_assert_cmpint (gdk_pixbuf_get_height (preview), ==, AVATAR_IMAGE_PREVIEW_MAX_SIDE);
  g_assert_cmpint (avatar_image_get_width (tall), ==, 1000);
  g_assert_cmpint (avatar_image_get_height (tall), ==, 3000);
}

/* Crop ---------------------------------------------------------------------- */

static AvatarImage *
load_pattern (int width,
              int height)
{
  g_autoptr(GBytes) png = avatar_test_image_new ("png", width, height);

  return avatar_test_load (png, "pattern.png");
}

typedef struct
{
  int        width;     /* of the picture */
  int        height;
  AvatarCrop given;     /* to clamp */
  AvatarCrop expected;
} CropCase;

/* Each case's crop, made by the default rule or clamped, is the one expected. */
static void
assert_crop_rule (const CropCase *cases,
                  guint           n_cases,
                  gboolean        clamp)
{
  for (guint i = 0; i < n_cases; i++)
    {
      g_autoptr(AvatarImage) image = load_pattern (cases[i].width, cases[i].height);
      int width = avatar_image_get_width (image);
      int height = avatar_image_get_height (image);
      AvatarCrop crop = cases[i].given;

      if (clamp)
        avatar_crop_clamp (&crop, width, height);
      else
        avatar_crop_init_default (&crop, width, height);

      g_assert_cmpint (crop.x, ==, cases[i].expected.x);
      g_assert_cmpint (crop.y, ==, cases[i].expected.y);
      g_assert_cmpint (crop.size, ==, cases[i].expected.size);
    }
}

static void
test_crop_default (void)
{
  static const CropCase cases[] = {
    { 300, 200, { 0 }, { 50, 0, 200 } },
    { 200, 301, { 0 }, { 0, 50, 200 } },
    { 64, 64, { 0 }, { 0, 0, 64 } },
  };

  assert_crop_rule (cases, G_N_ELEMENTS (cases), FALSE);
}

static void
test_crop_clamp (void)
{
  static const CropCase cases[] = {
    { 300, 200, { -10, -10, 500 }, { 0, 0, 200 } },
    { 300, 200, { 290, 190, 10 },
      { 300 - AVATAR_IMAGE_MIN_CROP, 200 - AVATAR_IMAGE_MIN_CROP, AVATAR_IMAGE_MIN_CROP } },
    { 300, 200, { 120, 30, 100 }, { 120, 30, 100 } },
    /* Smaller than the minimum: the short side is the most there is. */
    { 30, 20, { 5, 5, 5 }, { 5, 0, 20 } },
  };

  assert_crop_rule (cases, G_N_ELEMENTS (cases), TRUE);
}

/* Async --------------------------------------------------------------------- */

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
on_timeout (gpointer user_data)
{
  g_error ("Timed out waiting for an asynchronous result");
  return G_SOURCE_REMOVE;
}

static void
wait_for (GAsyncResult **result)
{
  guint timeout = g_timeout_add_seconds (120, on_timeout, NULL);

  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (timeout);
}

/* avatar_image_load_bytes_async(), and its answer. */
static AvatarImage *
load_bytes_and_wait (GBytes        *bytes,
                     const char    *name,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  avatar_image_load_bytes_async (bytes, name, cancellable, store_result, &result);
  wait_for (&result);
  return avatar_image_load_bytes_finish (result, error);
}

/* avatar_image_prepare_async() with the default crop, and its answer. */
static AvatarPrepared *
prepare_and_wait (AvatarImage   *image,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  avatar_image_prepare_async (image, NULL, AVATAR_PREPARE_NONE, cancellable, store_result, &result);
  wait_for (&result);
  return avatar_image_prepare_finish (image, result, error);
}

static void
test_async (void)
{
  g_autoptr(GBytes) gif = avatar_test_animated_gif_new (96, 64, 2);
  g_autoptr(GBytes) png = avatar_test_image_new ("png", 64, 64);
  g_autoptr(GFile) file = write_temp_file (png, "async.png");
  g_autoptr(GAsyncResult) loaded_file = NULL;
  g_autoptr(AvatarImage) image = NULL;
  g_autoptr(AvatarImage) from_file = NULL;
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(AvatarPrepared) copy = NULL;
  g_autoptr(GError) error = NULL;

  image = load_bytes_and_wait (gif, "async.gif", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (avatar_image_get_width (image), ==, 96);

  prepared = prepare_and_wait (image, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (prepared->width, ==, 64);
  g_assert_true (prepared->changes & AVATAR_CHANGE_ANIMATION_REMOVED);

  copy = g_boxed_copy (AVATAR_TYPE_PREPARED, prepared);
  g_assert_true (g_bytes_equal (copy->bytes, prepared->bytes));
  g_assert_cmpstr (copy->content_type, ==, prepared->content_type);
  g_assert_cmphex (copy->changes, ==, prepared->changes);

  avatar_image_load_file_async (file, NULL, store_result, &loaded_file);
  wait_for (&loaded_file);
  from_file = avatar_image_load_file_finish (loaded_file, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (avatar_image_get_bytes (from_file), png));

  remove_temp_file (file);
}

/* Several pictures opened and prepared at once, each in its own worker. */
static void
test_async_parallel (void)
{
  const char *formats[] = { "png", "jpeg", "webp", "gif", "bmp", "tiff" };
  GAsyncResult *loaded[G_N_ELEMENTS (formats)] = { NULL, };
  GAsyncResult *prepared[G_N_ELEMENTS (formats)] = { NULL, };
  AvatarImage *images[G_N_ELEMENTS (formats)] = { NULL, };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GBytes) bytes = avatar_test_image_new (formats[i], 120, 80);

      avatar_image_load_bytes_async (bytes, formats[i], NULL, store_result, &loaded[i]);
    }

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GError) error = NULL;

      wait_for (&loaded[i]);
      images[i] = avatar_image_load_bytes_finish (loaded[i], &error);
      g_assert_no_error (error);
      avatar_image_prepare_async (images[i], NULL, AVATAR_PREPARE_NONE, NULL, store_result, &prepared[i]);
    }

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AvatarPrepared) result = NULL;
      g_autoptr(GdkPixbuf) output = NULL;

      wait_for (&prepared[i]);
      result = avatar_image_prepare_finish (images[i], prepared[i], &error);
      g_assert_no_error (error);
      g_assert_cmpint (result->width, ==, 80);
      output = avatar_test_decode_prepared (result);
      /* The centred square starts in the middle column of cells. */
      g_assert_true (avatar_test_color_near (output, 40, 60, avatar_test_pattern_color (1, 1), 60));

      g_object_unref (loaded[i]);
      g_object_unref (prepared[i]);
      g_object_unref (images[i]);
    }
}

static void
test_async_cancelled (void)
{
  g_autoptr(GBytes) png = avatar_test_image_new ("png", 96, 64);
  g_autoptr(AvatarImage) image = avatar_test_load (png, "cancel.png");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(AvatarImage) not_loaded = NULL;
  g_autoptr(AvatarPrepared) not_prepared = NULL;
  g_autoptr(GError) load_error = NULL;
  g_autoptr(GError) prepare_error = NULL;

  g_cancellable_cancel (cancellable);

  not_loaded = load_bytes_and_wait (png, "cancel.png", cancellable, &load_error);
  g_assert_error (load_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (not_loaded);

  not_prepared = prepare_and_wait (image, cancellable, &prepare_error);
  g_assert_error (prepare_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (not_prepared);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/image/load/type-from-bytes", test_load_type_from_bytes);
  g_test_add_func ("/image/load/unreadable", test_load_unreadable);

  for (int orientation = 1; orientation <= 8; orientation++)
    {
      g_autofree char *path = g_strdup_printf ("/image/orientation/%d", orientation);

      g_test_add_data_func (path, GINT_TO_POINTER (orientation), test_orientation);
    }

  for (int orientation = 2; orientation <= 8; orientation++)
    {
      g_autofree char *path = g_strdup_printf ("/image/orientation/tiff-%d", orientation);

      g_test_add_data_func (path, GINT_TO_POINTER (orientation), test_orientation_tiff);
    }

  g_test_add_func ("/image/metadata/png-orientation", test_metadata_png_orientation);

  g_test_add_func ("/image/preview/scaled", test_preview_scaled);

  g_test_add_func ("/image/crop/default", test_crop_default);
  g_test_add_func ("/image/crop/clamp", test_crop_clamp);

  g_test_add_func ("/image/async/load-and-prepare", test_async);
  g_test_add_func ("/image/async/parallel", test_async_parallel);
  g_test_add_func ("/image/async/cancelled", test_async_cancelled);

  return g_test_run ();
}
