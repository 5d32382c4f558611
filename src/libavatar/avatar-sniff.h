/* avatar-sniff.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the first bytes of a file say it is. */
typedef struct
{
  const char *mime_type;   /* e.g. "image/png" */
  const char *name;        /* a name for people, e.g. "PNG" */
  gboolean    uploadable;  /* the service takes it as it is */
} AvatarSniffedType;

/* Returns: (nullable): the type of @data, or %NULL when it is no image
 * format we recognise. Never looks at file names. */
const AvatarSniffedType *avatar_sniff_type       (const guint8            *data,
                                                  gsize                    size);

/* Reads the declared dimensions from the header of the formats we can parse
 * without decoding. Returns %FALSE when the format is not parsed here or the
 * header is cut short; the decoder's own check catches those. */
gboolean                 avatar_sniff_dimensions (const AvatarSniffedType *type,
                                                  const guint8            *data,
                                                  gsize                    size,
                                                  guint32                 *width,
                                                  guint32                 *height);

/* Walking a JPEG's segments: returns the marker at *@pos, once fill bytes
 * and the markers that stand alone (TEM, RSTn, SOI) are passed, with *@pos
 * on its 0xFF and the two bytes after it (a segment's length) inside
 * @size; AVATAR_SNIFF_JPEG_NO_MARKER when the byte at *@pos is not 0xFF,
 * AVATAR_SNIFF_JPEG_CUT_SHORT when the data ends first. */
#define AVATAR_SNIFF_JPEG_CUT_SHORT (-1)
#define AVATAR_SNIFF_JPEG_NO_MARKER (-2)
int                      avatar_sniff_jpeg_marker (const guint8            *data,
                                                   gsize                    size,
                                                   gsize                   *pos);

G_END_DECLS
