/* avatar-image-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AvatarImage's fields, shared by avatar-image.c (the object, loading and
 * the crop rules) and avatar-prepare.c (cutting and encoding); nothing
 * outside libavatar includes it.
 */

#pragma once

#include "avatar-image.h"
#include "avatar-sniff.h"

G_BEGIN_DECLS

/* The picture is kept as its file's bytes; its decoded full-size pixels
 * only when asked (avatar_image_set_keep_pixels), as the window does while
 * the picture is open, so that a new crop is only cut out and encoded.
 * Otherwise prepare() decodes in its worker thread and lets the full-size
 * pixels go as soon as the square is encoded. */
struct _AvatarImage
{
  GObject                  parent_instance;

  char                    *display_name;
  GBytes                  *bytes;
  const AvatarSniffedType *type;
  char                    *loader_name;

  /* As stored in the file, before the orientation is applied. */
  int                      stored_width;
  int                      stored_height;

  /* Upright. */
  int                      width;
  int                      height;

  /* The orientation the file records, and the turn that is still to be
   * applied to what the decoder gives: they differ for TIFF, where libtiff
   * does part of the work itself. */
  int                      orientation;
  int                      transform;

  gboolean                 is_animated;
  gboolean                 has_alpha;
  gboolean                 has_metadata;

  GdkPixbuf               *preview;
  double                   preview_scale;

  /* Shared by the prepare() threads. */
  GMutex                   pixels_lock;
  gboolean                 keep_pixels;
  GdkPixbuf               *pixels;
  guint                    n_full_decodes;
};

G_END_DECLS
