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

/* Loading and refusing ------------------------------------------------------ */

static void
assert_load_fails (GBytes     *bytes,
                   const char *name,
                   int         code,
                   const char *message_part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AvatarImage) image = NULL;

  image = avatar_image_new_from_bytes (bytes, name, NULL, &error);
  g_assert_error (error, AVATAR_ERROR, code);
  g_assert_null (image);
  g_assert_nonnull (strstr (error->message, name));
  if (message_part != NULL)
    g_assert_nonnull (strstr (error->message, message_part));
}

/* A copy of the bytes of @bytes to change, of *@size bytes. */
static guint8 *
copy_data (GBytes *bytes,
           gsize  *size)
{
  return g_memdup2 (g_bytes_get_data (bytes, size), g_bytes_get_size (bytes));
}

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
test_load_empty (void)
{
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);

  assert_load_fails (empty, "empty.png", AVATAR_ERROR_INVALID_IMAGE, "empty");
}

static void
test_load_not_an_image (void)
{
  static const char text[] = "Dear diary, today I chose a new avatar.\n";
  g_autoptr(GBytes) text_bytes = g_bytes_new_static (text, sizeof text - 1);
  g_autoptr(GBytes) png = avatar_test_image_new ("png", 32, 32);
  g_autoptr(GBytes) wrong_magic = NULL;
  guint8 *copy;
  gsize size;

  assert_load_fails (text_bytes, "notes.png", AVATAR_ERROR_INVALID_IMAGE, NULL);

  /* A PNG whose signature lost a byte is no PNG any more. */
  copy = copy_data (png, &size);
  copy[1] = 'X';
  wrong_magic = g_bytes_new_take (copy, size);
  assert_load_fails (wrong_magic, "broken.png", AVATAR_ERROR_INVALID_IMAGE, NULL);
}

static void
test_load_truncated (void)
{
  const char *formats[] = { "png", "jpeg", "gif", "webp" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GBytes) whole = avatar_test_image_new (formats[i], 96, 64);
      gsize size = g_bytes_get_size (whole);
      gsize cuts[] = { size / 2, size - 3 };

      for (guint j = 0; j < G_N_ELEMENTS (cuts); j++)
        {
          g_autoptr(GBytes) cut = avatar_test_truncate (whole, cuts[j]);

          g_test_message ("%s cut to %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes",
                          formats[i], cuts[j], size);
          assert_load_fails (cut, "cut-short", AVATAR_ERROR_INVALID_IMAGE, NULL);
        }
    }
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

/* The bytes of a 16 × 16 test picture in @format, to change. */
static guint8 *
small_image_data (const char *format,
                  gsize      *size)
{
  g_autoptr(GBytes) bytes = avatar_test_image_new (format, 16, 16);

  return copy_data (bytes, size);
}

/* A JPEG whose frame header declares 60000 × 60000. */
static GBytes *
big_jpeg_new (void)
{
  gsize size;
  guint8 *data = small_image_data ("jpeg", &size);

  for (gsize i = 2; i + 9 < size; i++)
    if (data[i] == 0xFF && data[i + 1] == 0xC0)
      {
        data[i + 5] = 0xEA; data[i + 6] = 0x60; /* 60000 high */
        data[i + 7] = 0xEA; data[i + 8] = 0x60; /* 60000 wide */
        break;
      }
  return g_bytes_new_take (data, size);
}

/* A GIF whose logical screen is 65535 × 65535. */
static GBytes *
big_gif_new (void)
{
  gsize size;
  guint8 *data = small_image_data ("gif", &size);

  data[6] = data[7] = data[8] = data[9] = 0xFF;
  return g_bytes_new_take (data, size);
}

/* A TIFF that declares 20000 × 20000. */
static GBytes *
big_tiff_new (void)
{
  gsize size;
  guint8 *data = small_image_data ("tiff", &size);
  gboolean little = data[0] == 'I';
  guint32 ifd = little ? (data[4] | data[5] << 8 | data[6] << 16 | (guint32) data[7] << 24)
                       : ((guint32) data[4] << 24 | data[5] << 16 | data[6] << 8 | data[7]);
  guint n = little ? (data[ifd] | data[ifd + 1] << 8) : (data[ifd] << 8 | data[ifd + 1]);

  for (guint i = 0; i < n; i++)
    {
      guint8 *entry = data + ifd + 2 + i * 12;
      guint tag = little ? (entry[0] | entry[1] << 8) : (entry[0] << 8 | entry[1]);

      if (tag == 0x0100 || tag == 0x0101)
        {
          /* LONG 20000, whatever type the writer chose: within what
           * the TIFF loader itself accepts, beyond our limits. */
          entry[2] = little ? 4 : 0;
          entry[3] = little ? 0 : 4;
          if (little)
            { entry[8] = 0x20; entry[9] = 0x4E; entry[10] = 0; entry[11] = 0; }
          else
            { entry[8] = 0; entry[9] = 0; entry[10] = 0x4E; entry[11] = 0x20; }
        }
    }
  return g_bytes_new_take (data, size);
}

static void
test_load_decompression_bomb (void)
{
  struct {
    GBytes     *bytes;
    const char *name;
    const char *declared;
  } bombs[] = {
    { avatar_test_png_declaring_size (100000, 100000), "bomb.png", "100000" },
    { avatar_test_png_declaring_size (AVATAR_IMAGE_MAX_SIDE + 1, 1), "wide.png", "16385" },
    { avatar_test_png_declaring_size (10001, 10001), "many.png", "10001" },
    /* The dimensions in a JPEG's frame header, and a GIF's logical screen. */
    { big_jpeg_new (), "bomb.jpg", "60000" },
    { big_gif_new (), "bomb.gif", "65535" },
    /* TIFF headers are not read here: the decoder's size check stops it. */
    { big_tiff_new (), "bomb.tiff", "20000" },
  };

  g_assert_cmpuint (g_bytes_get_size (bombs[0].bytes), <, 200);

  /* Under AddressSanitizer, an attempt to allocate 40 GB aborts the test:
   * passing means nothing of that size was asked for. */
  for (guint i = 0; i < G_N_ELEMENTS (bombs); i++)
    {
      assert_load_fails (bombs[i].bytes, bombs[i].name, AVATAR_ERROR_TOO_MANY_PIXELS, bombs[i].declared);
      g_bytes_unref (bombs[i].bytes);
    }
}

static gboolean
has_loader_for (const char *mime_type)
{
  g_autoptr(GSList) formats = gdk_pixbuf_get_formats ();

  for (GSList *l = formats; l != NULL; l = l->next)
    {
      g_auto(GStrv) mime_types = gdk_pixbuf_format_get_mime_types (l->data);

      if (g_strv_contains ((const char * const *) mime_types, mime_type))
        return TRUE;
    }
  return FALSE;
}

static void
test_load_unsupported (void)
{
  static const guint8 heic[] = {
    0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0, 0, 0,
    'm', 'i', 'f', '1', 'h', 'e', 'i', 'c', 0, 0, 0, 8, 'm', 'e', 't', 'a',
  };
  static const guint8 psd[] = { '8', 'B', 'P', 'S', 0, 1, 0, 0, 0, 0, 0, 0, 0, 3 };
  g_autoptr(GBytes) psd_bytes = g_bytes_new_static (psd, sizeof psd);

  /* gdk-pixbuf never had a Photoshop loader. */
  assert_load_fails (psd_bytes, "layers.psd", AVATAR_ERROR_UNSUPPORTED_TYPE,
                     "Photoshop images cannot be read on this system");

  if (!has_loader_for ("image/heic") && !has_loader_for ("image/heif"))
    {
      g_autoptr(GBytes) heic_bytes = g_bytes_new_static (heic, sizeof heic);

      assert_load_fails (heic_bytes, "IMG_0001.HEIC", AVATAR_ERROR_UNSUPPORTED_TYPE,
                         "HEIC images cannot be read on this system");
    }
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

/* An 8 × 8 BMP of 1 bit a pixel, with a two-colour palette, and
 * @colors and @pixels_at for the palette count and where the pixels
 * start in its header. */
static GBytes *
bmp_new (guint32 colors,
         guint32 pixels_at)
{
  guint8 bmp[14 + 40 + 8 + 8 * 4] = { 'B', 'M' };
  guint32 fields[] = { sizeof bmp, 0, pixels_at, 40, 8, 8 };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      guint32 le = GUINT32_TO_LE (fields[i]);

      memcpy (bmp + 2 + 4 * i, &le, 4);
    }
  bmp[26] = 1;  /* planes */
  bmp[28] = 1;  /* bits a pixel */
  colors = GUINT32_TO_LE (colors);
  memcpy (bmp + 46, &colors, 4);
  memset (bmp + 14 + 40 + 4, 0xFF, 3);  /* colour 1 is white */
  memset (bmp + 14 + 40 + 8, 0x55, 8 * 4);

  return g_bytes_new (bmp, sizeof bmp);
}

static void
test_load_bmp_header (void)
{
  g_autoptr(GBytes) valid = bmp_new (2, 14 + 40 + 8);
  g_autoptr(GBytes) negative_palette = bmp_new (0xFF000000, 14 + 40 + 8);
  g_autoptr(GBytes) far_pixels = bmp_new (2, 0x80000000);
  g_autoptr(AvatarImage) image = avatar_test_load (valid, "valid.bmp");

  g_assert_cmpint (avatar_image_get_width (image), ==, 8);

  /* gdk-pixbuf would take a count of 2^31 or more as negative, and go on
   * for gigabytes; and it would buffer 2 GB to find the pixels. */
  assert_load_fails (negative_palette, "palette.bmp", AVATAR_ERROR_INVALID_IMAGE, NULL);
  assert_load_fails (far_pixels, "offset.bmp", AVATAR_ERROR_INVALID_IMAGE, NULL);
}

/* An animated WebP whose only frame holds no pixels: webp-pixbuf-loader
 * fails to make its animation, then says so with a critical. */
static void
test_load_webp_empty_frame (void)
{
  static const guint8 webp[] = {
    'R', 'I', 'F', 'F', 4 + 18 + 14 + 32, 0, 0, 0, 'W', 'E', 'B', 'P',
    'V', 'P', '8', 'X', 10, 0, 0, 0, 0x02, 0, 0, 0, 7, 0, 0, 7, 0, 0,
    'A', 'N', 'I', 'M', 6, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    'A', 'N', 'M', 'F', 24, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 7, 0, 0, 7, 0, 0, 100, 0, 0, 0,
    'J', 'U', 'N', 'K', 0, 0, 0, 0,
  };
  g_autoptr(GBytes) bytes = g_bytes_new_static (webp, sizeof webp);

  assert_load_fails (bytes, "frame.webp", AVATAR_ERROR_INVALID_IMAGE, NULL);
}

static void
test_load_svg (void)
{
  static const char svg[] =
    "<?xml version='1.0'?>\n"
    "<svg xmlns='http://www.w3.org/2000/svg' width='96' height='64'>"
    "<rect width='96' height='64' fill='#00ff00'/></svg>\n";
  static const char huge_svg[] =
    "<svg xmlns='http://www.w3.org/2000/svg' width='20000' height='20000'>"
    "<rect width='20000' height='20000' fill='#00ff00'/></svg>\n";
  g_autoptr(GBytes) bytes = g_bytes_new_static (svg, sizeof svg - 1);
  g_autoptr(GBytes) huge = g_bytes_new_static (huge_svg, sizeof huge_svg - 1);
  g_autoptr(AvatarImage) image = NULL;
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(GdkPixbuf) output = NULL;

  if (!has_loader_for ("image/svg+xml"))
    {
      g_test_skip ("No SVG loader is installed");
      return;
    }

  image = avatar_test_load (bytes, "drawing.svg");
  g_assert_cmpstr (avatar_image_get_format_name (image), ==, "SVG");
  g_assert_cmpint (avatar_image_get_width (image), ==, 96);
  g_assert_cmpint (avatar_image_get_height (image), ==, 64);

  prepared = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
  g_assert_cmphex (prepared->changes, ==, AVATAR_CHANGE_CONVERTED | AVATAR_CHANGE_CROPPED |
                                          AVATAR_CHANGE_REENCODED);
  output = avatar_test_decode_prepared (prepared);
  g_assert_true (avatar_test_color_near (output, 32, 32, 0x00FF00, 40));

  /* Only the decoder knows an SVG's size: its own check must stop it. */
  assert_load_fails (huge, "poster.svg", AVATAR_ERROR_TOO_MANY_PIXELS, "20000");
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

/* Animation and preview ---------------------------------------------------- */

/* A frame that claims to be far taller than the canvas: gdk-pixbuf's WebP
 * loader prints criticals over it (fatal in the tests); this is a damaged
 * file, said in words. */
static void
test_animated_webp_damaged (void)
{
  g_autoptr(GBytes) webp = avatar_test_animated_webp_new (64, 3);
  g_autoptr(GBytes) damaged = avatar_test_webp_damage_frame_height (webp, 3, 0x7fff);

  assert_load_fails (damaged, "damaged.webp", AVATAR_ERROR_INVALID_IMAGE, "damaged");
}

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

/* Fuzzing the parsers in front of the decoder ------------------------------ */

static void
assert_clean_verdict (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AvatarImage) image = NULL;
  g_autoptr(AvatarPrepared) prepared = NULL;

  image = avatar_image_new_from_bytes (bytes, "fuzzed", NULL, &error);
  if (image == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == AVATAR_ERROR);
      return;
    }

  g_assert_cmpint (avatar_image_get_width (image), >, 0);
  g_assert_cmpint (avatar_image_get_height (image), >, 0);

  prepared = avatar_image_prepare (image, NULL, AVATAR_PREPARE_NONE, NULL, &error);
  if (prepared == NULL)
    g_assert_true (error->domain == AVATAR_ERROR);
  else
    g_assert_cmpuint (g_bytes_get_size (prepared->bytes), <=, AVATAR_IMAGE_MAX_UPLOAD_BYTES);
}

/* Every prefix, and a few hundred random corruptions, of small files
 * carrying the structures our own readers walk: EXIF, XMP, chunks, blocks. */
static void
test_fuzz_structure (void)
{
  g_autoptr(GdkPixbuf) pattern = avatar_test_pattern_new (24, 16, FALSE);
  g_autoptr(GdkPixbuf) turned = avatar_test_unorient (pattern, 6);
  g_autoptr(GBytes) png = avatar_test_encode (pattern, "png");
  g_autoptr(GBytes) exif = avatar_test_exif_new (3, TRUE);
  static const char xmp[] = "XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>";
  g_autoptr(GBytes) png_exif = avatar_test_png_with_exif (png, exif);
  g_autoptr(GBytes) png_both = avatar_test_png_insert_chunk (png_exif, "iTXt", xmp, sizeof xmp - 1);
  GBytes *sources[] = {
    avatar_test_jpeg_with_exif_new (turned, 6, TRUE),
    g_bytes_ref (png_both),
    avatar_test_webp_with_exif_new (pattern, 1, TRUE),
    avatar_test_gif_with_xmp_new (24, 16),
    avatar_test_animated_gif_new (16, 16, 3),
    avatar_test_encode (pattern, "bmp"),
    avatar_test_encode (pattern, "tiff"),
    avatar_test_encode (pattern, "ico"),
  };
  /* AVATAR_TEST_FUZZ_ROUNDS and AVATAR_TEST_FUZZ_SEED make longer or other
   * runs possible; the defaults keep the suite quick and repeatable. */
  const char *rounds_env = g_getenv ("AVATAR_TEST_FUZZ_ROUNDS");
  const char *seed_env = g_getenv ("AVATAR_TEST_FUZZ_SEED");
  guint n_rounds = rounds_env ? (guint) g_ascii_strtoull (rounds_env, NULL, 10) : 500;
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed_env ? (guint32) g_ascii_strtoull (seed_env, NULL, 10)
                                                          : 20240229);

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      gsize size = g_bytes_get_size (sources[i]);

      for (gsize length = 0; length <= size; length++)
        {
          g_autoptr(GBytes) prefix = avatar_test_truncate (sources[i], length);

          assert_clean_verdict (prefix);
        }

      for (guint round = 0; round < n_rounds; round++)
        {
          guint8 *copy = g_memdup2 (g_bytes_get_data (sources[i], NULL), size);
          g_autoptr(GBytes) mutated = NULL;
          guint n_changes = g_rand_int_range (rand, 1, 5);

          for (guint c = 0; c < n_changes; c++)
            {
              /* Headers and metadata sit near the start: aim there often. */
              gsize limit = g_rand_boolean (rand) ? MIN (size, 160) : size;

              copy[g_rand_int_range (rand, 0, limit)] = g_rand_int_range (rand, 0, 256);
            }

          mutated = g_bytes_new_take (copy, size);
          assert_clean_verdict (mutated);
        }

      g_bytes_unref (sources[i]);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/image/load/empty", test_load_empty);
  g_test_add_func ("/image/load/not-an-image", test_load_not_an_image);
  g_test_add_func ("/image/load/truncated", test_load_truncated);
  g_test_add_func ("/image/load/type-from-bytes", test_load_type_from_bytes);
  g_test_add_func ("/image/load/decompression-bomb", test_load_decompression_bomb);
  g_test_add_func ("/image/load/unsupported", test_load_unsupported);
  g_test_add_func ("/image/load/unreadable", test_load_unreadable);
  g_test_add_func ("/image/load/svg", test_load_svg);
  g_test_add_func ("/image/load/bmp-header", test_load_bmp_header);
  g_test_add_func ("/image/load/webp-empty-frame", test_load_webp_empty_frame);

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

  g_test_add_func ("/image/animated/webp-damaged", test_animated_webp_damaged);
  g_test_add_func ("/image/preview/scaled", test_preview_scaled);

  g_test_add_func ("/image/crop/default", test_crop_default);
  g_test_add_func ("/image/crop/clamp", test_crop_clamp);

  g_test_add_func ("/image/async/load-and-prepare", test_async);
  g_test_add_func ("/image/async/parallel", test_async_parallel);
  g_test_add_func ("/image/async/cancelled", test_async_cancelled);
  g_test_add_func ("/image/fuzz/structure", test_fuzz_structure);

  return g_test_run ();
}
