/* avatar-server-api.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The REST API of the avatar service: signing in, refreshing tokens, the
 * profile and the requests for upload URLs (/auth/ and /users/). */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "avatar-server-private.h"

static const char * const upload_types[] = {
  "image/jpeg", "image/png", "image/gif", "image/webp", NULL
};

static gboolean
check_username (const char *username)
{
  gsize len = username ? strlen (username) : 0;

  return len >= 3 && len <= 30 && avatar_server_check_name (username);
}

/* Applies the fault rules of @route.  Returns TRUE when a response is already
 * set and the request must not be handled. */
static gboolean
apply_api_fault (AvatarServer      *self,
                 SoupServerMessage *msg,
                 const char        *route)
{
  AvatarFault fault;

  if (!self->faults_enabled || !avatar_faults_take (self->faults, route, &fault))
    return FALSE;

  avatar_server_respond_later (msg, fault.delay_ms);

  if (fault.status == 0)
    return FALSE;

  if (fault.retry_after_s >= 0)
    {
      g_autofree char *value = g_strdup_printf ("%d", fault.retry_after_s);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", value);
    }
  if (fault.status >= 500 || fault.status == 429)
    avatar_server_respond_error (msg, fault.status, "unavailable",
                                 _("The service cannot answer right now. Try again in a moment."));
  else
    avatar_server_respond_error (msg, fault.status, "injected",
                                 _("A fault rule refused this request."));

  return TRUE;
}

static gboolean
check_app_id (SoupServerMessage *msg)
{
  const char *app_id = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "x-app-id");

  if (g_strcmp0 (app_id, BASE_APP_ID) == 0 || g_strcmp0 (app_id, APP_ID) == 0)
    return TRUE;

  avatar_server_respond_error (msg, SOUP_STATUS_FORBIDDEN, "unknown_app",
                               _("This application is not registered with the service. Send a known x-app-id header."));

  return FALSE;
}

/* Returns the id of the signed-in user, or NULL with the response set. */
static char *
authenticate (AvatarServer      *self,
              SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  g_autofree char *user_id = NULL;
  AvatarTokenStatus status;

  if (!check_app_id (msg))
    return NULL;

  if (authorization == NULL || g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0 ||
      authorization[7] == '\0')
    {
      soup_message_headers_replace (response_headers, "WWW-Authenticate", "Bearer");
      avatar_server_respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                                   _("You are not signed in. Sign in and try again."));
      return NULL;
    }

  status = avatar_store_check_access_token (self->store, authorization + 7, &user_id);
  if (status == AVATAR_TOKEN_EXPIRED)
    {
      soup_message_headers_replace (response_headers, "WWW-Authenticate",
                                    "Bearer error=\"invalid_token\", error_description=\"expired\"");
      avatar_server_respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "token_expired",
                                   _("Your session has expired. Refresh the access token and try again."));
      return NULL;
    }
  if (status != AVATAR_TOKEN_VALID)
    {
      soup_message_headers_replace (response_headers, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
      avatar_server_respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                                   _("Your sign-in is not valid. Sign in again."));
      return NULL;
    }

  return g_steal_pointer (&user_id);
}

static void
respond_tokens (SoupServerMessage *msg,
                const char        *access_token,
                const char        *refresh_token,
                const char        *user_id)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  avatar_server_json_add_string (builder, "accessToken", access_token);
  avatar_server_json_add_string (builder, "refreshToken", refresh_token);
  if (user_id)
    avatar_server_json_add_string (builder, "userId", user_id);
  json_builder_end_object (builder);

  avatar_server_respond_json (msg, SOUP_STATUS_OK, builder);
}

static void
respond_profile (AvatarServer      *self,
                 SoupServerMessage *msg,
                 const char        *user_id)
{
  g_autoptr(AvatarStoreUser) user = avatar_store_get_user (self->store, user_id);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *url = NULL;

  if (user == NULL)
    {
      avatar_server_respond_not_found (msg);
      return;
    }

  json_builder_begin_object (builder);
  avatar_server_json_add_string (builder, "id", user->id);
  avatar_server_json_add_string (builder, "username", user->username);
  if (user->avatar_key)
    url = avatar_server_dup_cdn_url (self, user->id, user->avatar_key, "original.webp");
  avatar_server_json_add_string (builder, "avatarUrl", url);
  json_builder_end_object (builder);

  avatar_server_respond_json (msg, SOUP_STATUS_OK, builder);
}

static gboolean
check_refresh_token (const char *token)
{
  return token != NULL && *token != '\0';
}

/* Reads the string member @name of the JSON object a request to /auth/
 * sends.  Returns: (transfer full) (nullable): the member, or %NULL with the
 * response set when the body is not an object or @check refuses the member
 * (400, with @problem). */
static char *
read_auth_member (SoupServerMessage *msg,
                  const char        *name,
                  gboolean         (*check) (const char *value),
                  const char        *problem)
{
  g_autoptr(JsonObject) body = avatar_server_read_json_object (msg);
  const char *value;

  if (body == NULL)
    return NULL;

  value = avatar_server_get_string_member (body, name);
  if (!check (value))
    {
      avatar_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", problem);
      return NULL;
    }

  return g_strdup (value);
}

/* POST /auth/dev-login */
static void
handle_dev_login (AvatarServer      *self,
                  SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *username = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  if (!check_app_id (msg) ||
      !(username = read_auth_member (msg, "username", check_username,
                                     _("A username is 3 to 30 letters, digits or underscores."))))
    return;

  if (!(user_id = avatar_store_ensure_user (self->store, username, &error)) ||
      !avatar_store_issue_tokens (self->store, user_id, self->token_lifetime_s,
                                  &access_token, &refresh_token, &error))
    {
      avatar_server_respond_internal_error (msg, error);
      return;
    }

  respond_tokens (msg, access_token, refresh_token, user_id);
}

/* POST /auth/refresh */
static void
handle_refresh (AvatarServer      *self,
                SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *old_token = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  if (apply_api_fault (self, msg, "refresh") || !check_app_id (msg) ||
      !(old_token = read_auth_member (msg, "refreshToken", check_refresh_token,
                                      _("The request needs a “refreshToken”."))))
    return;

  if (!avatar_store_rotate_refresh_token (self->store, old_token, self->token_lifetime_s,
                                          &access_token, &refresh_token, &error))
    {
      avatar_server_respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_refresh_token",
                                   _("Your sign-in has ended. Sign in again."));
      return;
    }

  respond_tokens (msg, access_token, refresh_token, NULL);
}

/* POST /users/me/avatar */
static void
handle_request_upload (AvatarServer      *self,
                       SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *key = NULL;
  g_autofree char *path = NULL;
  g_autofree char *upload_url = NULL;
  g_autofree char *cdn_url = NULL;
  const char *content_type;
  const char *signed_headers[3] = { "content-type", NULL, NULL };
  AvatarSigv4Credentials credentials = {
    self->access_key, self->secret_key, self->region, "s3"
  };

  if (apply_api_fault (self, msg, "request-url") ||
      !(user_id = authenticate (self, msg)) ||
      !(body = avatar_server_read_json_object (msg)))
    return;

  content_type = avatar_server_get_string_member (body, "contentType");
  if (content_type == NULL)
    {
      avatar_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   _("The request needs a “contentType”."));
      return;
    }
  if (!g_strv_contains (upload_types, content_type))
    {
      avatar_server_respond_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                                   _("Avatars can be JPEG, PNG, GIF or WebP images."));
      return;
    }

  key = avatar_store_random_hex (16);
  if (!avatar_store_add_asset (self->store, key, user_id, content_type, &error))
    {
      avatar_server_respond_internal_error (msg, error);
      return;
    }

  signed_headers[1] = content_type;
  now = g_date_time_new_now_utc ();
  path = g_strdup_printf ("/s3/%s/avatars/%s/%s", self->bucket, user_id, key);
  upload_url = avatar_sigv4_presign_url (&credentials, "PUT", self->base_url, self->host, path,
                                         signed_headers, now,
                                         avatar_faults_take_presign_expires (self->faults, AVATAR_PRESIGN_EXPIRES_S));
  cdn_url = avatar_server_dup_cdn_url (self, user_id, key, "original.webp");

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  avatar_server_json_add_string (builder, "uploadUrl", upload_url);
  avatar_server_json_add_string (builder, "assetKey", key);
  avatar_server_json_add_string (builder, "cdnUrl", cdn_url);
  json_builder_end_object (builder);

  avatar_server_respond_json (msg, SOUP_STATUS_OK, builder);
}

static gboolean
read_true_member (JsonObject *body,
                  const char *name,
                  gboolean   *valid)
{
  JsonNode *node = json_object_get_member (body, name);

  if (node == NULL)
    return FALSE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      *valid = FALSE;
      return FALSE;
    }

  return json_node_get_boolean (node);
}

static gboolean
confirm_avatar (AvatarServer      *self,
                SoupServerMessage *msg,
                const char        *user_id)
{
  g_autoptr(AvatarStoreAsset) newest = avatar_store_get_newest_upload (self->store, user_id);
  g_autoptr(AvatarStoreUser) user = NULL;
  g_autoptr(GError) error = NULL;

  if (newest == NULL)
    {
      avatar_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "no_upload",
                                   _("There is no uploaded picture to confirm. Upload one first."));
      return FALSE;
    }

  switch (newest->state)
    {
    case AVATAR_ASSET_PENDING:
    case AVATAR_ASSET_PROCESSING:
      avatar_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "still_processing",
                                   _("The picture is still being processed. Try again in a moment."));
      return FALSE;

    case AVATAR_ASSET_FAILED:
      avatar_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "processing_failed",
                                   _("The picture could not be processed. Upload a different picture."));
      return FALSE;

    case AVATAR_ASSET_READY:
    default:
      break;
    }

  /* Confirming the newest processed upload makes it the avatar even when
   * a removal came in between. */
  user = avatar_store_get_user (self->store, user_id);
  if (g_strcmp0 (user->avatar_key, newest->key) != 0 &&
      !avatar_store_set_avatar (self->store, user_id, newest->key, &error))
    {
      avatar_server_respond_internal_error (msg, error);
      return FALSE;
    }

  return TRUE;
}

static gboolean
change_username (AvatarServer      *self,
                 SoupServerMessage *msg,
                 const char        *user_id,
                 JsonNode          *node)
{
  g_autoptr(GError) error = NULL;
  const char *username = NULL;
  gboolean taken = FALSE;

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    username = json_node_get_string (node);

  if (!check_username (username))
    {
      avatar_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_username",
                                   _("A username is 3 to 30 letters, digits or underscores."));
      return FALSE;
    }

  if (!avatar_store_set_username (self->store, user_id, username, &taken, &error))
    {
      if (taken)
        avatar_server_respond_error (msg, SOUP_STATUS_CONFLICT, "username_taken",
                                     _("That username is taken. Choose another one."));
      else
        avatar_server_respond_internal_error (msg, error);
      return FALSE;
    }

  return TRUE;
}

/* PATCH /users/me */
static void
handle_patch_profile (AvatarServer      *self,
                      SoupServerMessage *msg,
                      const char        *user_id)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) members = NULL;
  gboolean valid = TRUE;
  gboolean remove, confirm;
  JsonNode *username;

  if (!(body = avatar_server_read_json_object (msg)))
    return;

  members = json_object_get_members (body);
  for (GList *l = members; l; l = l->next)
    if (g_strcmp0 (l->data, "removeAvatar") != 0 && g_strcmp0 (l->data, "confirmAvatar") != 0 &&
        g_strcmp0 (l->data, "username") != 0)
      valid = FALSE;

  remove = read_true_member (body, "removeAvatar", &valid);
  confirm = read_true_member (body, "confirmAvatar", &valid);
  username = json_object_get_member (body, "username");

  if (!valid || members == NULL || (remove && confirm))
    {
      avatar_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   _("Send one of “removeAvatar”: true, “confirmAvatar”: true or “username”."));
      return;
    }

  if (username && !change_username (self, msg, user_id, username))
    return;

  if (remove && !avatar_store_remove_avatar (self->store, user_id, &error))
    {
      avatar_server_respond_internal_error (msg, error);
      return;
    }

  if (confirm && !confirm_avatar (self, msg, user_id))
    return;

  respond_profile (self, msg, user_id);
}

static void
handle_users (AvatarServer      *self,
              SoupServerMessage *msg,
              const char        *path)
{
  const char *method = soup_server_message_get_method (msg);
  gboolean is_get = g_strcmp0 (method, "GET") == 0;
  gboolean is_patch = g_strcmp0 (method, "PATCH") == 0;
  g_autofree char *user_id = NULL;

  if (g_strcmp0 (path, "/users/me/avatar") == 0)
    {
      if (method != SOUP_METHOD_POST)
        avatar_server_respond_method_not_allowed (msg, "POST");
      else
        handle_request_upload (self, msg);
      return;
    }

  if (g_strcmp0 (path, "/users/me") != 0)
    {
      avatar_server_respond_not_found (msg);
      return;
    }

  if (!is_get && !is_patch)
    {
      avatar_server_respond_method_not_allowed (msg, "GET, PATCH");
      return;
    }

  if (apply_api_fault (self, msg, is_get ? "profile" : "patch") ||
      !(user_id = authenticate (self, msg)))
    return;

  if (is_get)
    respond_profile (self, msg, user_id);
  else
    handle_patch_profile (self, msg, user_id);
}

static void
handle_auth (AvatarServer      *self,
             SoupServerMessage *msg,
             const char        *path)
{
  if (g_strcmp0 (path, "/auth/refresh") != 0 && g_strcmp0 (path, "/auth/dev-login") != 0)
    {
      avatar_server_respond_not_found (msg);
      return;
    }

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      avatar_server_respond_method_not_allowed (msg, "POST");
      return;
    }

  if (g_strcmp0 (path, "/auth/refresh") == 0)
    handle_refresh (self, msg);
  else
    handle_dev_login (self, msg);
}

void
avatar_server_api_handler (SoupServer        *server,
                           SoupServerMessage *msg,
                           const char        *path,
                           GHashTable        *query,
                           gpointer           user_data)
{
  AvatarServer *self = user_data;

  /* An early handler may already have refused the request. */
  if (soup_server_message_get_status (msg) != 0)
    return;

  if (g_str_has_prefix (path, "/users/"))
    handle_users (self, msg, path);
  else if (g_str_has_prefix (path, "/auth/"))
    handle_auth (self, msg, path);
  else if (g_str_has_prefix (path, "/_dev/"))
    avatar_server_handle_dev (self, msg, path);
  else
    avatar_server_respond_not_found (msg);
}
