/* avatar-client-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the client's files share inside libavatar, with AvatarUpload (which
 * sends its PUT on the client's session) and with the client's tests.
 */

#pragma once

#include "avatar-client.h"

G_BEGIN_DECLS

/* The client's state, shared by avatar-client.c and avatar-client-tokens.c;
 * the engine in avatar-request.c goes through the public getters. */
struct _AvatarClient
{
  GObject      parent_instance;

  char        *base_url;   /* without a trailing slash */
  GUri        *base_uri;
  char        *app_id;

  GMutex       token_lock;
  char        *access_token;
  char        *refresh_token;

  SoupSession *session;
  guint        timeout_s;

  /* Non-NULL while a refresh is in flight: the callers waiting for it. */
  GPtrArray   *refresh_waiters;
};

/* Emits AvatarClient::tokens-changed, for the refresh in
 * avatar-client-tokens.c. */
void      avatar_client_emit_tokens_changed (AvatarClient *self);

/* Parses @url as avatar_client_check_url () checks it.
 * Returns: (transfer full) (nullable): the URI, or %NULL with @error set. */
GUri     *avatar_client_parse_url      (const char   *url,
                                        GError      **error);
/* Whether @uri has the base URL's scheme, host and port. */
gboolean  avatar_client_is_api_origin  (AvatarClient *self,
                                        GUri         *uri);
/* Strips the API's headers from @msg whenever it is about to go anywhere
 * but the base URL's origin, whatever happens to it later. */
void      avatar_client_guard_message  (AvatarClient *self,
                                        SoupMessage  *msg);
/* Turns an error of GIO, TLS or libsoup into AVATAR_ERROR_NETWORK;
 * AVATAR_ERROR errors and G_IO_ERROR_CANCELLED pass unchanged. */
GError   *avatar_client_wrap_error     (GError       *error);
/* One debug line per exchange, with secrets redacted. */
void      avatar_client_log_exchange   (SoupMessage  *msg,
                                        gint64        started_us,
                                        const GError *error);

/* How the client reads the API's answers, apart from any exchange. They
 * return (transfer full) what they read, or %NULL (%FALSE) with @error set
 * to AVATAR_ERROR_PROTOCOL or AVATAR_ERROR_INSECURE_URL. */
AvatarProfile *avatar_client_parse_profile      (GBytes       *body,
                                                 GError      **error);
/* @content_type is the type the ticket is asked for, copied into it. */
AvatarTicket  *avatar_client_parse_ticket       (GBytes       *body,
                                                 const char   *content_type,
                                                 GError      **error);
gboolean       avatar_client_parse_tokens       (GBytes       *body,
                                                 char        **access_token,
                                                 char        **refresh_token,
                                                 GError      **error);
/* Returns: (transfer full) (nullable): the message of an error answer
 * {"error": {"code", "message"}}, when @body is one. */
char          *avatar_client_dup_server_message (GBytes       *body);
/* Returns: (transfer full) (nullable): the code of such an answer. */
char          *avatar_client_dup_server_code    (GBytes       *body);

G_END_DECLS
