/* avatar-request.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The request engine under AvatarClient, for the client's own calls: one
 * exchange with the service or the CDN, repeated after transient failures,
 * with redirects checked, the bearer token refreshed once on 401 and the
 * answer's body read up to a limit.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "avatar-client.h"

G_BEGIN_DECLS

typedef enum
{
  AVATAR_REQUEST_NONE       = 0,
  /* x-app-id and Authorization; redirects only within the base origin. */
  AVATAR_REQUEST_API        = 1 << 0,
  /* May be repeated after any transient failure. */
  AVATAR_REQUEST_IDEMPOTENT = 1 << 1,
  /* The refresh itself: no Authorization, and no refresh on 401. */
  AVATAR_REQUEST_NO_BEARER  = 1 << 2,
} AvatarRequestFlags;

/* A successful (2xx) answer. */
typedef struct
{
  guint   status;
  GBytes *body;
  char   *content_type;
  goffset content_length;   /* -1 when the answer did not say */
} AvatarResponse;

void avatar_response_free (AvatarResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvatarResponse, avatar_response_free)

/* Sends @method to @uri, with @body (nullable) as JSON, on @self's session.
 * An answer whose body passes @max_body bytes ends the exchange. The task's
 * source object is @self; a cancellation of @cancellable is reported as
 * G_IO_ERROR_CANCELLED. */
void            avatar_request_async  (AvatarClient        *self,
                                       const char          *method,
                                       GUri                *uri,
                                       GBytes              *body,
                                       AvatarRequestFlags   flags,
                                       gsize                max_body,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
/* Returns: (transfer full): the answer, or %NULL with @error set: an
 * AVATAR_ERROR for a failed exchange or an answer that is not 2xx, or
 * G_IO_ERROR_CANCELLED. */
AvatarResponse *avatar_request_finish (AvatarClient        *self,
                                       GAsyncResult        *result,
                                       GError             **error);

/* The API answers with small JSON documents; a body this large is not one. */
#define AVATAR_REQUEST_API_MAX_BODY (1024 * 1024)

/* Returns: (transfer full): the URI of @path (which starts with "/") under
 * the client's base URL. */
GUri           *avatar_request_api_uri       (AvatarClient       *self,
                                              const char         *path);
/* Returns: (transfer full): the JSON document {@member: @value}, taking
 * @value. */
GBytes         *avatar_request_json_body_new (const char         *member,
                                              JsonNode           *value);

G_END_DECLS
