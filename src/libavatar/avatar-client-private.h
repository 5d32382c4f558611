/* avatar-client-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "avatar-client.h"

G_BEGIN_DECLS

/* Whether @uri has the base URL's scheme, host and port. */
gboolean  avatar_client_is_api_origin  (AvatarClient *self,
                                        GUri         *uri);
/* Strips the API's headers from @msg whenever it is about to go anywhere
 * but the base URL's origin, whatever happens to it later. */
void      avatar_client_guard_message  (AvatarClient *self,
                                        SoupMessage  *msg);
/* Turns an error of GIO, TLS or libsoup into AVATAR_ERROR_NETWORK or
 * AVATAR_ERROR_CANCELLED; AVATAR_ERROR errors pass unchanged. */
GError   *avatar_client_wrap_error     (GError       *error);
/* One debug line per exchange, with secrets redacted. */
void      avatar_client_log_exchange   (SoupMessage  *msg,
                                        gint64        started_us,
                                        const GError *error);

G_END_DECLS
