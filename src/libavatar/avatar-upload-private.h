/* avatar-upload-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "avatar-upload.h"

G_BEGIN_DECLS

/* Reads Code and Message from S3's <Error> document in @body; each is
 * (transfer full) %NULL when missing or empty. */
void      avatar_upload_parse_s3_error     (GBytes       *body,
                                            char        **code,
                                            char        **message);
/* Whether S3's @code or @message (either may be %NULL) says that the
 * presigned URL expired. */
gboolean  avatar_upload_s3_error_is_expiry (const char   *code,
                                            const char   *message);
/* The error for a refused PUT (transfer full): @message and @code when S3
 * gave them, the HTTP status of @msg otherwise. */
GError   *avatar_upload_s3_error_new       (SoupMessage  *msg,
                                            const char   *code,
                                            const char   *message);

G_END_DECLS
