/* avatar-sniff.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "avatar-sniff.h"

enum {
  TYPE_JPEG,
  TYPE_PNG,
  TYPE_GIF,
  TYPE_WEBP,
  TYPE_BMP,
  TYPE_TIFF,
  TYPE_ICO,
  TYPE_HEIC,
  TYPE_HEIF,
  TYPE_AVIF,
  TYPE_JXL,
  TYPE_JP2,
  TYPE_PSD,
  TYPE_PNM,
  TYPE_QOI,
  TYPE_SVG,
};

/* The names are the formats' own names, not translated. */
static const AvatarSniffedType types[] = {
  [TYPE_JPEG] = { "image/jpeg", "JPEG", TRUE },
  [TYPE_PNG]  = { "image/png", "PNG", TRUE },
  [TYPE_GIF]  = { "image/gif", "GIF", TRUE },
  [TYPE_WEBP] = { "image/webp", "WebP", TRUE },
  [TYPE_BMP]  = { "image/bmp", "BMP", FALSE },
  [TYPE_TIFF] = { "image/tiff", "TIFF", FALSE },
  [TYPE_ICO]  = { "image/x-icon", "ICO", FALSE },
  [TYPE_HEIC] = { "image/heic", "HEIC", FALSE },
  [TYPE_HEIF] = { "image/heif", "HEIF", FALSE },
  [TYPE_AVIF] = { "image/avif", "AVIF", FALSE },
  [TYPE_JXL]  = { "image/jxl", "JPEG XL", FALSE },
  [TYPE_JP2]  = { "image/jp2", "JPEG 2000", FALSE },
  [TYPE_PSD]  = { "image/vnd.adobe.photoshop", "Photoshop", FALSE },
  [TYPE_PNM]  = { "image/x-portable-anymap", "PNM", FALSE },
  [TYPE_QOI]  = { "image/qoi", "QOI", FALSE },
  [TYPE_SVG]  = { "image/svg+xml", "SVG", FALSE },
};

static inline guint32
read_be16 (const guint8 *p)
{
  return ((guint32) p[0] << 8) | p[1];
}

static inline guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline guint32
read_le16 (const guint8 *p)
{
  return ((guint32) p[1] << 8) | p[0];
}

static inline guint32
read_le24 (const guint8 *p)
{
  return ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];
}

static inline guint32
read_le32 (const guint8 *p)
{
  return ((guint32) p[3] << 24) | ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];
}

static gboolean
has_prefix (const guint8 *data,
            gsize         size,
            const char   *magic,
            gsize         magic_len)
{
  return size >= magic_len && memcmp (data, magic, magic_len) == 0;
}

static gboolean
is_brand (const guint8 *brand,
          const char   *const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (memcmp (brand, names[i], 4) == 0)
      return TRUE;
  return FALSE;
}

/* HEIC, HEIF and AVIF are ISO media files; the brands in the ftyp box say
 * which codec is inside. */
static const AvatarSniffedType *
sniff_iso_media (const guint8 *data,
                 gsize         size)
{
  static const char *const avif_brands[] = { "avif", "avis", NULL };
  static const char *const heic_brands[] = { "heic", "heix", "hevc", "hevx", "heim", "heis", NULL };
  static const char *const heif_brands[] = { "mif1", "msf1", NULL };
  gsize box_size;
  gboolean heif = FALSE;
  gboolean heic = FALSE;

  if (size < 16 || memcmp (data + 4, "ftyp", 4) != 0)
    return NULL;

  box_size = MIN (read_be32 (data), size);

  if (is_brand (data + 8, avif_brands))
    return &types[TYPE_AVIF];
  if (is_brand (data + 8, heic_brands))
    return &types[TYPE_HEIC];
  heif = is_brand (data + 8, heif_brands);

  for (gsize offset = 16; offset + 4 <= box_size; offset += 4)
    {
      if (is_brand (data + offset, avif_brands))
        return &types[TYPE_AVIF];
      if (is_brand (data + offset, heic_brands))
        heic = TRUE;
      if (is_brand (data + offset, heif_brands))
        heif = TRUE;
    }

  if (heic)
    return &types[TYPE_HEIC];
  if (heif)
    return &types[TYPE_HEIF];
  return NULL;
}

static gboolean
is_bmp (const guint8 *data,
        gsize         size)
{
  guint32 header_size;

  /* "BM" alone is too weak a signature: check the DIB header size too. */
  if (size < 26 || data[0] != 'B' || data[1] != 'M')
    return FALSE;
  header_size = read_le32 (data + 14);
  return header_size == 12 || header_size == 40 || header_size == 52 ||
         header_size == 56 || header_size == 64 || header_size == 108 ||
         header_size == 124;
}

static gboolean
is_ico (const guint8 *data,
        gsize         size)
{
  return size >= 22 && data[0] == 0 && data[1] == 0 && data[2] == 1 &&
         data[3] == 0 && read_le16 (data + 4) > 0 && data[9] == 0;
}

static gboolean
is_pnm (const guint8 *data,
        gsize         size)
{
  return size >= 3 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6' &&
         g_ascii_isspace (data[2]);
}

static gboolean
is_svg (const guint8 *data,
        gsize         size)
{
  gsize head = MIN (size, 4096);
  gsize i = 0;

  if (has_prefix (data, size, "\xEF\xBB\xBF", 3))
    i = 3;
  while (i < head && g_ascii_isspace (data[i]))
    i++;

  if (i >= head || data[i] != '<')
    return FALSE;

  if (!has_prefix (data + i, head - i, "<?xml", 5) &&
      !has_prefix (data + i, head - i, "<svg", 4) &&
      !has_prefix (data + i, head - i, "<!--", 4) &&
      !has_prefix (data + i, head - i, "<!DOCTYPE svg", 13))
    return FALSE;

  return g_strstr_len ((const char *) data + i, head - i, "<svg") != NULL;
}

const AvatarSniffedType *
avatar_sniff_type (const guint8 *data,
                   gsize         size)
{
  const AvatarSniffedType *iso;

  g_return_val_if_fail (data != NULL || size == 0, NULL);

  if (has_prefix (data, size, "\xFF\xD8\xFF", 3))
    return &types[TYPE_JPEG];
  if (has_prefix (data, size, "\x89PNG\r\n\x1A\n", 8))
    return &types[TYPE_PNG];
  if (has_prefix (data, size, "GIF87a", 6) || has_prefix (data, size, "GIF89a", 6))
    return &types[TYPE_GIF];
  if (size >= 16 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return &types[TYPE_WEBP];
  if (is_bmp (data, size))
    return &types[TYPE_BMP];
  if (has_prefix (data, size, "II*\0", 4) || has_prefix (data, size, "MM\0*", 4))
    return &types[TYPE_TIFF];
  if (is_ico (data, size))
    return &types[TYPE_ICO];
  if ((iso = sniff_iso_media (data, size)) != NULL)
    return iso;
  if (has_prefix (data, size, "\xFF\x0A", 2) ||
      has_prefix (data, size, "\0\0\0\x0CJXL \r\n\x87\n", 12))
    return &types[TYPE_JXL];
  if (has_prefix (data, size, "\0\0\0\x0CjP  \r\n\x87\n", 12) ||
      has_prefix (data, size, "\xFF\x4F\xFF\x51", 4))
    return &types[TYPE_JP2];
  if (has_prefix (data, size, "8BPS", 4))
    return &types[TYPE_PSD];
  if (has_prefix (data, size, "qoif", 4))
    return &types[TYPE_QOI];
  if (is_pnm (data, size))
    return &types[TYPE_PNM];
  if (is_svg (data, size))
    return &types[TYPE_SVG];

  return NULL;
}

int
avatar_sniff_jpeg_marker (const guint8 *data,
                          gsize         size,
                          gsize        *pos)
{
  while (*pos + 4 <= size)
    {
      guint8 marker;

      if (data[*pos] != 0xFF)
        return AVATAR_SNIFF_JPEG_NO_MARKER;

      marker = data[*pos + 1];
      if (marker == 0xFF)
        *pos += 1;
      else if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8))
        *pos += 2;
      else
        return marker;
    }

  return AVATAR_SNIFF_JPEG_CUT_SHORT;
}

static gboolean
jpeg_dimensions (const guint8 *data,
                 gsize         size,
                 guint32      *width,
                 guint32      *height)
{
  gsize pos = 2;

  for (;;)
    {
      int marker = avatar_sniff_jpeg_marker (data, size, &pos);
      gsize length;

      if (marker < 0 || marker == 0xD9 || marker == 0xDA)
        return FALSE;

      length = read_be16 (data + pos + 2);
      if (length < 2)
        return FALSE;

      /* Every SOFn except DHT (C4), JPG (C8) and DAC (CC). */
      if (marker >= 0xC0 && marker <= 0xCF &&
          marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
        {
          if (pos + 9 > size || length < 7)
            return FALSE;
          *height = read_be16 (data + pos + 5);
          *width = read_be16 (data + pos + 7);
          return TRUE;
        }

      pos += 2 + length;
    }
}

static gboolean
webp_dimensions (const guint8 *data,
                 gsize         size,
                 guint32      *width,
                 guint32      *height)
{
  if (size < 30)
    return FALSE;

  if (memcmp (data + 12, "VP8X", 4) == 0)
    {
      *width = read_le24 (data + 24) + 1;
      *height = read_le24 (data + 27) + 1;
      return TRUE;
    }
  if (memcmp (data + 12, "VP8L", 4) == 0 && data[20] == 0x2F)
    {
      guint32 bits = read_le32 (data + 21);

      *width = (bits & 0x3FFF) + 1;
      *height = ((bits >> 14) & 0x3FFF) + 1;
      return TRUE;
    }
  if (memcmp (data + 12, "VP8 ", 4) == 0 && memcmp (data + 23, "\x9D\x01\x2A", 3) == 0)
    {
      *width = read_le16 (data + 26) & 0x3FFF;
      *height = read_le16 (data + 28) & 0x3FFF;
      return TRUE;
    }

  return FALSE;
}

static gboolean
bmp_dimensions (const guint8 *data,
                gsize         size,
                guint32      *width,
                guint32      *height)
{
  if (read_le32 (data + 14) == 12)
    {
      *width = read_le16 (data + 18);
      *height = read_le16 (data + 20);
      return TRUE;
    }
  if (size < 26)
    return FALSE;

  /* A negative height means top-down rows. */
  *width = (guint32) ABS ((gint64) (gint32) read_le32 (data + 18));
  *height = (guint32) ABS ((gint64) (gint32) read_le32 (data + 22));
  return TRUE;
}

/* "P6 640 480 255": whitespace-separated ASCII numbers, with #-comments. */
static gboolean
read_pnm_number (const guint8 *data,
                 gsize         size,
                 gsize        *pos,
                 guint32      *value)
{
  guint64 number = 0;
  gsize digits = 0;

  while (*pos < size)
    {
      if (data[*pos] == '#')
        {
          while (*pos < size && data[*pos] != '\n')
            (*pos)++;
        }
      else if (g_ascii_isspace (data[*pos]))
        (*pos)++;
      else
        break;
    }

  while (*pos < size && g_ascii_isdigit (data[*pos]) && digits < 10)
    {
      number = number * 10 + (data[*pos] - '0');
      digits++;
      (*pos)++;
    }

  *value = (guint32) MIN (number, G_MAXUINT32);
  return digits > 0;
}

static gboolean
pnm_dimensions (const guint8 *data,
                gsize         size,
                guint32      *width,
                guint32      *height)
{
  gsize pos = 2;

  return read_pnm_number (data, size, &pos, width) &&
         read_pnm_number (data, size, &pos, height);
}

gboolean
avatar_sniff_dimensions (const AvatarSniffedType *type,
                         const guint8            *data,
                         gsize                    size,
                         guint32                 *width,
                         guint32                 *height)
{
  g_return_val_if_fail (type != NULL, FALSE);
  g_return_val_if_fail (width != NULL && height != NULL, FALSE);

  if (type == &types[TYPE_PNG])
    {
      if (size < 24 || memcmp (data + 12, "IHDR", 4) != 0)
        return FALSE;
      *width = read_be32 (data + 16);
      *height = read_be32 (data + 20);
      return TRUE;
    }
  if (type == &types[TYPE_GIF])
    {
      if (size < 10)
        return FALSE;
      *width = read_le16 (data + 6);
      *height = read_le16 (data + 8);
      return TRUE;
    }
  if (type == &types[TYPE_JPEG])
    return jpeg_dimensions (data, size, width, height);
  if (type == &types[TYPE_WEBP])
    return webp_dimensions (data, size, width, height);
  if (type == &types[TYPE_BMP])
    return bmp_dimensions (data, size, width, height);
  if (type == &types[TYPE_PNM])
    return pnm_dimensions (data, size, width, height);

  return FALSE;
}
