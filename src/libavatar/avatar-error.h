/* avatar-error.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AVATAR_ERROR (avatar_error_quark ())

/**
 * AvatarError:
 * @AVATAR_ERROR_INVALID_IMAGE: the file is not an image, or it is corrupt or truncated
 * @AVATAR_ERROR_UNSUPPORTED_TYPE: an image no installed loader can read, or a type the service refuses
 * @AVATAR_ERROR_TOO_LARGE: the picture cannot be made to fit the upload limit
 * @AVATAR_ERROR_TOO_MANY_PIXELS: the declared dimensions are beyond the decoding limits
 * @AVATAR_ERROR_UNREADABLE: the file could not be read
 * @AVATAR_ERROR_AUTH: the service did not accept the credentials, and refreshing them failed
 * @AVATAR_ERROR_PROTOCOL: the service answered something that does not follow the API
 * @AVATAR_ERROR_NETWORK: the service could not be reached, or the connection broke
 * @AVATAR_ERROR_SERVER: the service answered with an error
 * @AVATAR_ERROR_UPLOAD_REJECTED: the storage refused the upload
 * @AVATAR_ERROR_URL_EXPIRED: the presigned upload URL expired, even after a fresh one was requested
 * @AVATAR_ERROR_PROCESSING_FAILED: the upload arrived but the service could not process it
 * @AVATAR_ERROR_PROCESSING_TIMEOUT: the upload arrived but processing did not finish in time
 * @AVATAR_ERROR_INSECURE_URL: a URL would send the picture or a token unencrypted over a network
 * @AVATAR_ERROR_UNAVAILABLE: the service answered 429 or a 5xx even after the retries; later may work
 * @AVATAR_ERROR_STILL_PROCESSING: the newest upload is still being processed (confirmAvatar)
 *
 * A cancelled operation fails with G_IO_ERROR_CANCELLED, as GIO's own do.
 */
typedef enum
{
  AVATAR_ERROR_INVALID_IMAGE,
  AVATAR_ERROR_UNSUPPORTED_TYPE,
  AVATAR_ERROR_TOO_LARGE,
  AVATAR_ERROR_TOO_MANY_PIXELS,
  AVATAR_ERROR_UNREADABLE,
  AVATAR_ERROR_AUTH,
  AVATAR_ERROR_PROTOCOL,
  AVATAR_ERROR_NETWORK,
  AVATAR_ERROR_SERVER,
  AVATAR_ERROR_UPLOAD_REJECTED,
  AVATAR_ERROR_URL_EXPIRED,
  AVATAR_ERROR_PROCESSING_FAILED,
  AVATAR_ERROR_PROCESSING_TIMEOUT,
  AVATAR_ERROR_INSECURE_URL,
  AVATAR_ERROR_UNAVAILABLE,
  AVATAR_ERROR_STILL_PROCESSING,
} AvatarError;

GQuark  avatar_error_quark         (void);
/* G_IO_ERROR_CANCELLED, worded once for the whole library. */
GError *avatar_error_new_cancelled (void);

G_END_DECLS
