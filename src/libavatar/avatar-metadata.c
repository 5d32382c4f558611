/* avatar-metadata.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "avatar-metadata.h"
#include "avatar-sniff.h"

/* Every reader below works on untrusted bytes: each offset is checked
 * against the size before it is read, and nothing is followed twice. */

typedef struct
{
  const guint8 *data;
  gsize         size;
  gboolean      little_endian;
} Tiff;

typedef enum
{
  IFD_PRIMARY,
  IFD_EXIF,
} IfdKind;

/* Tags that describe how the pixels are laid out, and nothing about the
 * person, the place or the camera. Everything else counts as private. */
static const guint16 layout_tags[] = {
  0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x010A, 0x0111, 0x0112, 0x0115,
  0x0116, 0x0117, 0x011A, 0x011B, 0x011C, 0x0128, 0x013D, 0x013E, 0x013F,
  0x0140, 0x0142, 0x0143, 0x0144, 0x0145, 0x0152, 0x0153, 0x0211, 0x0212,
  0x0213, 0x0214, 0x8773,
};

static const guint16 exif_layout_tags[] = {
  0x9000, /* ExifVersion */
  0x9101, /* ComponentsConfiguration */
  0xA000, /* FlashpixVersion */
  0xA001, /* ColorSpace */
  0xA002, /* PixelXDimension */
  0xA003, /* PixelYDimension */
  0xA005, /* Interoperability pointer: only says which rules the file follows */
};

#define TAG_ORIENTATION 0x0112
#define TAG_EXIF_IFD    0x8769
#define TAG_GPS_IFD     0x8825
#define TAG_XMP         0x02BC
#define TAG_IPTC        0x83BB
#define TIFF_TYPE_SHORT 3
#define MAX_IFD_ENTRIES 1024

static guint32
tiff_u16 (const Tiff *tiff,
          gsize       offset)
{
  const guint8 *p = tiff->data + offset;

  if (tiff->little_endian)
    return p[0] | ((guint32) p[1] << 8);
  return ((guint32) p[0] << 8) | p[1];
}

static guint32
tiff_u32 (const Tiff *tiff,
          gsize       offset)
{
  const guint8 *p = tiff->data + offset;

  if (tiff->little_endian)
    return p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static gboolean
tag_in (guint32        tag,
        const guint16 *tags,
        gsize          n_tags)
{
  for (gsize i = 0; i < n_tags; i++)
    if (tags[i] == tag)
      return TRUE;
  return FALSE;
}

static void
parse_ifd (AvatarMetadata *meta,
           const Tiff     *tiff,
           guint32         offset,
           IfdKind         kind)
{
  guint32 n_entries;
  gsize next;

  if (offset < 8 || (gsize) offset + 2 > tiff->size)
    {
      /* A block we cannot read may hold anything. */
      meta->has_private_exif = TRUE;
      return;
    }

  n_entries = tiff_u16 (tiff, offset);
  if (n_entries > MAX_IFD_ENTRIES ||
      (gsize) offset + 2 + (gsize) n_entries * 12 > tiff->size)
    {
      meta->has_private_exif = TRUE;
      n_entries = MIN (MAX_IFD_ENTRIES, (tiff->size - offset - 2) / 12);
    }

  for (guint32 i = 0; i < n_entries; i++)
    {
      gsize entry = (gsize) offset + 2 + (gsize) i * 12;
      guint32 tag = tiff_u16 (tiff, entry);

      if (kind == IFD_EXIF)
        {
          if (!tag_in (tag, exif_layout_tags, G_N_ELEMENTS (exif_layout_tags)))
            meta->has_private_exif = TRUE;
          continue;
        }

      switch (tag)
        {
        case TAG_ORIENTATION:
          if (tiff_u16 (tiff, entry + 2) == TIFF_TYPE_SHORT && tiff_u32 (tiff, entry + 4) >= 1)
            {
              guint32 value = tiff_u16 (tiff, entry + 8);

              if (value >= 1 && value <= 8)
                meta->orientation = (int) value;
            }
          break;

        case TAG_EXIF_IFD:
          parse_ifd (meta, tiff, tiff_u32 (tiff, entry + 8), IFD_EXIF);
          break;

        case TAG_GPS_IFD:
          meta->has_location = TRUE;
          meta->has_private_exif = TRUE;
          break;

        case TAG_XMP:
          meta->has_xmp = TRUE;
          break;

        case TAG_IPTC:
          meta->has_iptc = TRUE;
          break;

        default:
          if (!tag_in (tag, layout_tags, G_N_ELEMENTS (layout_tags)))
            meta->has_private_exif = TRUE;
          break;
        }
    }

  /* A second directory in EXIF holds a thumbnail, which editors often
   * leave as it was: it may show what was cropped or painted away. */
  next = (gsize) offset + 2 + (gsize) n_entries * 12;
  if (kind == IFD_PRIMARY && next + 4 <= tiff->size && tiff_u32 (tiff, next) != 0)
    meta->has_private_exif = TRUE;
}

void
avatar_metadata_parse_exif (AvatarMetadata *meta,
                            const guint8   *data,
                            gsize           size)
{
  Tiff tiff = { data, size, FALSE };

  g_return_if_fail (meta != NULL);

  meta->has_exif = TRUE;

  if (size < 8)
    {
      meta->has_private_exif = TRUE;
      return;
    }

  if (memcmp (data, "II*\0", 4) == 0)
    tiff.little_endian = TRUE;
  else if (memcmp (data, "MM\0*", 4) != 0)
    {
      meta->has_private_exif = TRUE;
      return;
    }

  parse_ifd (meta, &tiff, tiff_u32 (&tiff, 4), IFD_PRIMARY);
}

static gboolean
has_prefix (const guint8 *data,
            gsize         size,
            const char   *prefix)
{
  gsize len = strlen (prefix);

  return size >= len && memcmp (data, prefix, len) == 0;
}

/* Zero or 0xFF padding after the end is harmless; anything else is data
 * that would travel unseen with the picture. */
static gboolean
has_trailing_bytes (const guint8 *data,
                    gsize         size,
                    gsize         end)
{
  for (gsize i = end; i < size; i++)
    if (data[i] != 0x00 && data[i] != 0xFF)
      return TRUE;
  return FALSE;
}

static void
scan_jpeg_end (AvatarMetadata *meta,
               const guint8   *data,
               gsize           size,
               gsize           pos)
{
  /* Entropy-coded data escapes 0xFF, so the first FF D9 after the scan
   * header is the end of the image. */
  for (; pos + 1 < size; pos++)
    {
      if (data[pos] == 0xFF && data[pos + 1] == 0xD9)
        {
          meta->has_trailing_data = has_trailing_bytes (data, size, pos + 2);
          return;
        }
    }

  meta->is_truncated = TRUE;
}

static void
scan_jpeg (AvatarMetadata *meta,
           const guint8   *data,
           gsize           size)
{
  gboolean seen_exif = FALSE;
  gsize pos = 2;

  for (;;)
    {
      int marker = avatar_sniff_jpeg_marker (data, size, &pos);
      gsize length;
      const guint8 *segment;
      gsize segment_size;

      if (marker == AVATAR_SNIFF_JPEG_NO_MARKER)
        return; /* the decoder will say what is wrong */
      if (marker == AVATAR_SNIFF_JPEG_CUT_SHORT || marker == 0xD9)
        break;

      length = ((gsize) data[pos + 2] << 8) | data[pos + 3];
      if (length < 2)
        return;
      if (pos + 2 + length > size)
        break;

      segment = data + pos + 4;
      segment_size = length - 2;

      if (marker == 0xDA)
        {
          scan_jpeg_end (meta, data, size, pos + 2 + length);
          return;
        }

      if (marker == 0xE1 && has_prefix (segment, segment_size, "Exif"))
        {
          AvatarMetadata exif = { .orientation = 1 };

          if (segment_size >= 6)
            avatar_metadata_parse_exif (&exif, segment + 6, segment_size - 6);
          else
            avatar_metadata_parse_exif (&exif, segment, 0);

          /* Decoders follow the first EXIF block. */
          if (!seen_exif)
            meta->orientation = exif.orientation;
          seen_exif = TRUE;
          meta->has_exif = TRUE;
          meta->has_private_exif |= exif.has_private_exif;
          meta->has_location |= exif.has_location;
          meta->has_xmp |= exif.has_xmp;
          meta->has_iptc |= exif.has_iptc;
        }
      else if (marker == 0xE1 && has_prefix (segment, segment_size, "http://ns.adobe.com/"))
        meta->has_xmp = TRUE;
      else if (marker == 0xED && has_prefix (segment, segment_size, "Photoshop 3.0"))
        meta->has_iptc = TRUE;

      pos += 2 + length;
    }

  /* The file ended before the image data did. */
  meta->is_truncated = TRUE;
}

static void
scan_png_text (AvatarMetadata *meta,
               const guint8   *chunk,
               gsize           size)
{
  const char *keyword = (const char *) chunk;
  gsize keyword_len = strnlen (keyword, MIN (size, 80));

  if (keyword_len == MIN (size, 80))
    return; /* not terminated: not a keyword */

  if (strcmp (keyword, "XML:com.adobe.xmp") == 0)
    meta->has_xmp = TRUE;
  else if (g_str_has_prefix (keyword, "Raw profile type "))
    {
      const char *profile = keyword + strlen ("Raw profile type ");

      /* ImageMagick keeps the original metadata blocks hex-encoded here. */
      if (g_ascii_strcasecmp (profile, "xmp") == 0)
        meta->has_xmp = TRUE;
      else if (g_ascii_strcasecmp (profile, "iptc") == 0 ||
               g_ascii_strcasecmp (profile, "8bim") == 0)
        meta->has_iptc = TRUE;
      else if (g_ascii_strcasecmp (profile, "exif") == 0 ||
               g_ascii_strcasecmp (profile, "app1") == 0)
        {
          meta->has_exif = TRUE;
          meta->has_private_exif = TRUE;
        }
    }
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint32
le32 (const guint8 *p)
{
  return ((guint32) p[3] << 24) | ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];
}

static void
scan_png (AvatarMetadata *meta,
          const guint8   *data,
          gsize           size)
{
  gsize pos = 8;

  while (pos + 12 <= size)
    {
      guint32 length = be32 (data + pos);
      const guint8 *type = data + pos + 4;
      const guint8 *chunk = data + pos + 8;

      if (length > size - pos - 12)
        break;

      if (memcmp (type, "IEND", 4) == 0)
        {
          meta->has_trailing_data = has_trailing_bytes (data, size, pos + 12 + length);
          return;
        }
      else if (memcmp (type, "eXIf", 4) == 0)
        avatar_metadata_parse_exif (meta, chunk, length);
      else if (memcmp (type, "iTXt", 4) == 0 ||
               memcmp (type, "tEXt", 4) == 0 ||
               memcmp (type, "zTXt", 4) == 0)
        scan_png_text (meta, chunk, length);
      else if (memcmp (type, "acTL", 4) == 0 && length >= 4 && be32 (chunk) > 1)
        meta->is_animated = TRUE;

      pos += 12 + (gsize) length;
    }

  /* No IEND: the file was cut short. */
  meta->is_truncated = TRUE;
}

/* Skips GIF data sub-blocks; FALSE when the file ends inside them. */
static gboolean
skip_gif_sub_blocks (const guint8 *data,
                     gsize         size,
                     gsize        *pos)
{
  while (*pos < size)
    {
      guint8 n = data[*pos];

      *pos += 1;
      if (n == 0)
        return TRUE;
      *pos += n;
    }
  return FALSE;
}

static guint32
le16 (const guint8 *p)
{
  return p[0] | ((guint32) p[1] << 8);
}

/* The bytes of the colour table that @flags announce, if any. */
static gsize
gif_color_table_size (guint8 flags)
{
  return (flags & 0x80) ? 3 * ((gsize) 1 << ((flags & 0x07) + 1)) : 0;
}

/* An extension block at *@pos; FALSE when the file ends inside it. */
static gboolean
scan_gif_extension (AvatarMetadata *meta,
                    const guint8   *data,
                    gsize           size,
                    gsize          *pos)
{
  if (*pos + 2 > size)
    return FALSE;

  if (data[*pos + 1] == 0xFF && *pos + 14 <= size && data[*pos + 2] == 11 &&
      memcmp (data + *pos + 3, "XMP DataXMP", 11) == 0)
    meta->has_xmp = TRUE;

  *pos += 2;
  return skip_gif_sub_blocks (data, size, pos);
}

/* A frame, its descriptor and its pixels, at *@pos; FALSE when the file
 * ends inside it. */
static gboolean
scan_gif_frame (AvatarMetadata *meta,
                const guint8   *data,
                gsize           size,
                gsize          *pos,
                guint32         screen_width,
                guint32         screen_height)
{
  const guint8 *frame = data + *pos;
  guint32 left, top, width, height;

  if (*pos + 10 > size)
    return FALSE;

  /* A frame without pixels, or one reaching outside the logical
   * screen, is what gdk-pixbuf's GIF decoder trips over. */
  left = le16 (frame + 1);
  top = le16 (frame + 3);
  width = le16 (frame + 5);
  height = le16 (frame + 7);
  if (width == 0 || height == 0 ||
      left + width > screen_width || top + height > screen_height)
    meta->is_malformed = TRUE;

  *pos += 10 + gif_color_table_size (frame[9]);
  *pos += 1; /* LZW minimum code size */
  return skip_gif_sub_blocks (data, size, pos);
}

static void
scan_gif (AvatarMetadata *meta,
          const guint8   *data,
          gsize           size)
{
  guint n_frames = 0;
  gsize pos = 13;

  if (size < 13)
    {
      meta->is_truncated = TRUE;
      return;
    }

  pos += gif_color_table_size (data[10]);

  for (;;)
    {
      gboolean complete;

      if (pos >= size)
        {
          /* Many writers forget the trailer; complete frames still count. */
          meta->is_truncated = n_frames == 0;
          break;
        }

      if (data[pos] == 0x3B)
        {
          meta->has_trailing_data = has_trailing_bytes (data, size, pos + 1);
          break;
        }
      else if (data[pos] == 0x21)
        complete = scan_gif_extension (meta, data, size, &pos);
      else if (data[pos] == 0x2C)
        {
          complete = scan_gif_frame (meta, data, size, &pos, le16 (data + 6), le16 (data + 8));
          n_frames += complete;
        }
      else
        {
          /* Not a block. gdk-pixbuf would hunt for the next thing that
           * looks like one and decode garbage as a frame. */
          meta->is_malformed = TRUE;
          break;
        }

      if (!complete)
        {
          meta->is_truncated = TRUE;
          break;
        }
    }

  meta->is_animated = n_frames > 1;
}

static guint32
le24 (const guint8 *p)
{
  return p[0] | p[1] << 8 | (guint32) p[2] << 16;
}

/* The container's rule: every frame of an animation lies inside the
 * canvas. A frame that claims otherwise is where decoders go wrong. */
static gboolean
webp_frame_fits (const guint8 *anmf,
                 gsize         length,
                 guint32       canvas_width,
                 guint32       canvas_height)
{
  if (length < 16)
    return FALSE;

  return (guint64) le24 (anmf) * 2 + le24 (anmf + 6) + 1 <= canvas_width &&
         (guint64) le24 (anmf + 3) * 2 + le24 (anmf + 9) + 1 <= canvas_height;
}

/* An animation frame is a 16-byte header, then an optional ALPH chunk
 * and a VP8 or VP8L chunk. */
static gboolean
webp_frame_has_bitstream (const guint8 *frame,
                          gsize         size)
{
  gsize pos = 16;

  while (pos + 8 <= size)
    {
      gsize length = le32 (frame + pos + 4);

      if (length > size - pos - 8)
        return FALSE;
      if (memcmp (frame + pos, "VP8 ", 4) == 0 || memcmp (frame + pos, "VP8L", 4) == 0)
        return TRUE;
      if (memcmp (frame + pos, "ALPH", 4) != 0)
        return FALSE;
      pos += 8 + length + (length & 1);
    }

  return FALSE;
}

static void
scan_webp (AvatarMetadata *meta,
           const guint8   *data,
           gsize           size)
{
  guint n_frames = 0;
  gboolean has_bitstream = FALSE;
  gboolean says_animated = FALSE;
  guint32 canvas_width = 0, canvas_height = 0;
  gboolean broken_frame = FALSE;
  gsize end;
  gsize pos = 12;

  end = 8 + (gsize) le32 (data + 4);
  if (end > size)
    {
      meta->is_truncated = TRUE;
      end = size;
    }
  else
    meta->has_trailing_data = has_trailing_bytes (data, size, end);

  while (pos + 8 <= end)
    {
      const guint8 *fourcc = data + pos;
      gsize length = le32 (data + pos + 4);
      const guint8 *chunk = data + pos + 8;

      if (length > end - pos - 8)
        {
          meta->is_truncated = TRUE;
          break;
        }

      if (memcmp (fourcc, "VP8X", 4) == 0 && length >= 10)
        {
          says_animated = (chunk[0] & 0x02) != 0;
          canvas_width = le24 (chunk + 4) + 1;
          canvas_height = le24 (chunk + 7) + 1;
        }
      else if (memcmp (fourcc, "VP8 ", 4) == 0 || memcmp (fourcc, "VP8L", 4) == 0)
        has_bitstream = TRUE;
      else if (memcmp (fourcc, "ANMF", 4) == 0)
        {
          n_frames++;
          if (!webp_frame_fits (chunk, length, canvas_width, canvas_height))
            meta->is_malformed = TRUE;
          broken_frame |= !webp_frame_has_bitstream (chunk, length);
        }
      else if (memcmp (fourcc, "EXIF", 4) == 0)
        {
          /* Some writers keep the JPEG "Exif\0\0" prefix. */
          if (has_prefix (chunk, length, "Exif"))
            avatar_metadata_parse_exif (meta, chunk + MIN (length, 6), length - MIN (length, 6));
          else
            avatar_metadata_parse_exif (meta, chunk, length);
        }
      else if (memcmp (fourcc, "XMP ", 4) == 0)
        meta->has_xmp = TRUE;

      pos += 8 + length + (length & 1);
    }

  /* An animation without frames, or with a frame without pixels or pixels
   * outside its frames, or a still without its bitstream, is what decoders
   * trip over (webp-pixbuf-loader with a critical); say so before they
   * see it. */
  if (!meta->is_truncated &&
      (says_animated ? n_frames == 0 || broken_frame || has_bitstream : !has_bitstream))
    meta->is_malformed = TRUE;

  meta->is_animated = n_frames > 1;
}

/* gdk-pixbuf's BMP decoder trusts its header too far: it buffers the file
 * up to where the header says the pixels start (a 54-byte file asked for
 * 2 GB), and reads a palette of 2^31 colours or more as a negative count
 * (a 1-bit file of 94 bytes took 28 s and 4 GB). Pixels said to start
 * after the end of the file are cut off; a palette larger than the depth
 * can address is refused as well. */
static void
scan_bmp (AvatarMetadata *meta,
          const guint8   *data,
          gsize           size)
{
  guint32 depth, colors;

  if (size < 14 + 4 || le32 (data + 10) > size)
    {
      meta->is_truncated = TRUE;
      return;
    }

  /* The 12-byte OS/2 header has no palette count. */
  if (size < 14 + 40 || le32 (data + 14) < 40)
    return;

  depth = data[28] | ((guint32) data[29] << 8);
  colors = le32 (data + 46);
  if (colors > G_MAXINT32 || (depth <= 8 && colors > (1u << depth)))
    meta->is_malformed = TRUE;
}

void
avatar_metadata_scan (AvatarMetadata *meta,
                      const char     *mime_type,
                      const guint8   *data,
                      gsize           size)
{
  g_return_if_fail (meta != NULL);
  g_return_if_fail (mime_type != NULL);

  memset (meta, 0, sizeof *meta);
  meta->orientation = 1;

  if (strcmp (mime_type, "image/jpeg") == 0 && size >= 2)
    scan_jpeg (meta, data, size);
  else if (strcmp (mime_type, "image/png") == 0 && size >= 8)
    scan_png (meta, data, size);
  else if (strcmp (mime_type, "image/gif") == 0)
    scan_gif (meta, data, size);
  else if (strcmp (mime_type, "image/webp") == 0 && size >= 12)
    scan_webp (meta, data, size);
  else if (strcmp (mime_type, "image/bmp") == 0)
    scan_bmp (meta, data, size);
  else if (strcmp (mime_type, "image/tiff") == 0)
    {
      /* A TIFF file is itself an EXIF-style structure. */
      avatar_metadata_parse_exif (meta, data, size);
      meta->has_exif = FALSE;
    }
}

gboolean
avatar_metadata_is_private (const AvatarMetadata *meta)
{
  g_return_val_if_fail (meta != NULL, FALSE);

  return meta->has_private_exif || meta->has_location || meta->has_xmp ||
         meta->has_iptc || meta->has_trailing_data;
}
