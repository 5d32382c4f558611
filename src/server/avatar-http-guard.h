/* avatar-http-guard.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The longest request line and headers taken, in bytes. */
#define AVATAR_HTTP_MAX_HEAD 32768

typedef enum
{
  AVATAR_HTTP_BODY_NONE,
  AVATAR_HTTP_BODY_LENGTH,
  AVATAR_HTTP_BODY_CHUNKED,
} AvatarHttpBody;

/* Checks the framing of one HTTP/1.x request head (request line and
 * headers, up to and including the empty line): Content-Length and
 * Transfer-Encoding must say one thing, once, in a form every HTTP parser
 * reads the same way.  Returns 0 and sets @body and @length when the head is
 * acceptable, or the status to refuse it with (400, 431 or 501). */
guint avatar_http_check_head (const char     *head,
                              gsize           len,
                              AvatarHttpBody *body,
                              guint64        *length);

#define AVATAR_TYPE_HTTP_GUARD (avatar_http_guard_get_type ())

G_DECLARE_FINAL_TYPE (AvatarHttpGuard, avatar_http_guard, AVATAR, HTTP_GUARD, GIOStream)

/* Wraps an accepted connection for SoupServer (soup_server_accept_iostream).
 * Each request head is read and checked whole before libsoup sees a byte
 * of it; a head that fails avatar_http_check_head() is answered here and
 * the connection closed.  A head that takes longer than @header_timeout_s
 * from its first byte, or a connection on which nothing arrives for
 * @idle_timeout_s while a request is expected or being read, is closed.
 * Main thread only. */
AvatarHttpGuard *avatar_http_guard_new        (GSocketConnection *connection,
                                               guint              header_timeout_s,
                                               guint              idle_timeout_s);
GSocket         *avatar_http_guard_get_socket (AvatarHttpGuard   *self);
/* Closes the connection at once, as a network failure would. */
void             avatar_http_guard_cut        (AvatarHttpGuard   *self);

G_END_DECLS
