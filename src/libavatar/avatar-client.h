/* avatar-client.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  char *id;
  char *username;
  char *avatar_url;   /* NULL when the user has no avatar */
} AvatarProfile;

GType          avatar_profile_get_type (void) G_GNUC_CONST;
AvatarProfile *avatar_profile_copy     (const AvatarProfile *profile);
void           avatar_profile_free     (AvatarProfile       *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvatarProfile, avatar_profile_free)

/* What POST /users/me/avatar answers. */
typedef struct
{
  char *upload_url;
  char *asset_key;
  char *cdn_url;
  char *content_type;   /* the type the URL was signed for */
} AvatarTicket;

GType         avatar_ticket_get_type (void) G_GNUC_CONST;
AvatarTicket *avatar_ticket_copy     (const AvatarTicket *ticket);
void          avatar_ticket_free     (AvatarTicket       *ticket);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvatarTicket, avatar_ticket_free)

#define AVATAR_TYPE_CLIENT (avatar_client_get_type ())

G_DECLARE_FINAL_TYPE (AvatarClient, avatar_client, AVATAR, CLIENT, GObject)

/* Signal "tokens-changed" (no arguments): a refresh replaced both tokens and
 * the old refresh token no longer works; store the pair from the dup_
 * functions. Errors of the _finish functions are in AVATAR_ERROR, but
 * for a cancellation (G_IO_ERROR_CANCELLED). The _finish functions
 * return (transfer full) results, %NULL (or %FALSE) with @error set. */

/* Fails with AVATAR_ERROR_INSECURE_URL for plain http to a host that is not loopback.
 * Returns: (transfer full) (nullable): the client, or %NULL with @error set. */
AvatarClient *avatar_client_new                (const char          *base_url,
                                                const char          *app_id,
                                                GError             **error);
const char   *avatar_client_get_base_url       (AvatarClient        *self);
const char   *avatar_client_get_app_id         (AvatarClient        *self);
/* Returns: (transfer none): the session for the API, uploads and the CDN;
 * the API's headers go only to the base URL's origin. */
SoupSession  *avatar_client_get_session        (AvatarClient        *self);
/* Seconds a connection attempt, or a wait for the next bytes of an answer,
 * may take (30 by default). */
guint         avatar_client_get_timeout        (AvatarClient        *self);
void          avatar_client_set_timeout        (AvatarClient        *self,
                                                guint                timeout_s);
void          avatar_client_set_tokens         (AvatarClient        *self,
                                                const char          *access_token,
                                                const char          *refresh_token);
/* Returns: (transfer full) (nullable): a copy of the token, safe to take
 * from any thread. */
char         *avatar_client_dup_access_token   (AvatarClient        *self);
char         *avatar_client_dup_refresh_token  (AvatarClient        *self);
/* Checks a URL the service handed out: absolute http(s), and not plain http off loopback. */
gboolean      avatar_client_check_url          (const char          *url,
                                                GError             **error);

void           avatar_client_get_profile_async     (AvatarClient        *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
AvatarProfile *avatar_client_get_profile_finish    (AvatarClient        *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void           avatar_client_request_upload_async  (AvatarClient        *self,
                                                    const char          *content_type,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
AvatarTicket  *avatar_client_request_upload_finish (AvatarClient        *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void           avatar_client_remove_avatar_async   (AvatarClient        *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
AvatarProfile *avatar_client_remove_avatar_finish  (AvatarClient        *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void           avatar_client_confirm_avatar_async  (AvatarClient        *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
AvatarProfile *avatar_client_confirm_avatar_finish (AvatarClient        *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void           avatar_client_refresh_async         (AvatarClient        *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean       avatar_client_refresh_finish        (AvatarClient        *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* GET of a public URL (the CDN): no API headers; retries like the API's idempotent calls.
 * The finish function returns (transfer full) the body and, when @content_type
 * is not %NULL, sets it to (transfer full) (nullable) the answer's type. */
void           avatar_client_fetch_async           (AvatarClient        *self,
                                                    const char          *url,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GBytes        *avatar_client_fetch_finish          (AvatarClient        *self,
                                                    GAsyncResult        *result,
                                                    char               **content_type,
                                                    GError             **error);
/* HEAD of a public URL: the answer's type and its Content-Length (-1 when
 * it has none), without its body. The finish function sets @content_type
 * (when not %NULL) to (transfer full) (nullable) the type. */
void           avatar_client_head_async            (AvatarClient        *self,
                                                    const char          *url,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean       avatar_client_head_finish           (AvatarClient        *self,
                                                    GAsyncResult        *result,
                                                    char               **content_type,
                                                    goffset             *content_length,
                                                    GError             **error);

G_END_DECLS
