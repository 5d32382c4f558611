/* avatar-test-formats.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Picture files written for the tests: with gdk-pixbuf's encoders, and byte
 * by byte where gdk-pixbuf cannot write what a test needs (GIF, EXIF
 * blocks and the JPEG, WebP, TIFF and PNG files that carry them,
 * animations, headers declaring a huge size).
 */

#include "config.h"

#include <string.h>

#include "avatar-test-images.h"

#define GIF_PALETTE_SIZE   128
#define GIF_TRANSPARENT    127
#define GIF_CODE_CLEAR     128
#define GIF_CODE_END       129
/* With 7-bit pixels the codes are 8 bits wide. A clear code every 125
 * pixels keeps the decoder's table from growing, so every code stays one
 * byte: an uncompressed, but valid, LZW stream. */
#define GIF_RUN            125

/* GIF ----------------------------------------------------------------------- */

static void
append_le16 (GByteArray *array,
             guint       value)
{
  guint8 b[2] = { value & 0xFF, (value >> 8) & 0xFF };

  g_byte_array_append (array, b, 2);
}

static void
append_byte (GByteArray *array,
             guint8      value)
{
  g_byte_array_append (array, &value, 1);
}

static guint32
gif_palette_color (guint index)
{
  if (index < 6)
    return avatar_test_pattern_color (index / 3, index % 3);
  if (index == 6)
    return 0xFFFFFF;
  return 0x000000;
}

static guint8
gif_index_for_pixel (const guint8 *p,
                     gboolean      has_alpha,
                     guint         shift)
{
  guint best = 0;
  int best_distance = G_MAXINT;

  if (has_alpha && p[3] < 0x80)
    return GIF_TRANSPARENT;

  for (guint i = 0; i < 8; i++)
    {
      guint32 c = gif_palette_color (i);
      int distance = ABS ((int) p[0] - (int) ((c >> 16) & 0xFF)) +
                     ABS ((int) p[1] - (int) ((c >> 8) & 0xFF)) +
                     ABS ((int) p[2] - (int) (c & 0xFF));

      if (distance < best_distance)
        {
          best = i;
          best_distance = distance;
        }
    }

  return best < 6 ? (best + shift) % 6 : best;
}

static void
append_gif_header (GByteArray *gif,
                   int         width,
                   int         height)
{
  g_byte_array_append (gif, (const guint8 *) "GIF89a", 6);
  append_le16 (gif, width);
  append_le16 (gif, height);
  /* Global colour table of 2^(6+1) = 128 entries. */
  append_byte (gif, 0x80 | (6 << 4) | 6);
  append_byte (gif, 0);
  append_byte (gif, 0);

  for (guint i = 0; i < GIF_PALETTE_SIZE; i++)
    {
      guint32 c = gif_palette_color (i);

      append_byte (gif, (c >> 16) & 0xFF);
      append_byte (gif, (c >> 8) & 0xFF);
      append_byte (gif, c & 0xFF);
    }
}

static void
append_gif_frame (GByteArray *gif,
                  GdkPixbuf  *pixbuf,
                  guint       shift,
                  guint       delay)
{
  g_autoptr(GByteArray) codes = g_byte_array_new ();
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  gboolean has_alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  int n_channels = gdk_pixbuf_get_n_channels (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  guint run = 0;

  /* Graphic control: "leave in place" disposal, the delay, transparency. */
  append_byte (gif, 0x21);
  append_byte (gif, 0xF9);
  append_byte (gif, 4);
  append_byte (gif, (1 << 2) | (has_alpha ? 1 : 0));
  append_le16 (gif, delay);
  append_byte (gif, GIF_TRANSPARENT);
  append_byte (gif, 0);

  append_byte (gif, 0x2C);
  append_le16 (gif, 0);
  append_le16 (gif, 0);
  append_le16 (gif, width);
  append_le16 (gif, height);
  append_byte (gif, 0);

  append_byte (gif, 7);

  append_byte (codes, GIF_CODE_CLEAR);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *p = pixels + (gsize) y * rowstride + (gsize) x * n_channels;

        if (run == GIF_RUN)
          {
            append_byte (codes, GIF_CODE_CLEAR);
            run = 0;
          }
        append_byte (codes, gif_index_for_pixel (p, has_alpha, shift));
        run++;
      }
  append_byte (codes, GIF_CODE_END);

  for (guint offset = 0; offset < codes->len; offset += 255)
    {
      guint n = MIN (255, codes->len - offset);

      append_byte (gif, n);
      g_byte_array_append (gif, codes->data + offset, n);
    }
  append_byte (gif, 0);
}

static GBytes *
encode_gif (GdkPixbuf *pixbuf)
{
  GByteArray *gif = g_byte_array_new ();

  append_gif_header (gif, gdk_pixbuf_get_width (pixbuf), gdk_pixbuf_get_height (pixbuf));
  append_gif_frame (gif, pixbuf, 0, 0);
  append_byte (gif, 0x3B);

  return g_byte_array_free_to_bytes (gif);
}

GBytes *
avatar_test_animated_gif_new (int   width,
                              int   height,
                              guint n_frames)
{
  g_autoptr(GdkPixbuf) pattern = avatar_test_pattern_new (width, height, FALSE);
  GByteArray *gif = g_byte_array_new ();
  static const guint8 loop[] = {
    0x21, 0xFF, 11, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0',
    3, 1, 0, 0, 0,
  };

  append_gif_header (gif, width, height);
  g_byte_array_append (gif, loop, sizeof loop);
  for (guint i = 0; i < n_frames; i++)
    append_gif_frame (gif, pattern, i, 10);
  append_byte (gif, 0x3B);

  return g_byte_array_free_to_bytes (gif);
}

GBytes *
avatar_test_gif_with_xmp_new (int width,
                              int height)
{
  g_autoptr(GdkPixbuf) pattern = avatar_test_pattern_new (width, height, FALSE);
  GByteArray *gif = g_byte_array_new ();
  static const char xmp[] = "<x:xmpmeta xmlns:x='adobe:ns:meta/'><exif:GPSLatitude>52,31N</exif:GPSLatitude></x:xmpmeta>";

  append_gif_header (gif, width, height);
  append_byte (gif, 0x21);
  append_byte (gif, 0xFF);
  append_byte (gif, 11);
  g_byte_array_append (gif, (const guint8 *) "XMP DataXMP", 11);
  append_byte (gif, sizeof xmp - 1);
  g_byte_array_append (gif, (const guint8 *) xmp, sizeof xmp - 1);
  append_byte (gif, 0);
  append_gif_frame (gif, pattern, 0, 0);
  append_byte (gif, 0x3B);

  return g_byte_array_free_to_bytes (gif);
}

/* Other formats ------------------------------------------------------------- */

GBytes *
avatar_test_encode (GdkPixbuf  *pixbuf,
                    const char *format)
{
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize size = 0;
  gboolean ok;

  if (g_str_equal (format, "gif"))
    return encode_gif (pixbuf);

  if (g_str_equal (format, "jpeg"))
    ok = gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, format, &error,
                                    "quality", "95", NULL);
  else
    ok = gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, format, &error, NULL);

  g_assert_no_error (error);
  g_assert_true (ok);

  return g_bytes_new_take (buffer, size);
}

/* EXIF, WebP and TIFF ------------------------------------------------------- */

GdkPixbuf *
avatar_test_unorient (GdkPixbuf *upright,
                      int        orientation)
{
  g_autoptr(GdkPixbuf) turned = NULL;

  /* Each case undoes what the EXIF specification says a viewer does. */
  switch (orientation)
    {
    case 1:
      return gdk_pixbuf_copy (upright);
    case 2: /* mirrored left to right */
      return gdk_pixbuf_flip (upright, TRUE);
    case 3: /* turned half way */
      return gdk_pixbuf_rotate_simple (upright, GDK_PIXBUF_ROTATE_UPSIDEDOWN);
    case 4: /* mirrored top to bottom */
      return gdk_pixbuf_flip (upright, FALSE);
    case 6: /* viewer turns a quarter clockwise */
      return gdk_pixbuf_rotate_simple (upright, GDK_PIXBUF_ROTATE_COUNTERCLOCKWISE);
    case 8: /* viewer turns a quarter counter-clockwise */
      return gdk_pixbuf_rotate_simple (upright, GDK_PIXBUF_ROTATE_CLOCKWISE);
    case 5: /* transposed: rows become columns */
    case 7: /* transposed across the other diagonal */
      {
        int w = gdk_pixbuf_get_width (upright);
        int h = gdk_pixbuf_get_height (upright);
        int n = gdk_pixbuf_get_n_channels (upright);
        GdkPixbuf *stored = gdk_pixbuf_new (GDK_COLORSPACE_RGB,
                                            gdk_pixbuf_get_has_alpha (upright), 8, h, w);

        for (int v = 0; v < h; v++)
          for (int u = 0; u < w; u++)
            {
              /* Stored (x, y) shows at upright (y, x) for 5, and at
               * (h' - 1 - y, w' - 1 - x) for 7, with w', h' the stored size. */
              int x = orientation == 5 ? v : h - 1 - v;
              int y = orientation == 5 ? u : w - 1 - u;
              const guint8 *src = gdk_pixbuf_read_pixels (upright) +
                                  (gsize) v * gdk_pixbuf_get_rowstride (upright) + (gsize) u * n;
              guint8 *dst = gdk_pixbuf_get_pixels (stored) +
                            (gsize) y * gdk_pixbuf_get_rowstride (stored) + (gsize) x * n;

              memcpy (dst, src, n);
            }
        return stored;
      }
    default:
      g_assert_not_reached ();
    }
}

static void
append_be16 (GByteArray *array,
             guint       value)
{
  guint8 b[2] = { (value >> 8) & 0xFF, value & 0xFF };

  g_byte_array_append (array, b, 2);
}

static void
append_be32 (GByteArray *array,
             guint32     value)
{
  guint8 b[4] = { value >> 24, (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF };

  g_byte_array_append (array, b, 4);
}

static void
append_entry (GByteArray *array,
              guint       tag,
              guint       type,
              guint32     count,
              guint32     value)
{
  append_be16 (array, tag);
  append_be16 (array, type);
  append_be32 (array, count);
  append_be32 (array, value);
}

#define TEST_CAMERA_MAKE "AvatarTestCam"

GBytes *
avatar_test_exif_new (int      orientation,
                      gboolean with_gps)
{
  GByteArray *exif = g_byte_array_new ();
  guint n_entries = (orientation > 0 ? 1 : 0) + (with_gps ? 2 : 0);
  guint32 data_start = 8 + 2 + 12 * n_entries + 4;
  guint32 make_offset = data_start;
  guint32 gps_offset = make_offset + sizeof TEST_CAMERA_MAKE + 1; /* even */
  guint32 latitude_offset = gps_offset + 2 + 12 * 3 + 4;

  g_byte_array_append (exif, (const guint8 *) "MM\0*", 4);
  append_be32 (exif, 8);

  append_be16 (exif, n_entries);
  if (with_gps)
    append_entry (exif, 0x010F, 2, sizeof TEST_CAMERA_MAKE, make_offset);
  if (orientation > 0)
    append_entry (exif, 0x0112, 3, 1, (guint32) orientation << 16);
  if (with_gps)
    append_entry (exif, 0x8825, 4, 1, gps_offset);
  append_be32 (exif, 0);

  if (with_gps)
    {
      g_assert_cmpuint (exif->len, ==, make_offset);
      g_byte_array_append (exif, (const guint8 *) TEST_CAMERA_MAKE, sizeof TEST_CAMERA_MAKE);
      append_byte (exif, 0);

      g_assert_cmpuint (exif->len, ==, gps_offset);
      append_be16 (exif, 3);
      append_entry (exif, 0x0000, 1, 4, 0x02030000);
      append_entry (exif, 0x0001, 2, 2, ('N' << 24));
      append_entry (exif, 0x0002, 5, 3, latitude_offset);
      append_be32 (exif, 0);

      /* 52° 31' 12.34" */
      g_assert_cmpuint (exif->len, ==, latitude_offset);
      append_be32 (exif, 52);
      append_be32 (exif, 1);
      append_be32 (exif, 31);
      append_be32 (exif, 1);
      append_be32 (exif, 1234);
      append_be32 (exif, 100);
    }

  return g_byte_array_free_to_bytes (exif);
}

GBytes *
avatar_test_jpeg_insert_exif (GBytes *jpeg,
                              GBytes *exif)
{
  GByteArray *out = g_byte_array_new ();
  const guint8 *data;
  gsize size;

  data = g_bytes_get_data (jpeg, &size);
  g_assert_cmpuint (size, >, 2);
  g_assert_true (data[0] == 0xFF && data[1] == 0xD8);

  g_byte_array_append (out, data, 2);
  append_byte (out, 0xFF);
  append_byte (out, 0xE1);
  append_be16 (out, 2 + 6 + g_bytes_get_size (exif));
  g_byte_array_append (out, (const guint8 *) "Exif\0\0", 6);
  g_byte_array_append (out, g_bytes_get_data (exif, NULL), g_bytes_get_size (exif));
  g_byte_array_append (out, data + 2, size - 2);

  return g_byte_array_free_to_bytes (out);
}

GBytes *
avatar_test_jpeg_with_exif_new (GdkPixbuf *stored,
                                int        orientation,
                                gboolean   with_gps)
{
  g_autoptr(GBytes) jpeg = avatar_test_encode (stored, "jpeg");
  g_autoptr(GBytes) exif = avatar_test_exif_new (orientation, with_gps);

  return avatar_test_jpeg_insert_exif (jpeg, exif);
}

static void
append_le32 (GByteArray *array,
             guint32     value)
{
  guint8 b[4] = { value & 0xFF, (value >> 8) & 0xFF, (value >> 16) & 0xFF, value >> 24 };

  g_byte_array_append (array, b, 4);
}

static void
append_le24 (GByteArray *array,
             guint32     value)
{
  guint8 b[3] = { value & 0xFF, (value >> 8) & 0xFF, (value >> 16) & 0xFF };

  g_byte_array_append (array, b, 3);
}

static void
append_riff_chunk (GByteArray   *array,
                   const char   *fourcc,
                   const guint8 *data,
                   gsize         size)
{
  g_byte_array_append (array, (const guint8 *) fourcc, 4);
  append_le32 (array, size);
  g_byte_array_append (array, data, size);
  if (size & 1)
    append_byte (array, 0);
}

#define WEBP_FLAG_ANIMATION 0x02
#define WEBP_FLAG_EXIF      0x08

/* Starts an extended WebP of a @width × @height canvas: the RIFF header,
 * whose size webp_extended_finish () fills in, and a VP8X chunk with
 * @flags. */
static GByteArray *
webp_extended_new (guint8 flags,
                   int    width,
                   int    height)
{
  g_autoptr(GByteArray) vp8x = g_byte_array_new ();
  GByteArray *out = g_byte_array_new ();

  append_byte (vp8x, flags);
  append_byte (vp8x, 0);
  append_byte (vp8x, 0);
  append_byte (vp8x, 0);
  append_le24 (vp8x, width - 1);
  append_le24 (vp8x, height - 1);

  g_byte_array_append (out, (const guint8 *) "RIFF\0\0\0\0WEBP", 12);
  append_riff_chunk (out, "VP8X", vp8x->data, vp8x->len);

  return out;
}

static GBytes *
webp_extended_finish (GByteArray *out)
{
  guint32 riff_size = out->len - 8;

  out->data[4] = riff_size & 0xFF;
  out->data[5] = (riff_size >> 8) & 0xFF;
  out->data[6] = (riff_size >> 16) & 0xFF;
  out->data[7] = (riff_size >> 24) & 0xFF;

  return g_byte_array_free_to_bytes (out);
}

GBytes *
avatar_test_webp_with_exif_new (GdkPixbuf *pixbuf,
                                int        orientation,
                                gboolean   with_gps)
{
  g_autoptr(GBytes) simple = avatar_test_encode (pixbuf, "webp");
  g_autoptr(GBytes) exif = avatar_test_exif_new (orientation, with_gps);
  GByteArray *out;
  const guint8 *data;
  gsize size;

  data = g_bytes_get_data (simple, &size);
  g_assert_cmpuint (size, >, 20);
  g_assert_true (memcmp (data + 12, "VP8", 3) == 0);

  out = webp_extended_new (WEBP_FLAG_EXIF, gdk_pixbuf_get_width (pixbuf),
                           gdk_pixbuf_get_height (pixbuf));
  /* The image chunk of the simple file, as it is. */
  g_byte_array_append (out, data + 12, size - 12);
  append_riff_chunk (out, "EXIF", g_bytes_get_data (exif, NULL), g_bytes_get_size (exif));

  return webp_extended_finish (out);
}

/* A WebP animation of @n_frames frames of @side × @side, each one colour:
 * red, green, blue, then red again. Each frame is a simple lossless WebP
 * made by gdk-pixbuf, wrapped in an ANMF chunk. */
GBytes *
avatar_test_animated_webp_new (int   side,
                               guint n_frames)
{
  static const guint32 colours[] = { 0xFF0000FF, 0x00FF00FF, 0x0000FFFF };
  GByteArray *out = webp_extended_new (WEBP_FLAG_ANIMATION, side, side);

  append_riff_chunk (out, "ANIM", (const guint8 *) "\0\0\0\0\0\0", 6);

  for (guint i = 0; i < n_frames; i++)
    {
      g_autoptr(GdkPixbuf) frame = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, side, side);
      g_autoptr(GBytes) simple = NULL;
      g_autoptr(GByteArray) anmf = g_byte_array_new ();
      const guint8 *data;
      gsize size;

      gdk_pixbuf_fill (frame, colours[i % G_N_ELEMENTS (colours)]);
      simple = avatar_test_encode (frame, "webp");
      data = g_bytes_get_data (simple, &size);

      append_le24 (anmf, 0);
      append_le24 (anmf, 0);
      append_le24 (anmf, side - 1);
      append_le24 (anmf, side - 1);
      append_le24 (anmf, 100);
      append_byte (anmf, 0);
      /* The image chunks of the simple file, as they are. */
      g_byte_array_append (anmf, data + 12, size - 12);
      append_riff_chunk (out, "ANMF", anmf->data, anmf->len);
    }

  return webp_extended_finish (out);
}

GBytes *
avatar_test_webp_damage_frame_height (GBytes *animation,
                                      guint   frame,
                                      guint32 height_minus_one)
{
  gsize size;
  guint8 *data = g_bytes_unref_to_data (g_bytes_ref (animation), &size);
  guint seen = 0;

  for (gsize pos = 12; pos + 8 <= size;)
    {
      guint32 length = data[pos + 4] | data[pos + 5] << 8 | data[pos + 6] << 16 | (guint32) data[pos + 7] << 24;

      if (memcmp (data + pos, "ANMF", 4) == 0 && ++seen == frame)
        {
          g_assert_cmpuint (pos + 8 + 12, <=, size);
          data[pos + 8 + 9] = height_minus_one & 0xFF;
          data[pos + 8 + 10] = (height_minus_one >> 8) & 0xFF;
          data[pos + 8 + 11] = (height_minus_one >> 16) & 0xFF;
          return g_bytes_new_take (data, size);
        }
      pos += 8 + length + (length & 1);
    }

  g_assert_not_reached ();
}

GBytes *
avatar_test_tiff_with_orientation_new (GdkPixbuf *stored,
                                       int        orientation)
{
  g_autoptr(GBytes) tiff = avatar_test_encode (stored, "tiff");
  gsize size = g_bytes_get_size (tiff);
  guint8 *data = g_memdup2 (g_bytes_get_data (tiff, NULL), size);
  gboolean little = data[0] == 'I';
  guint32 ifd;
  guint n_entries;
  gboolean done = FALSE;

#define U16(p) (little ? ((p)[0] | (p)[1] << 8) : ((p)[0] << 8 | (p)[1]))
  ifd = little ? (data[4] | data[5] << 8 | data[6] << 16 | (guint32) data[7] << 24)
               : ((guint32) data[4] << 24 | data[5] << 16 | data[6] << 8 | data[7]);
  g_assert_cmpuint (ifd + 2, <=, size);
  n_entries = U16 (data + ifd);

  /* gdk-pixbuf writes FillOrder with its default value: its entry becomes
   * the orientation, so the directory keeps its size. */
  for (guint i = 0; i < n_entries && !done; i++)
    {
      guint8 *entry = data + ifd + 2 + i * 12;

      if (U16 (entry) == 0x010A)
        {
          memset (entry, 0, 12);
          entry[little ? 0 : 1] = 0x12;
          entry[little ? 1 : 0] = 0x01;
          entry[little ? 2 : 3] = 3;       /* SHORT */
          entry[little ? 4 : 7] = 1;       /* one value */
          entry[little ? 8 : 9] = orientation;
          done = TRUE;
        }
    }
#undef U16

  g_assert_true (done);
  return g_bytes_new_take (data, size);
}

/* PNG ----------------------------------------------------------------------- */

static guint32
crc32_update (guint32       crc,
              const guint8 *data,
              gsize         size)
{
  static guint32 table[256];
  static gsize table_ready = 0;

  if (g_once_init_enter (&table_ready))
    {
      for (guint32 n = 0; n < 256; n++)
        {
          guint32 c = n;

          for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
          table[n] = c;
        }
      g_once_init_leave (&table_ready, 1);
    }

  crc ^= 0xFFFFFFFFu;
  for (gsize i = 0; i < size; i++)
    crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

static void
append_png_chunk (GByteArray *array,
                  const char *type,
                  const void *data,
                  gsize       size)
{
  guint32 crc;

  append_be32 (array, size);
  g_byte_array_append (array, (const guint8 *) type, 4);
  if (size > 0)
    g_byte_array_append (array, data, size);

  {
    /* The CRC covers the type and the data. */
    g_autoptr(GByteArray) covered = g_byte_array_new ();

    g_byte_array_append (covered, (const guint8 *) type, 4);
    if (size > 0)
      g_byte_array_append (covered, data, size);
    crc = crc32_update (0, covered->data, covered->len);
  }
  append_be32 (array, crc);
}

#define PNG_SIGNATURE_AND_IHDR (8 + 12 + 13)

GBytes *
avatar_test_png_insert_chunk (GBytes     *png,
                              const char *type,
                              const void *data,
                              gsize       size)
{
  GByteArray *out = g_byte_array_new ();
  const guint8 *bytes;
  gsize n_bytes;

  bytes = g_bytes_get_data (png, &n_bytes);
  g_assert_cmpuint (n_bytes, >, PNG_SIGNATURE_AND_IHDR);
  g_assert_true (memcmp (bytes + 12, "IHDR", 4) == 0);

  g_byte_array_append (out, bytes, PNG_SIGNATURE_AND_IHDR);
  append_png_chunk (out, type, data, size);
  g_byte_array_append (out, bytes + PNG_SIGNATURE_AND_IHDR, n_bytes - PNG_SIGNATURE_AND_IHDR);

  return g_byte_array_free_to_bytes (out);
}

GBytes *
avatar_test_png_declaring_size (guint32 width,
                                guint32 height)
{
  GByteArray *out = g_byte_array_new ();
  g_autoptr(GByteArray) ihdr = g_byte_array_new ();
  static const guint8 idat[] = { 0x78, 0x01, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x01 };

  append_be32 (ihdr, width);
  append_be32 (ihdr, height);
  append_byte (ihdr, 8);  /* bit depth */
  append_byte (ihdr, 6);  /* RGBA */
  append_byte (ihdr, 0);
  append_byte (ihdr, 0);
  append_byte (ihdr, 0);

  g_byte_array_append (out, (const guint8 *) "\x89PNG\r\n\x1A\n", 8);
  append_png_chunk (out, "IHDR", ihdr->data, ihdr->len);
  append_png_chunk (out, "IDAT", idat, sizeof idat);
  append_png_chunk (out, "IEND", NULL, 0);

  return g_byte_array_free_to_bytes (out);
}

GBytes *
avatar_test_png_with_exif (GBytes *png,
                           GBytes *exif)
{
  return avatar_test_png_insert_chunk (png, "eXIf", g_bytes_get_data (exif, NULL), g_bytes_get_size (exif));
}
