/* avatar-upload-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "avatar-upload.h"

G_BEGIN_DECLS

/* Reads Code and Message from S3's <Error> document in @body; each is
 * (transfer full) %NULL when missing or empty. */
void avatar_upload_parse_s3_error (GBytes  *body,
                                   char   **code,
                                   char   **message);

G_END_DECLS
