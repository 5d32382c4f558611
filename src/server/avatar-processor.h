/* avatar-processor.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AVATAR_TYPE_PROCESSOR (avatar_processor_get_type ())

G_DECLARE_FINAL_TYPE (AvatarProcessor, avatar_processor, AVATAR, PROCESSOR, GObject)

/* Larger sources are refused before decoding; WebP cannot hold more than
 * 16383 pixels a side anyway. */
#define AVATAR_PROCESSOR_MAX_SIDE 16383
#define AVATAR_PROCESSOR_MAX_PIXELS (100 * 1000 * 1000)

/* Returns: (nullable): "image/jpeg", "image/png", "image/gif" or
 * "image/webp" as the magic numbers say, or %NULL. */
const char      *avatar_processor_sniff_type       (const guint8         *data,
                                                    gsize                 len);
/* As many workers as the machine has processors. */
guint            avatar_processor_default_workers  (void);
/* @workers: how many uploads are processed at once; 0 for the default.
 * Further jobs wait their turn, first in, first out. */
AvatarProcessor *avatar_processor_new              (guint                 workers);
guint            avatar_processor_get_workers      (AvatarProcessor      *self);
/* Reads @raw_path on a worker thread, checks that it is the @content_type it
 * was signed as, and writes the WebP variants into @output_dir. */
void             avatar_processor_process_async    (AvatarProcessor      *self,
                                                    const char           *raw_path,
                                                    const char           *content_type,
                                                    const char           *output_dir,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
/* @width and @height: the upright dimensions of the upload, on success. */
gboolean         avatar_processor_process_finish   (AvatarProcessor      *self,
                                                    GAsyncResult         *result,
                                                    int                  *width,
                                                    int                  *height,
                                                    GError              **error);

G_END_DECLS
