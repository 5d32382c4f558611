/* avatar-upload.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "avatar-client.h"

G_BEGIN_DECLS

#define AVATAR_TYPE_UPLOAD (avatar_upload_get_type ())

G_DECLARE_FINAL_TYPE (AvatarUpload, avatar_upload, AVATAR, UPLOAD, GObject)

/* A presigned PUT of @bytes with exactly the signed Content-Type and no
 * Authorization. Properties: bytes-sent, bytes-total, fraction (notified at
 * most about 30 times a second, and once at 100 %). bytes-sent counts what
 * the storage acknowledged where the system tells (Linux), otherwise what
 * was handed to the connection; it goes back to 0 when a try starts over. */
AvatarUpload *avatar_upload_new             (AvatarClient        *client,
                                             GBytes              *bytes,
                                             const char          *content_type);
guint64       avatar_upload_get_bytes_sent  (AvatarUpload        *self);
guint64       avatar_upload_get_bytes_total (AvatarUpload        *self);
double        avatar_upload_get_fraction    (AvatarUpload        *self);

/* Puts the bytes to @ticket's URL; one run at a time. An expired URL gets one
 * fresh ticket from the client. The finish function returns (transfer full)
 * the ticket that was used, or %NULL with @error set. */
void          avatar_upload_run_async       (AvatarUpload        *self,
                                             const AvatarTicket  *ticket,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
AvatarTicket *avatar_upload_run_finish      (AvatarUpload        *self,
                                             GAsyncResult        *result,
                                             GError             **error);

G_END_DECLS
