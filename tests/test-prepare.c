/* test-prepare.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "avatar-image.h"
#include "avatar-test-images.h"

/* Preparing ----------------------------------------------------------------- */

static void
test_prepare_passthrough (void)
{
  const char *formats[] = { "jpeg", "png", "webp", "gif" };
  const char *types[] = { "image/jpeg", "image/png", "image/webp", "image/gif" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GBytes) bytes = avatar_test_image_new (formats[i], 64, 64);
      g_autoptr(AvatarImage) image = avatar_test_load (bytes, "square");
      g_autoptr(AvatarPrepared) prepared = NULL;
      g_auto(GStrv) sentences = NULL;

      g_assert_cmpstr (avatar_image_get_source_type (image), ==, types[i]);
      g_assert_false (avatar_image_get_has_metadata (image));
      g_assert_true (avatar_image_would_pass_through (image, NULL, AVATAR_PREPARE_NONE));

      prepared = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
      g_assert_true (prepared->passthrough);
      g_assert_true (g_bytes_equal (prepared->bytes, bytes));
      g_assert_cmpstr (prepared->content_type, ==, types[i]);
      g_assert_cmpint (prepared->width, ==, 64);
      g_assert_cmphex (prepared->changes, ==, AVATAR_CHANGE_NONE);

      sentences = avatar_prepared_describe_changes (prepared);
      g_assert_cmpuint (g_strv_length (sentences), ==, 0);
    }
}

static void
test_prepare_converted (void)
{
  const char *formats[] = { "bmp", "tiff" };
  const char *names[] = { "BMP", "TIFF" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GBytes) bytes = avatar_test_image_new (formats[i], 64, 64);
      g_autoptr(AvatarImage) image = avatar_test_load (bytes, "old-format");
      g_autoptr(AvatarPrepared) prepared = NULL;
      g_autoptr(GdkPixbuf) output = NULL;

      g_assert_cmpstr (avatar_image_get_format_name (image), ==, names[i]);
      g_assert_false (avatar_image_would_pass_through (image, NULL, AVATAR_PREPARE_NONE));

      prepared = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
      g_assert_false (prepared->passthrough);
      g_assert_cmpstr (prepared->content_type, ==, "image/jpeg");
      g_assert_cmphex (prepared->changes, ==, AVATAR_CHANGE_CONVERTED | AVATAR_CHANGE_REENCODED);

      output = avatar_test_decode_prepared (prepared);
      g_assert_true (avatar_test_pattern_cell_matches (output, 1, 2));
    }
}

/* With its pixels kept, a picture is decoded once however often it is
 * prepared, and each crop comes out as from a fresh decode. */
static void
test_prepare_keep_pixels (void)
{
  g_autoptr(GBytes) bytes = avatar_test_image_new ("jpeg", 300, 200);
  g_autoptr(AvatarImage) kept = avatar_test_load (bytes, "kept");
  g_autoptr(AvatarImage) fresh = avatar_test_load (bytes, "fresh");
  AvatarCrop crops[] = { { 0, 0, 100 }, { 150, 60, 120 }, { 20, 10, 180 } };

  avatar_image_set_keep_pixels (kept, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (crops); i++)
    {
      g_autoptr(AvatarPrepared) from_kept = avatar_test_prepare (kept, &crops[i], AVATAR_PREPARE_NONE);
      g_autoptr(AvatarPrepared) from_fresh = avatar_test_prepare (fresh, &crops[i], AVATAR_PREPARE_NONE);

      g_assert_true (g_bytes_equal (from_kept->bytes, from_fresh->bytes));
    }

  g_assert_cmpuint (avatar_image_get_n_full_decodes (kept), ==, 1);
  g_assert_cmpuint (avatar_image_get_n_full_decodes (fresh), ==, G_N_ELEMENTS (crops));

  /* Letting them go means decoding again. */
  avatar_image_set_keep_pixels (kept, FALSE);
  {
    g_autoptr(AvatarPrepared) again = avatar_test_prepare (kept, &crops[0], AVATAR_PREPARE_NONE);

    g_assert_cmpuint (avatar_image_get_n_full_decodes (kept), ==, 2);
  }
}

static void
test_prepare_oversized_input (void)
{
  g_autoptr(GBytes) png = avatar_test_noise_png_new (1200, FALSE, AVATAR_IMAGE_MAX_UPLOAD_BYTES + 1);
  g_autoptr(AvatarImage) image = NULL;
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(GdkPixbuf) output = NULL;

  g_assert_cmpuint (g_bytes_get_size (png), ==, 5000001);

  image = avatar_test_load (png, "noise.png");
  g_assert_false (avatar_image_get_has_metadata (image));
  g_assert_false (avatar_image_would_pass_through (image, NULL, AVATAR_PREPARE_NONE));

  prepared = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
  g_assert_false (prepared->passthrough);
  g_assert_cmpstr (prepared->content_type, ==, "image/jpeg");
  g_assert_true (prepared->changes & AVATAR_CHANGE_REENCODED);
  g_assert_false (prepared->changes & (AVATAR_CHANGE_CROPPED | AVATAR_CHANGE_ROTATED |
                                       AVATAR_CHANGE_METADATA_REMOVED | AVATAR_CHANGE_CONVERTED));
  output = avatar_test_decode_prepared (prepared);
}

/* Noise is the worst case for JPEG: at 3000 px a side quality 90 is over
 * the limit and a lower quality fits; at 4200 px even quality 60 is over,
 * and the picture must shrink. */
static void
test_prepare_quality_steps (gconstpointer data)
{
  int side = GPOINTER_TO_INT (data);
  g_autoptr(GdkPixbuf) noise = avatar_test_noise_pixbuf_new (side, FALSE);
  g_autoptr(GBytes) jpeg = avatar_test_encode (noise, "jpeg");
  g_autoptr(AvatarImage) image = avatar_test_load (jpeg, "noise.jpg");
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(GdkPixbuf) output = NULL;
  g_auto(GStrv) sentences = NULL;

  g_assert_cmpuint (g_bytes_get_size (jpeg), >, AVATAR_IMAGE_MAX_UPLOAD_BYTES);
  g_clear_object (&noise);

  prepared = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
  g_assert_cmpstr (prepared->content_type, ==, "image/jpeg");
  g_assert_true (prepared->changes & AVATAR_CHANGE_QUALITY_REDUCED);
  if (side > 4000)
    {
      g_assert_true (prepared->changes & AVATAR_CHANGE_DOWNSCALED);
      g_assert_cmpint (prepared->width, <, side);
    }
  else
    {
      g_assert_false (prepared->changes & AVATAR_CHANGE_DOWNSCALED);
      g_assert_cmpint (prepared->width, ==, side);
    }
  output = avatar_test_decode_prepared (prepared);

  sentences = avatar_prepared_describe_changes (prepared);
  g_assert_cmpuint (g_strv_length (sentences), ==, side > 4000 ? 3 : 2);
}

static void
test_prepare_transparent_png (void)
{
  g_autoptr(GdkPixbuf) pattern = avatar_test_pattern_new (96, 64, TRUE);
  g_autoptr(GBytes) png = avatar_test_encode (pattern, "png");
  g_autoptr(AvatarImage) image = avatar_test_load (png, "logo.png");
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(GdkPixbuf) output = NULL;
  AvatarCrop left_square = { 0, 0, 64 };

  g_assert_true (avatar_image_get_has_alpha (image));

  prepared = avatar_test_prepare (image, &left_square, AVATAR_PREPARE_NONE);
  g_assert_cmpstr (prepared->content_type, ==, "image/png");
  g_assert_cmphex (prepared->changes, ==, AVATAR_CHANGE_CROPPED | AVATAR_CHANGE_REENCODED);

  output = avatar_test_decode_prepared (prepared);
  g_assert_true (gdk_pixbuf_get_has_alpha (output));
  g_assert_cmpint (gdk_pixbuf_read_pixels (output)[3], ==, 0);
}

static void
test_prepare_opaque_alpha_png (void)
{
  g_autoptr(GdkPixbuf) pattern = avatar_test_pattern_new (96, 64, FALSE);
  g_autoptr(GdkPixbuf) with_alpha = gdk_pixbuf_add_alpha (pattern, FALSE, 0, 0, 0);
  g_autoptr(GBytes) png = avatar_test_encode (with_alpha, "png");
  g_autoptr(AvatarImage) image = avatar_test_load (png, "opaque.png");
  g_autoptr(AvatarPrepared) prepared = NULL;

  /* An alpha channel that is opaque everywhere is no transparency. */
  g_assert_false (avatar_image_get_has_alpha (image));
  prepared = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
  g_assert_cmpstr (prepared->content_type, ==, "image/jpeg");
}

static void
test_prepare_transparent_too_big (void)
{
  g_autoptr(GBytes) png = avatar_test_noise_png_new (1300, TRUE, 0);
  g_autoptr(AvatarImage) image = avatar_test_load (png, "noisy-logo.png");
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(GdkPixbuf) output = NULL;

  g_assert_cmpuint (g_bytes_get_size (png), >, AVATAR_IMAGE_MAX_UPLOAD_BYTES);
  g_assert_true (avatar_image_get_has_alpha (image));

  prepared = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
  g_assert_cmpstr (prepared->content_type, ==, "image/png");
  g_assert_true (prepared->changes & AVATAR_CHANGE_DOWNSCALED);
  g_assert_cmpint (prepared->width, <, 1300);
  g_assert_cmpint (prepared->width, >=, AVATAR_IMAGE_MIN_CROP);
  output = avatar_test_decode_prepared (prepared);
  g_assert_true (gdk_pixbuf_get_has_alpha (output));
}

static void
test_animated_passthrough (void)
{
  g_autoptr(GBytes) gif = avatar_test_animated_gif_new (64, 64, 3);
  g_autoptr(AvatarImage) image = avatar_test_load (gif, "wave.gif");
  g_autoptr(AvatarPrepared) prepared = NULL;

  g_assert_true (avatar_image_get_is_animated (image));
  prepared = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
  g_assert_true (prepared->passthrough);
  g_assert_cmpstr (prepared->content_type, ==, "image/gif");
  g_assert_true (g_bytes_equal (prepared->bytes, gif));
  g_assert_cmphex (prepared->changes, ==, AVATAR_CHANGE_NONE);
}

/* WebP animations are read by libwebp: the first frame, and no loader in
 * between. */
static void
test_animated_webp (void)
{
  g_autoptr(GBytes) webp = avatar_test_animated_webp_new (64, 3);
  g_autoptr(AvatarImage) image = avatar_test_load (webp, "wave.webp");
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(GdkPixbuf) output = NULL;
  AvatarCrop inner = { 8, 8, 48 };

  g_assert_true (avatar_image_get_is_animated (image));
  g_assert_cmpint (avatar_image_get_width (image), ==, 64);
  g_assert_true (avatar_test_color_near (avatar_image_get_preview (image), 32, 32, 0xFF0000, 8));

  prepared = avatar_test_prepare (image, &inner, AVATAR_PREPARE_NONE);
  g_assert_true (prepared->changes & AVATAR_CHANGE_ANIMATION_REMOVED);
  output = avatar_test_decode_prepared (prepared);
  g_assert_true (avatar_test_color_near (output, 24, 24, 0xFF0000, 40));
}

static void
test_animated_cropped (void)
{
  g_autoptr(GBytes) gif = avatar_test_animated_gif_new (96, 64, 3);
  g_autoptr(AvatarImage) image = avatar_test_load (gif, "wave.gif");
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(GdkPixbuf) output = NULL;
  g_autoptr(GdkPixbufAnimation) animation = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) sentences = NULL;
  AvatarCrop left_square = { 0, 0, 64 };
  gboolean found = FALSE;

  g_assert_true (avatar_image_get_is_animated (image));
  prepared = avatar_test_prepare (image, &left_square, AVATAR_PREPARE_NONE);
  g_assert_false (prepared->passthrough);
  g_assert_cmphex (prepared->changes, ==, AVATAR_CHANGE_CROPPED | AVATAR_CHANGE_ANIMATION_REMOVED |
                                          AVATAR_CHANGE_REENCODED);
  g_assert_cmpstr (prepared->content_type, ==, "image/jpeg");

  stream = g_memory_input_stream_new_from_bytes (prepared->bytes);
  animation = gdk_pixbuf_animation_new_from_stream (stream, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (gdk_pixbuf_animation_is_static_image (animation));

  /* The first frame, unshifted colours. */
  output = avatar_test_decode_prepared (prepared);
  g_assert_true (avatar_test_color_near (output, 16, 16, avatar_test_pattern_color (0, 0), 60));

  sentences = avatar_prepared_describe_changes (prepared);
  g_assert_cmpuint (g_strv_length (sentences), ==, 3);
  for (guint i = 0; sentences[i] != NULL; i++)
    found |= strstr (sentences[i], "animation") != NULL;
  g_assert_true (found);
}

static void
test_describe_changes (void)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static ("x", 1);
  AvatarPrepared all = {
    .bytes = bytes,
    .content_type = (char *) "image/jpeg",
    .width = 800,
    .height = 800,
    .changes = AVATAR_CHANGE_CONVERTED | AVATAR_CHANGE_CROPPED | AVATAR_CHANGE_ROTATED |
               AVATAR_CHANGE_METADATA_REMOVED | AVATAR_CHANGE_QUALITY_REDUCED |
               AVATAR_CHANGE_DOWNSCALED | AVATAR_CHANGE_ANIMATION_REMOVED |
               AVATAR_CHANGE_REENCODED,
  };
  g_auto(GStrv) sentences = avatar_prepared_describe_changes (&all);

  g_assert_cmpuint (g_strv_length (sentences), ==, 8);
  for (guint i = 0; sentences[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (sentences[i]), >, 10);
      g_assert_true (g_str_has_suffix (sentences[i], "."));
    }
  g_assert_nonnull (strstr (sentences[0], "JPEG"));
  g_assert_nonnull (strstr (sentences[5], "800"));
}

/* Metadata ------------------------------------------------------------------ */

static const guint8 gps_latitude[] = { 0, 0, 0, 52, 0, 0, 0, 1, 0, 0, 0, 31, 0, 0, 0, 1 };

/* @bytes load as a picture with private metadata, which keeps it from
 * passing through. */
static void
assert_private_metadata (GBytes     *bytes,
                         const char *name)
{
  g_autoptr(AvatarImage) image = avatar_test_load (bytes, name);

  g_assert_true (avatar_image_get_has_metadata (image));
  g_assert_false (avatar_image_would_pass_through (image, NULL, AVATAR_PREPARE_NONE));
}

static void
test_metadata_gps_jpeg (void)
{
  g_autoptr(GdkPixbuf) pattern = avatar_test_pattern_new (64, 64, FALSE);
  g_autoptr(GBytes) jpeg = avatar_test_jpeg_with_exif_new (pattern, 1, TRUE);
  g_autoptr(AvatarImage) image = avatar_test_load (jpeg, "holiday.jpg");
  g_autoptr(AvatarPrepared) stripped = NULL;
  g_autoptr(AvatarPrepared) kept = NULL;

  /* The test file really carries what the output must not. */
  g_assert_true (avatar_test_bytes_contain (jpeg, "Exif", 4));
  g_assert_true (avatar_test_bytes_contain (jpeg, "AvatarTestCam", 13));
  g_assert_true (avatar_test_bytes_contain (jpeg, gps_latitude, sizeof gps_latitude));

  g_assert_true (avatar_image_get_has_metadata (image));
  g_assert_false (avatar_image_would_pass_through (image, NULL, AVATAR_PREPARE_NONE));
  g_assert_true (avatar_image_would_pass_through (image, NULL, AVATAR_PREPARE_KEEP_METADATA));

  stripped = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
  g_assert_false (stripped->passthrough);
  g_assert_cmpstr (stripped->content_type, ==, "image/jpeg");
  g_assert_cmphex (stripped->changes, ==, AVATAR_CHANGE_METADATA_REMOVED | AVATAR_CHANGE_REENCODED);
  g_assert_false (avatar_test_bytes_contain (stripped->bytes, "Exif", 4));
  g_assert_false (avatar_test_bytes_contain (stripped->bytes, "AvatarTestCam", 13));
  g_assert_false (avatar_test_bytes_contain (stripped->bytes, gps_latitude, sizeof gps_latitude));

  kept = avatar_test_prepare (image, NULL, AVATAR_PREPARE_KEEP_METADATA);
  g_assert_true (kept->passthrough);
  g_assert_true (g_bytes_equal (kept->bytes, jpeg));
  g_assert_cmphex (kept->changes, ==, AVATAR_CHANGE_NONE);
}

static void
test_metadata_orientation_only (void)
{
  g_autoptr(GdkPixbuf) pattern = avatar_test_pattern_new (64, 64, FALSE);
  g_autoptr(GBytes) jpeg = avatar_test_jpeg_with_exif_new (pattern, 1, FALSE);
  g_autoptr(AvatarImage) image = avatar_test_load (jpeg, "plain.jpg");
  g_autoptr(AvatarPrepared) prepared = NULL;

  g_assert_false (avatar_image_get_has_metadata (image));
  prepared = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
  g_assert_true (prepared->passthrough);
  g_assert_true (g_bytes_equal (prepared->bytes, jpeg));
}

/* An EXIF thumbnail may still show what the picture no longer does. */
static void
test_metadata_exif_thumbnail (void)
{
  g_autoptr(GBytes) jpeg = avatar_test_image_new ("jpeg", 64, 64);
  g_autoptr(GBytes) plain_exif = avatar_test_exif_new (1, FALSE);
  g_autoptr(GByteArray) exif = g_byte_array_new ();
  g_autoptr(GBytes) exif_bytes = NULL;
  g_autoptr(GBytes) with_thumbnail = NULL;
  static const guint8 empty_ifd[6] = { 0 };
  guint32 next;

  g_byte_array_append (exif, g_bytes_get_data (plain_exif, NULL), g_bytes_get_size (plain_exif));
  /* The last four bytes point at the next directory; add one there. */
  next = exif->len;
  exif->data[exif->len - 4] = next >> 24;
  exif->data[exif->len - 3] = (next >> 16) & 0xFF;
  exif->data[exif->len - 2] = (next >> 8) & 0xFF;
  exif->data[exif->len - 1] = next & 0xFF;
  g_byte_array_append (exif, empty_ifd, sizeof empty_ifd);

  exif_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&exif));
  with_thumbnail = avatar_test_jpeg_insert_exif (jpeg, exif_bytes);
  assert_private_metadata (with_thumbnail, "thumbnail.jpg");
}

static void
test_metadata_other_formats (void)
{
  g_autoptr(GdkPixbuf) pattern = avatar_test_pattern_new (64, 64, FALSE);
  g_autoptr(GBytes) png = avatar_test_encode (pattern, "png");
  g_autoptr(GBytes) exif = avatar_test_exif_new (1, TRUE);
  static const char xmp[] = "XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta xmlns:x='adobe:ns:meta/'/>";
  g_autoptr(GBytes) png_exif = avatar_test_png_with_exif (png, exif);
  g_autoptr(GBytes) png_xmp = avatar_test_png_insert_chunk (png, "iTXt", xmp, sizeof xmp - 1);
  g_autoptr(GBytes) webp_exif = avatar_test_webp_with_exif_new (pattern, 1, TRUE);
  g_autoptr(GBytes) webp_plain = avatar_test_webp_with_exif_new (pattern, 1, FALSE);
  g_autoptr(GBytes) gif_xmp = avatar_test_gif_with_xmp_new (64, 64);
  GBytes *with_metadata[] = { png_exif, png_xmp, webp_exif, gif_xmp };
  g_autoptr(AvatarImage) plain = NULL;
  g_autoptr(GByteArray) trailing = g_byte_array_new ();
  g_autoptr(GBytes) png_trailing = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (with_metadata); i++)
    {
      g_autoptr(AvatarImage) image = avatar_test_load (with_metadata[i], "tagged");
      g_autoptr(AvatarPrepared) prepared = NULL;

      g_test_message ("case %u: %s", i, avatar_image_get_format_name (image));
      g_assert_true (avatar_image_get_has_metadata (image));
      prepared = avatar_test_prepare (image, NULL, AVATAR_PREPARE_NONE);
      g_assert_false (prepared->passthrough);
      g_assert_true (prepared->changes & AVATAR_CHANGE_METADATA_REMOVED);
      g_assert_false (avatar_test_bytes_contain (prepared->bytes, "AvatarTestCam", 13));
      g_assert_false (avatar_test_bytes_contain (prepared->bytes, "xmpmeta", 7));
    }

  plain = avatar_test_load (webp_plain, "plain.webp");
  g_assert_false (avatar_image_get_has_metadata (plain));
  g_assert_true (avatar_image_would_pass_through (plain, NULL, AVATAR_PREPARE_NONE));

  /* Bytes after the end of the picture would travel unseen. */
  g_byte_array_append (trailing, g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_byte_array_append (trailing, (const guint8 *) "secret", 6);
  png_trailing = g_byte_array_free_to_bytes (g_steal_pointer (&trailing));
  assert_private_metadata (png_trailing, "hidden.png");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/image/prepare/passthrough", test_prepare_passthrough);
  g_test_add_func ("/image/prepare/converted", test_prepare_converted);
  g_test_add_func ("/image/prepare/oversized-input", test_prepare_oversized_input);
  g_test_add_func ("/image/prepare/keep-pixels", test_prepare_keep_pixels);
  g_test_add_data_func ("/image/prepare/quality-steps", GINT_TO_POINTER (3000), test_prepare_quality_steps);
  g_test_add_data_func ("/image/prepare/downscale-steps", GINT_TO_POINTER (4200), test_prepare_quality_steps);
  g_test_add_func ("/image/prepare/transparent-png", test_prepare_transparent_png);
  g_test_add_func ("/image/prepare/opaque-alpha-png", test_prepare_opaque_alpha_png);
  g_test_add_func ("/image/prepare/transparent-too-big", test_prepare_transparent_too_big);
  g_test_add_func ("/image/animated/passthrough", test_animated_passthrough);
  g_test_add_func ("/image/animated/cropped", test_animated_cropped);
  g_test_add_func ("/image/animated/webp", test_animated_webp);
  g_test_add_func ("/image/describe-changes", test_describe_changes);
  g_test_add_func ("/image/metadata/gps-jpeg", test_metadata_gps_jpeg);
  g_test_add_func ("/image/metadata/orientation-only", test_metadata_orientation_only);
  g_test_add_func ("/image/metadata/exif-thumbnail", test_metadata_exif_thumbnail);
  g_test_add_func ("/image/metadata/other-formats", test_metadata_other_formats);

  return g_test_run ();
}
