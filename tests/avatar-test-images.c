/* avatar-test-images.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The test pattern and noise, and the helpers that read pictures back,
 * load and prepare them; avatar-test-formats.c writes the files.
 */

#include "config.h"

#include <string.h>

#include "avatar-test-images.h"

static const guint32 pattern_colors[AVATAR_TEST_PATTERN_ROWS][AVATAR_TEST_PATTERN_COLUMNS] = {
  { 0xFF0000, 0x00FF00, 0x0000FF },
  { 0xFFFF00, 0xFF00FF, 0x00FFFF },
};

guint32
avatar_test_pattern_color (int row,
                           int column)
{
  g_assert_cmpint (row, >=, 0);
  g_assert_cmpint (row, <, AVATAR_TEST_PATTERN_ROWS);
  g_assert_cmpint (column, >=, 0);
  g_assert_cmpint (column, <, AVATAR_TEST_PATTERN_COLUMNS);

  return pattern_colors[row][column];
}

static void
put_pixel (GdkPixbuf *pixbuf,
           int        x,
           int        y,
           guint32    rgb,
           guint8     alpha)
{
  guint8 *p = gdk_pixbuf_get_pixels (pixbuf) +
              (gsize) y * gdk_pixbuf_get_rowstride (pixbuf) +
              (gsize) x * gdk_pixbuf_get_n_channels (pixbuf);

  p[0] = (rgb >> 16) & 0xFF;
  p[1] = (rgb >> 8) & 0xFF;
  p[2] = rgb & 0xFF;
  if (gdk_pixbuf_get_has_alpha (pixbuf))
    p[3] = alpha;
}

GdkPixbuf *
avatar_test_pattern_new (int      width,
                         int      height,
                         gboolean with_alpha)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, with_alpha, 8, width, height);

  g_assert_nonnull (pixbuf);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        int row = y * AVATAR_TEST_PATTERN_ROWS / height;
        int column = x * AVATAR_TEST_PATTERN_COLUMNS / width;
        /* With alpha, the top-left cell is see-through. */
        guint8 alpha = (with_alpha && row == 0 && column == 0) ? 0 : 0xFF;

        put_pixel (pixbuf, x, y, pattern_colors[row][column], alpha);
      }

  return pixbuf;
}

gboolean
avatar_test_color_near (GdkPixbuf *pixbuf,
                        int        x,
                        int        y,
                        guint32    rgb,
                        int        tolerance)
{
  const guint8 *p;

  g_assert_cmpint (x, <, gdk_pixbuf_get_width (pixbuf));
  g_assert_cmpint (y, <, gdk_pixbuf_get_height (pixbuf));

  p = gdk_pixbuf_read_pixels (pixbuf) +
      (gsize) y * gdk_pixbuf_get_rowstride (pixbuf) +
      (gsize) x * gdk_pixbuf_get_n_channels (pixbuf);

  return ABS ((int) p[0] - (int) ((rgb >> 16) & 0xFF)) <= tolerance &&
         ABS ((int) p[1] - (int) ((rgb >> 8) & 0xFF)) <= tolerance &&
         ABS ((int) p[2] - (int) (rgb & 0xFF)) <= tolerance;
}

gboolean
avatar_test_pattern_cell_matches (GdkPixbuf *pixbuf,
                                  int        row,
                                  int        column)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int x = (2 * column + 1) * width / (2 * AVATAR_TEST_PATTERN_COLUMNS);
  int y = (2 * row + 1) * height / (2 * AVATAR_TEST_PATTERN_ROWS);

  return avatar_test_color_near (pixbuf, x, y, pattern_colors[row][column], 60);
}

GBytes *
avatar_test_image_new (const char *format,
                       int         width,
                       int         height)
{
  g_autoptr(GdkPixbuf) pattern = avatar_test_pattern_new (width, height, FALSE);

  return avatar_test_encode (pattern, format);
}

/* Noise --------------------------------------------------------------------- */

GdkPixbuf *
avatar_test_noise_pixbuf_new (int      side,
                              gboolean with_alpha)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, with_alpha, 8, side, side);
  g_autoptr(GRand) rand = g_rand_new_with_seed (side);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  int row_bytes = side * gdk_pixbuf_get_n_channels (pixbuf);

  for (int y = 0; y < side; y++)
    {
      guint8 *row = pixels + (gsize) y * rowstride;

      for (int i = 0; i + 4 <= row_bytes; i += 4)
        {
          guint32 r = g_rand_int (rand);
          memcpy (row + i, &r, 4);
        }
      for (int i = row_bytes - row_bytes % 4; i < row_bytes; i++)
        row[i] = g_rand_int (rand) & 0xFF;
    }

  return pixbuf;
}

GBytes *
avatar_test_noise_png_new (int      side,
                           gboolean with_alpha,
                           gsize    pad_to)
{
  g_autoptr(GdkPixbuf) noise = avatar_test_noise_pixbuf_new (side, with_alpha);
  g_autoptr(GBytes) png = avatar_test_encode (noise, "png");
  g_autofree guint8 *padding = NULL;
  gsize size = g_bytes_get_size (png);

  if (pad_to == 0)
    return g_steal_pointer (&png);

  g_assert_cmpuint (pad_to, >=, size + 12);
  padding = g_malloc0 (pad_to - size - 12);
  /* "avTp": ancillary, private, safe to copy; readers skip it. */
  return avatar_test_png_insert_chunk (png, "avTp", padding, pad_to - size - 12);
}

/* Bytes --------------------------------------------------------------------- */

GBytes *
avatar_test_truncate (GBytes *bytes,
                      gsize   size)
{
  g_assert_cmpuint (size, <=, g_bytes_get_size (bytes));
  return g_bytes_new_from_bytes (bytes, 0, size);
}

gboolean
avatar_test_bytes_contain (GBytes     *bytes,
                           const void *needle,
                           gsize       needle_size)
{
  const guint8 *data;
  gsize size;

  data = g_bytes_get_data (bytes, &size);
  if (needle_size == 0)
    return TRUE;

  for (gsize i = 0; i + needle_size <= size; i++)
    if (memcmp (data + i, needle, needle_size) == 0)
      return TRUE;

  return FALSE;
}

GdkPixbuf *
avatar_test_decode (GBytes *bytes)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GError) error = NULL;
  GdkPixbuf *pixbuf;

  gdk_pixbuf_loader_write_bytes (loader, bytes, &error);
  g_assert_no_error (error);
  gdk_pixbuf_loader_close (loader, &error);
  g_assert_no_error (error);

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_nonnull (pixbuf);

  return g_object_ref (pixbuf);
}

AvatarImage *
avatar_test_load (GBytes     *bytes,
                  const char *name)
{
  g_autoptr(GError) error = NULL;
  AvatarImage *image;

  image = avatar_image_new_from_bytes (bytes, name, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (image);

  return image;
}

AvatarPrepared *
avatar_test_prepare (AvatarImage        *image,
                     const AvatarCrop   *crop,
                     AvatarPrepareFlags  flags)
{
  g_autoptr(GError) error = NULL;
  AvatarPrepared *prepared;

  prepared = avatar_image_prepare (image, crop, flags, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (prepared);
  g_assert_cmpuint (g_bytes_get_size (prepared->bytes), <=, AVATAR_IMAGE_MAX_UPLOAD_BYTES);
  g_assert_cmpint (prepared->width, ==, prepared->height);

  return prepared;
}

GdkPixbuf *
avatar_test_decode_prepared (AvatarPrepared *prepared)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) mime_types = NULL;
  GdkPixbuf *pixbuf;

  loader = gdk_pixbuf_loader_new_with_mime_type (prepared->content_type, &error);
  g_assert_no_error (error);
  gdk_pixbuf_loader_write_bytes (loader, prepared->bytes, &error);
  g_assert_no_error (error);
  gdk_pixbuf_loader_close (loader, &error);
  g_assert_no_error (error);

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_nonnull (pixbuf);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, prepared->width);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, prepared->height);

  mime_types = gdk_pixbuf_format_get_mime_types (gdk_pixbuf_loader_get_format (loader));
  g_assert_true (g_strv_contains ((const char * const *) mime_types, prepared->content_type));

  return g_object_ref (pixbuf);
}

void
avatar_test_write_file (const char *path,
                        GBytes     *bytes)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
}

