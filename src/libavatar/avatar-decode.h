/* avatar-decode.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "avatar-sniff.h"

G_BEGIN_DECLS

/* The guarded decoder under AvatarImage: every picture the library opens
 * goes through it, with the pixel limits of avatar-image.h checked before
 * any pixel is allocated. Callable from any thread. */

/* Whether @width × @height is beyond AVATAR_IMAGE_MAX_SIDE or
 * AVATAR_IMAGE_MAX_PIXELS. */
gboolean    avatar_decode_exceeds_limits            (guint64                  width,
                                                     guint64                  height);

/* The library's words for a picture with too many pixels
 * (AVATAR_ERROR_TOO_MANY_PIXELS), for a damaged one
 * (AVATAR_ERROR_INVALID_IMAGE), and for a cancel (G_IO_ERROR_CANCELLED,
 * set when @cancellable is cancelled; returns whether it was). */
void        avatar_decode_set_too_many_pixels_error (GError                 **error,
                                                     const char              *display_name,
                                                     guint32                  width,
                                                     guint32                  height);
void        avatar_decode_set_corrupt_error         (GError                 **error,
                                                     const char              *display_name);
gboolean    avatar_decode_check_cancelled           (GCancellable            *cancellable,
                                                     GError                 **error);

/* Returns: (transfer full) (nullable): the pixels stored with EXIF
 * orientation @orientation (1-8) turned upright; %NULL when there is no
 * memory for them. */
GdkPixbuf  *avatar_decode_orient                    (GdkPixbuf               *pixbuf,
                                                     int                      orientation);
/* Shrinks @width × @height, keeping its shape, to fit a box of
 * @fit_side a side; leaves them when they fit or @fit_side is 0. */
void        avatar_decode_fit_inside                (int                     *width,
                                                     int                     *height,
                                                     int                      fit_side);
/* Whether any pixel is less than opaque. */
gboolean    avatar_decode_has_transparency          (GdkPixbuf               *pixbuf);

/* WebP is read by libwebp and needs no gdk-pixbuf loader. */
gboolean    avatar_decode_is_webp                   (const AvatarSniffedType *type);
/* Returns: (transfer full) (nullable): the name of the enabled gdk-pixbuf
 * loader for @mime_type, or %NULL when this system has none. */
char       *avatar_decode_find_loader               (const char              *mime_type);

/* What the decoder read besides the pixels. */
typedef struct
{
  int      width;        /* as declared, before any scaling */
  int      height;
  gboolean is_animated;
} AvatarDecodeInfo;

/* Decodes @bytes of the sniffed @type, with libwebp for WebP and the
 * loader @loader_name for the rest (never one gdk-pixbuf guesses), scaled
 * to fit a box of @fit_side (0 for full size), as stored (no orientation
 * applied). Refuses dimensions beyond the limits before allocating, and
 * reads in slices so that a cancel is noticed. Returns: (transfer full):
 * the pixels, with @info set, or %NULL with @error set in AVATAR_ERROR or
 * G_IO_ERROR_CANCELLED. */
GdkPixbuf  *avatar_decode                           (GBytes                  *bytes,
                                                     const AvatarSniffedType *type,
                                                     const char              *loader_name,
                                                     const char              *display_name,
                                                     int                      fit_side,
                                                     AvatarDecodeInfo        *info,
                                                     GCancellable            *cancellable,
                                                     GError                 **error);

G_END_DECLS
