/* avatar-metadata.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a quick walk over a file's structure found, without decoding pixels. */
typedef struct
{
  int      orientation;       /* EXIF orientation 1-8; 1 when the file says nothing */
  gboolean has_exif;          /* any EXIF block at all */
  gboolean has_private_exif;  /* EXIF beyond layout tags: camera, date, thumbnail… */
  gboolean has_location;      /* an EXIF GPS block */
  gboolean has_xmp;
  gboolean has_iptc;
  gboolean has_trailing_data; /* bytes after the end of the image */
  gboolean is_animated;
  gboolean is_truncated;      /* the structure ends before the image does */
  gboolean is_malformed;      /* the structure contradicts itself */
} AvatarMetadata;

void     avatar_metadata_scan        (AvatarMetadata *meta,
                                      const char     *mime_type,
                                      const guint8   *data,
                                      gsize           size);

/* Reads a TIFF-structured EXIF block (starting at "II" or "MM"). */
void     avatar_metadata_parse_exif  (AvatarMetadata *meta,
                                      const guint8   *data,
                                      gsize           size);

/* Location, camera or other personal data, or hidden extra bytes: what must
 * not leave the machine unless the person asked to keep metadata. */
gboolean avatar_metadata_is_private  (const AvatarMetadata *meta);

G_END_DECLS
