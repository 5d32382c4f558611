/* avatar-sigv4.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest validity S3 accepts for a presigned URL: seven days. */
#define AVATAR_SIGV4_MAX_EXPIRES 604800

typedef enum
{
  AVATAR_SIGV4_OK,
  AVATAR_SIGV4_MALFORMED,
  AVATAR_SIGV4_UNKNOWN_KEY,
  AVATAR_SIGV4_NOT_YET_VALID,
  AVATAR_SIGV4_EXPIRED,
  AVATAR_SIGV4_SIGNATURE_MISMATCH,
} AvatarSigv4Result;

typedef struct
{
  const char *access_key;
  const char *secret_key;
  const char *region;
  const char *service;
} AvatarSigv4Credentials;

char              *avatar_sigv4_uri_encode           (const char                   *text,
                                                      gboolean                      keep_slash);
GBytes            *avatar_sigv4_signing_key          (const char                   *secret_key,
                                                      const char                   *date,
                                                      const char                   *region,
                                                      const char                   *service);
char              *avatar_sigv4_canonical_query      (GHashTable                   *params);
char              *avatar_sigv4_canonical_request    (const char                   *method,
                                                      const char                   *path,
                                                      GHashTable                   *query,
                                                      const char * const           *headers,
                                                      const char                   *payload_hash);
char              *avatar_sigv4_string_to_sign       (const char                   *amz_date,
                                                      const char                   *scope,
                                                      const char                   *canonical_request);
char              *avatar_sigv4_sign                 (GBytes                       *signing_key,
                                                      const char                   *string_to_sign);
char              *avatar_sigv4_presign_url          (const AvatarSigv4Credentials *credentials,
                                                      const char                   *method,
                                                      const char                   *endpoint,
                                                      const char                   *host,
                                                      const char                   *path,
                                                      const char * const           *extra_headers,
                                                      GDateTime                    *when,
                                                      guint                         expires_s);
AvatarSigv4Result  avatar_sigv4_verify               (const AvatarSigv4Credentials *credentials,
                                                      const char                   *method,
                                                      const char                   *path,
                                                      const char                   *raw_query,
                                                      GHashTable                   *headers,
                                                      GDateTime                    *now,
                                                      char                        **message);
gboolean           avatar_sigv4_equal_constant_time  (const char                   *a,
                                                      const char                   *b);

G_END_DECLS
