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

G_END_DECLS
