/* test-decode.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The guarded decoder and the readers in front of it, through
 * AvatarImage: what they refuse, and in which words.
 */

#include "config.h"

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

/* Animation ----------------------------------------------------------------- */

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
  g_test_add_func ("/image/load/decompression-bomb", test_load_decompression_bomb);
  g_test_add_func ("/image/load/unsupported", test_load_unsupported);
  g_test_add_func ("/image/load/svg", test_load_svg);
  g_test_add_func ("/image/load/bmp-header", test_load_bmp_header);
  g_test_add_func ("/image/load/webp-empty-frame", test_load_webp_empty_frame);
  g_test_add_func ("/image/animated/webp-damaged", test_animated_webp_damaged);
  g_test_add_func ("/image/fuzz/structure", test_fuzz_structure);

  return g_test_run ();
}
