/* test-devserver-api.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The REST API of avatar-devserver: every route's answers, tokens,
 * persistence and shutdown. */

#include "config.h"

#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "avatar-test-server.h"

typedef AvatarTestServerFixture Fixture;

static const char *
error_code (JsonNode *body)
{
  JsonObject *error;

  g_assert_nonnull (body);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (body));
  error = json_object_get_object_member (json_node_get_object (body), "error");
  g_assert_nonnull (error);
  g_assert_nonnull (json_object_get_string_member (error, "message"));

  return json_object_get_string_member (error, "code");
}

static const char *
string_member (JsonNode   *body,
               const char *name)
{
  g_assert_nonnull (body);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (body));

  return json_object_get_string_member_with_default (json_node_get_object (body), name, NULL);
}

static char *
dup_avatar_url (AvatarTestServer *server,
                const char       *token)
{
  g_autoptr(JsonNode) body = NULL;

  g_assert_cmpuint (avatar_test_server_call_as (server, token, "GET", "/users/me", NULL, &body), ==, 200);

  return g_strdup (string_member (body, "avatarUrl"));
}

static guint
raw_call (AvatarTestServer  *server,
          const char        *method,
          const char        *path,
          const char        *app_id,
          const char        *authorization,
          JsonNode         **out_body)
{
  g_autoptr(SoupMessage) msg = avatar_test_server_new_call (server, NULL, method, path, NULL);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  /* The headers as given, not as the tests' client sends them. */
  if (app_id)
    soup_message_headers_replace (headers, "x-app-id", app_id);
  else
    soup_message_headers_remove (headers, "x-app-id");
  if (authorization)
    soup_message_headers_replace (headers, "Authorization", authorization);

  body = avatar_test_server_send (server, msg);
  if (out_body && json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL))
    *out_body = json_node_copy (json_parser_get_root (parser));

  return soup_message_get_status (msg);
}

static void
test_ready_line (Fixture       *fixture,
                 gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *endpoint = g_strconcat (server->base_url, "/s3", NULL);

  g_assert_true (g_str_has_prefix (server->base_url, "http://127.0.0.1:"));
  g_assert_cmpstr (server->s3_endpoint, ==, endpoint);
  g_assert_true (g_str_has_prefix (server->cdn_base_url, server->base_url));
  g_assert_cmpuint (strlen (server->access_token), ==, 64);
  g_assert_cmpuint (strlen (server->refresh_token), ==, 64);
  g_assert_cmpstr (server->bucket, !=, "");
  g_assert_cmpstr (server->region, !=, "");
  g_assert_cmpstr (server->app_id, !=, "");
}

static void
test_profile (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(JsonNode) body = NULL;
  JsonObject *profile;

  g_assert_cmpuint (avatar_test_server_call (fixture->server, "GET", "/users/me", NULL, &body), ==, 200);
  profile = json_node_get_object (body);
  g_assert_cmpstr (json_object_get_string_member (profile, "id"), ==, fixture->server->user_id);
  g_assert_cmpstr (json_object_get_string_member (profile, "username"), ==, "demo");
  g_assert_true (json_object_has_member (profile, "avatarUrl"));
  g_assert_true (json_object_get_null_member (profile, "avatarUrl"));
}

static void
test_auth_errors (Fixture       *fixture,
                  gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *bearer = g_strconcat ("Bearer ", server->access_token, NULL);
  g_autoptr(JsonNode) no_token = NULL;
  g_autoptr(JsonNode) bad_token = NULL;
  g_autoptr(JsonNode) basic = NULL;
  g_autoptr(JsonNode) no_app = NULL;
  g_autoptr(JsonNode) bad_app = NULL;

  g_assert_cmpuint (raw_call (server, "GET", "/users/me", server->app_id, NULL, &no_token), ==, 401);
  g_assert_cmpstr (error_code (no_token), ==, "unauthorized");
  g_assert_cmpuint (raw_call (server, "GET", "/users/me", server->app_id, "Bearer 0123", &bad_token), ==, 401);
  g_assert_cmpstr (error_code (bad_token), ==, "unauthorized");
  g_assert_cmpuint (raw_call (server, "GET", "/users/me", server->app_id, "Basic abc", &basic), ==, 401);
  g_assert_cmpuint (raw_call (server, "GET", "/users/me", NULL, bearer, &no_app), ==, 403);
  g_assert_cmpstr (error_code (no_app), ==, "unknown_app");
  g_assert_cmpuint (raw_call (server, "GET", "/users/me", "com.example.Other", bearer, &bad_app), ==, 403);
  g_assert_cmpstr (error_code (bad_app), ==, "unknown_app");
  g_assert_cmpuint (raw_call (server, "POST", "/users/me/avatar", server->app_id, NULL, NULL), ==, 401);
  g_assert_cmpuint (raw_call (server, "PATCH", "/users/me", server->app_id, NULL, NULL), ==, 401);
}

static void
test_not_found_and_methods (Fixture       *fixture,
                            gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(JsonNode) missing = NULL;
  g_autoptr(JsonNode) method = NULL;
  g_autoptr(JsonNode) users = NULL;

  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/nothing/here", NULL, &missing), ==, 404);
  g_assert_cmpstr (error_code (missing), ==, "not_found");
  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/users/someone", NULL, &users), ==, 404);
  g_assert_cmpuint (avatar_test_server_call (server, "DELETE", "/users/me", NULL, &method), ==, 405);
  g_assert_cmpstr (error_code (method), ==, "method_not_allowed");
  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/users/me/avatar", NULL, NULL), ==, 405);
  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/auth/refresh", NULL, NULL), ==, 405);
  g_assert_cmpuint (avatar_test_server_call (server, "PUT", "/users/me", "{}", NULL), ==, 405);
}

static void
test_request_upload (Fixture       *fixture,
                     gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  const char * const types[] = { "image/jpeg", "image/png", "image/gif", "image/webp" };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *request = g_strdup_printf ("{\"contentType\": \"%s\"}", types[i]);
      g_autoptr(JsonNode) body = NULL;
      g_autoptr(GUri) upload = NULL;
      g_autofree char *path = NULL;
      g_autofree char *cdn_url = NULL;
      g_autoptr(GHashTable) query = NULL;
      const char *key;

      g_assert_cmpuint (avatar_test_server_call (server, "POST", "/users/me/avatar", request, &body), ==, 200);
      key = string_member (body, "assetKey");
      g_assert_nonnull (key);

      upload = g_uri_parse (string_member (body, "uploadUrl"), G_URI_FLAGS_ENCODED, NULL);
      g_assert_nonnull (upload);
      path = g_strdup_printf ("/s3/%s/avatars/%s/%s", server->bucket, server->user_id, key);
      g_assert_cmpstr (g_uri_get_path (upload), ==, path);
      query = g_uri_parse_params (g_uri_get_query (upload), -1, "&", G_URI_PARAMS_NONE, NULL);
      g_assert_cmpstr (g_hash_table_lookup (query, "X-Amz-Algorithm"), ==, "AWS4-HMAC-SHA256");
      g_assert_cmpstr (g_hash_table_lookup (query, "X-Amz-Expires"), ==, "600");
      g_assert_cmpstr (g_hash_table_lookup (query, "X-Amz-SignedHeaders"), ==, "content-type;host");
      g_assert_true (g_str_has_prefix (g_hash_table_lookup (query, "X-Amz-Credential"), server->access_key));
      g_assert_true (g_str_has_suffix (g_hash_table_lookup (query, "X-Amz-Credential"), "/s3/aws4_request"));
      g_assert_cmpuint (strlen (g_hash_table_lookup (query, "X-Amz-Signature")), ==, 64);
      g_assert_cmpuint (strlen (g_hash_table_lookup (query, "X-Amz-Date")), ==, 16);

      cdn_url = g_strdup_printf ("%s/avatars/%s/%s/original.webp", server->cdn_base_url, server->user_id, key);
      g_assert_cmpstr (string_member (body, "cdnUrl"), ==, cdn_url);
    }
}

static void
test_request_upload_errors (Fixture       *fixture,
                            gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  const char * const malformed[] = {
    "not json", "[1, 2]", "{}", "{\"contentType\": 5}", "\"image/png\"",
  };
  g_autoptr(JsonNode) unsupported = NULL;

  g_assert_cmpuint (avatar_test_server_call (server, "POST", "/users/me/avatar",
                                             "{\"contentType\": \"image/tiff\"}", &unsupported), ==, 415);
  g_assert_cmpstr (error_code (unsupported), ==, "unsupported_media_type");
  g_assert_cmpuint (avatar_test_server_call (server, "POST", "/users/me/avatar",
                                             "{\"contentType\": \"image/svg+xml\"}", NULL), ==, 415);

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autoptr(JsonNode) body = NULL;

      g_assert_cmpuint (avatar_test_server_call (server, "POST", "/users/me/avatar", malformed[i], &body), ==, 400);
      g_assert_cmpstr (error_code (body), ==, "bad_request");
    }
}

static void
test_body_too_large (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *padding = g_strnfill (65536, ' ');
  g_autofree char *request = g_strconcat ("{\"contentType\": \"image/png\"}", padding, NULL);
  g_autoptr(JsonNode) body = NULL;

  g_assert_cmpuint (avatar_test_server_call (fixture->server, "POST", "/users/me/avatar", request, &body), ==, 413);
  g_assert_cmpstr (error_code (body), ==, "payload_too_large");

  /* The limit itself: 64 KiB is accepted, one byte more is not. */
  {
    const char *json = "{\"contentType\": \"image/png\"}";
    g_autofree char *fill = g_strnfill (65536 - strlen (json), ' ');
    g_autofree char *at_limit = g_strconcat (json, fill, NULL);
    g_autofree char *over_limit = g_strconcat (at_limit, " ", NULL);

    g_assert_cmpuint (strlen (at_limit), ==, 65536);
    g_assert_cmpuint (avatar_test_server_call (fixture->server, "POST", "/users/me/avatar", at_limit, NULL), ==, 200);
    g_assert_cmpuint (avatar_test_server_call (fixture->server, "POST", "/users/me/avatar", over_limit, NULL), ==, 413);
  }

  /* The same without a Content-Length (chunked). */
  {
    g_autofree char *url = g_strconcat (fixture->server->base_url, "/users/me/avatar", NULL);
    g_autofree char *bearer = g_strconcat ("Bearer ", fixture->server->access_token, NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    g_autoptr(GBytes) request_bytes = g_bytes_new (request, strlen (request));
    g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (request_bytes);
    g_autoptr(GBytes) answer = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "x-app-id", fixture->server->app_id);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
    soup_message_set_request_body (msg, "application/json", stream, -1);
    answer = avatar_test_server_send (fixture->server, msg);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 413);
  }
}

static void
test_dev_login (Fixture       *fixture,
                gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *access1 = NULL, *refresh1 = NULL, *id1 = NULL;
  g_autofree char *access2 = NULL, *refresh2 = NULL, *id2 = NULL;
  g_autoptr(JsonNode) profile = NULL;
  g_autoptr(JsonNode) invalid = NULL;

  avatar_test_server_login (server, "alice", &access1, &refresh1, &id1);
  avatar_test_server_login (server, "alice", &access2, &refresh2, &id2);
  g_assert_cmpstr (id1, ==, id2);
  g_assert_cmpstr (access1, !=, access2);
  g_assert_cmpstr (id1, !=, server->user_id);

  g_assert_cmpuint (avatar_test_server_call_as (server, access1, "GET", "/users/me", NULL, &profile), ==, 200);
  g_assert_cmpstr (string_member (profile, "username"), ==, "alice");
  g_assert_cmpstr (string_member (profile, "id"), ==, id1);

  g_assert_cmpuint (avatar_test_server_call_as (server, NULL, "POST", "/auth/dev-login",
                                                "{\"username\": \"a b\"}", &invalid), ==, 400);
  g_assert_cmpstr (error_code (invalid), ==, "bad_request");
  g_assert_cmpuint (avatar_test_server_call_as (server, NULL, "POST", "/auth/dev-login",
                                                "{\"username\": \"ab\"}", NULL), ==, 400);
  g_assert_cmpuint (raw_call (server, "POST", "/auth/dev-login", NULL, NULL, NULL), ==, 403);
}

static guint
refresh (AvatarTestServer  *server,
         const char        *refresh_token,
         char             **access,
         char             **new_refresh)
{
  g_autofree char *request = g_strdup_printf ("{\"refreshToken\": \"%s\"}", refresh_token);
  g_autoptr(JsonNode) body = NULL;
  guint status = avatar_test_server_call_as (server, NULL, "POST", "/auth/refresh", request, &body);

  if (status == 200)
    {
      *access = g_strdup (string_member (body, "accessToken"));
      *new_refresh = g_strdup (string_member (body, "refreshToken"));
    }
  else
    g_assert_cmpstr (error_code (body), !=, NULL);

  return status;
}

static void
test_refresh_rotation (Fixture       *fixture,
                       gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *access = NULL, *refresh_token = NULL;
  g_autofree char *again_access = NULL, *again_refresh = NULL;
  g_autofree char *third_access = NULL, *third_refresh = NULL;
  g_autoptr(JsonNode) profile = NULL;

  g_assert_cmpuint (refresh (server, server->refresh_token, &access, &refresh_token), ==, 200);
  g_assert_cmpstr (refresh_token, !=, server->refresh_token);
  g_assert_cmpstr (access, !=, server->access_token);
  g_assert_cmpuint (avatar_test_server_call_as (server, access, "GET", "/users/me", NULL, &profile), ==, 200);
  g_assert_cmpstr (string_member (profile, "id"), ==, server->user_id);

  /* The used refresh token stops working; the new one works once. */
  g_assert_cmpuint (refresh (server, server->refresh_token, &again_access, &again_refresh), ==, 401);
  g_assert_cmpuint (refresh (server, refresh_token, &third_access, &third_refresh), ==, 200);
  g_assert_cmpuint (refresh (server, refresh_token, &again_access, &again_refresh), ==, 401);

  g_assert_cmpuint (refresh (server, "0000", &again_access, &again_refresh), ==, 401);
  g_assert_cmpuint (avatar_test_server_call_as (server, NULL, "POST", "/auth/refresh", "{}", NULL), ==, 400);
  g_assert_cmpuint (avatar_test_server_call_as (server, NULL, "POST", "/auth/refresh", "nope", NULL), ==, 400);
}

static void
test_token_expiry (Fixture       *fixture,
                   gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *access = NULL, *refresh_token = NULL;
  g_autoptr(JsonNode) expired = NULL;

  avatar_test_server_set_fault (server, "{\"expireAccessTokens\": true}");
  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/users/me", NULL, &expired), ==, 401);
  g_assert_cmpstr (error_code (expired), ==, "token_expired");

  g_assert_cmpuint (refresh (server, server->refresh_token, &access, &refresh_token), ==, 200);
  g_assert_cmpuint (avatar_test_server_call_as (server, access, "GET", "/users/me", NULL, NULL), ==, 200);
}

static gboolean
clock_passed (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
test_token_lifetime (void)
{
  const char * const args[] = { "--token-lifetime-s", "1", NULL };
  g_autoptr(AvatarTestServer) server = avatar_test_server_start (args);
  g_autoptr(JsonNode) expired = NULL;
  gint64 deadline = g_get_monotonic_time () + 2100 * G_TIME_SPAN_MILLISECOND;
  guint tick_id = g_timeout_add (50, tick, NULL);

  /* The lifetime is wall-clock time, so the test has to let it pass. */
  g_assert_true (avatar_test_wait_until (clock_passed, &deadline, 10000));
  g_source_remove (tick_id);

  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/users/me", NULL, &expired), ==, 401);
  g_assert_cmpstr (error_code (expired), ==, "token_expired");
}

static void
test_username (Fixture       *fixture,
               gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *bob_token = NULL;
  g_autoptr(JsonNode) renamed = NULL;
  g_autoptr(JsonNode) taken = NULL;
  const char * const invalid[] = {
    "{\"username\": \"ab\"}", "{\"username\": \"with space\"}",
    "{\"username\": \"0123456789012345678901234567890\"}", "{\"username\": 7}",
    "{\"username\": \"émile\"}",
  };

  avatar_test_server_login (server, "bob", &bob_token, NULL, NULL);

  g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me",
                                             "{\"username\": \"Demo_User_30\"}", &renamed), ==, 200);
  g_assert_cmpstr (string_member (renamed, "username"), ==, "Demo_User_30");
  g_assert_cmpstr (string_member (renamed, "id"), ==, server->user_id);

  g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me",
                                             "{\"username\": \"bob\"}", &taken), ==, 409);
  g_assert_cmpstr (error_code (taken), ==, "username_taken");

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me", invalid[i], NULL), ==, 400);

  g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me", "{}", NULL), ==, 400);
  g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me", "{\"colour\": 1}", NULL), ==, 400);
  g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me", "{\"removeAvatar\": \"yes\"}", NULL), ==, 400);
}

static void
test_remove_avatar (Fixture       *fixture,
                    gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(GBytes) png = avatar_test_make_png (64, 64);
  g_autofree char *key = NULL, *cdn_url = NULL, *state = NULL, *avatar_url = NULL;
  g_autoptr(JsonNode) removed = NULL;
  JsonObject *profile;

  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", png, &key, &cdn_url), ==, 200);
  state = avatar_test_server_wait_processed (server, key);
  g_assert_cmpstr (state, ==, "ready");
  avatar_url = dup_avatar_url (server, server->access_token);
  g_assert_cmpstr (avatar_url, ==, cdn_url);

  g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me",
                                             "{\"removeAvatar\": true}", &removed), ==, 200);
  profile = json_node_get_object (removed);
  g_assert_true (json_object_get_null_member (profile, "avatarUrl"));

  g_clear_pointer (&avatar_url, g_free);
  avatar_url = dup_avatar_url (server, server->access_token);
  g_assert_null (avatar_url);
}

static void
test_confirm_avatar (Fixture       *fixture,
                     gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(GBytes) png = avatar_test_make_png (80, 60);
  g_autofree char *key = NULL, *cdn_url = NULL, *state = NULL;
  g_autofree char *failed_key = NULL, *failed_state = NULL;
  g_autoptr(JsonNode) none = NULL;
  g_autoptr(JsonNode) processing = NULL;
  g_autoptr(JsonNode) confirmed = NULL;
  g_autoptr(JsonNode) failed = NULL;

  g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me",
                                             "{\"confirmAvatar\": true}", &none), ==, 400);
  g_assert_cmpstr (error_code (none), ==, "no_upload");

  avatar_test_server_set_fault (server, "{\"processingDelayMs\": 3000}");
  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", png, &key, &cdn_url), ==, 200);
  g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me",
                                             "{\"confirmAvatar\": true}", &processing), ==, 400);
  g_assert_cmpstr (error_code (processing), ==, "still_processing");

  state = avatar_test_server_wait_processed (server, key);
  g_assert_cmpstr (state, ==, "ready");
  g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me",
                                             "{\"confirmAvatar\": true}", &confirmed), ==, 200);
  g_assert_cmpstr (string_member (confirmed, "avatarUrl"), ==, cdn_url);

  /* A failed newest upload cannot be confirmed, and the avatar stays. */
  avatar_test_server_clear_faults (server);
  avatar_test_server_set_fault (server, "{\"processing\": \"fail\", \"count\": 1}");
  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", png, &failed_key, NULL), ==, 200);
  failed_state = avatar_test_server_wait_processed (server, failed_key);
  g_assert_cmpstr (failed_state, ==, "failed");
  g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me",
                                             "{\"confirmAvatar\": true}", &failed), ==, 400);
  g_assert_cmpstr (error_code (failed), ==, "processing_failed");
  {
    g_autofree char *avatar_url = dup_avatar_url (server, server->access_token);

    g_assert_cmpstr (avatar_url, ==, cdn_url);
  }
}

static void
test_dev_routes_need_faults (void)
{
  g_autoptr(AvatarTestServer) server = avatar_test_server_start_full (FALSE, NULL);

  g_assert_cmpuint (avatar_test_server_call (server, "POST", "/_dev/faults",
                                             "{\"route\": \"profile\", \"status\": 503}", NULL), ==, 404);
  g_assert_cmpuint (avatar_test_server_call (server, "DELETE", "/_dev/faults", NULL, NULL), ==, 404);
  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/_dev/assets/abc", NULL, NULL), ==, 404);
  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/users/me", NULL, NULL), ==, 200);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_assert_cmpint (g_unlink (child), ==, 0);
    }

  g_assert_cmpint (g_rmdir (path), ==, 0);
}

static void
assert_private_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      GStatBuf st;

      g_assert_cmpint (g_lstat (child, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        {
          g_assert_cmpint (st.st_mode & 0777, ==, 0700);
          assert_private_tree (child);
        }
      else
        g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    }
}

static void
test_persistence (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("avatar-test-XXXXXX", &error);
  g_autofree char *data_dir = g_build_filename (dir, "data", NULL);
  const char * const args[] = { "--data-dir", data_dir, NULL };
  g_autoptr(GBytes) png = avatar_test_make_png (50, 50);
  g_autofree char *key = NULL, *cdn_url = NULL, *state = NULL;
  g_autofree char *carol_token = NULL, *carol_id = NULL, *carol_id_again = NULL;
  g_autofree char *first_user = NULL, *avatar_url = NULL, *db_path = NULL;
  g_autoptr(GBytes) raw = NULL;
  AvatarTestServer *server;
  GStatBuf st;

  g_assert_no_error (error);

  server = avatar_test_server_start (args);
  first_user = g_strdup (server->user_id);
  avatar_test_server_login (server, "carol", &carol_token, NULL, &carol_id);
  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", png, &key, &cdn_url), ==, 200);
  state = avatar_test_server_wait_processed (server, key);
  g_assert_cmpstr (state, ==, "ready");
  avatar_test_server_stop (server);

  /* Private files: directories 0700, files 0600. */
  g_assert_cmpint (g_stat (data_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  db_path = g_build_filename (data_dir, "avatar.db", NULL);
  g_assert_true (g_file_test (db_path, G_FILE_TEST_IS_REGULAR));
  assert_private_tree (data_dir);

  server = avatar_test_server_start (args);
  g_assert_cmpstr (server->user_id, ==, first_user);
  avatar_url = dup_avatar_url (server, server->access_token);
  {
    g_autofree char *expected = g_strdup_printf ("%s/avatars/%s/%s/original.webp",
                                                 server->cdn_base_url, server->user_id, key);
    g_autofree char *raw_url = g_strdup_printf ("%s/avatars/%s/%s/raw", server->cdn_base_url, server->user_id, key);

    g_assert_cmpstr (avatar_url, ==, expected);
    g_assert_cmpuint (avatar_test_server_fetch (server, raw_url, &raw), ==, 200);
    g_assert_true (g_bytes_equal (raw, png));
  }
  avatar_test_server_login (server, "carol", NULL, NULL, &carol_id_again);
  g_assert_cmpstr (carol_id_again, ==, carol_id);
  avatar_test_server_stop (server);

  remove_tree (dir);
}

/* SIGTERM while an upload waits for processing: the server finishes it,
 * promotes it, and only then exits. */
static void
test_sigterm_finishes_processing (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("avatar-test-XXXXXX", &error);
  const char * const args[] = { "--data-dir", dir, "--processing-delay-ms", "60000", NULL };
  g_autoptr(GBytes) png = avatar_test_make_png (120, 90);
  g_autofree char *key = NULL, *cdn_url = NULL, *state = NULL, *avatar_url = NULL;
  AvatarTestServer *server;

  g_assert_no_error (error);

  server = avatar_test_server_start (args);
  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", png, &key, &cdn_url), ==, 200);
  state = avatar_test_server_dup_asset_state (server, key, NULL);
  g_assert_cmpstr (state, ==, "processing");
  g_assert_cmpint (avatar_test_server_stop_status (server), ==, 0);

  server = avatar_test_server_start (args);
  g_clear_pointer (&state, g_free);
  state = avatar_test_server_dup_asset_state (server, key, NULL);
  g_assert_cmpstr (state, ==, "ready");
  avatar_url = dup_avatar_url (server, server->access_token);
  {
    g_autofree char *expected = g_strdup_printf ("%s/avatars/%s/%s/original.webp",
                                                 server->cdn_base_url, server->user_id, key);

    g_assert_cmpstr (avatar_url, ==, expected);
  }
  avatar_test_server_stop (server);

  remove_tree (dir);
}

static void
exited (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}

/* Ctrl+C in a terminal stops the server as cleanly as SIGTERM. */
static void
test_sigint (void)
{
  AvatarTestServer *server = avatar_test_server_start (NULL);
  gboolean done = FALSE;

  g_subprocess_send_signal (server->process, SIGINT);
  g_subprocess_wait_async (server->process, NULL, exited, &done);
  g_assert_true (avatar_test_wait_until (flag_is_set, &done, 60000));
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);

  avatar_test_server_stop (server);
}

/* Everything the server logs, with every level on, is free of tokens and
 * URL signatures: both are 64 hexadecimal digits, and nothing else the
 * server could log is that long. */
static void
test_log_has_no_secrets (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("avatar-test-XXXXXX", &error);
  g_autofree char *log_path = NULL;
  g_autofree char *log = NULL;
  g_autofree char *bob_access = NULL, *bob_refresh = NULL, *bob_id = NULL;
  g_autofree char *refresh_body = NULL, *key = NULL, *state = NULL;
  g_autofree char *upload_url = NULL;
  g_autoptr(GRegex) secret = g_regex_new ("[0-9a-fA-F]{64}", 0, 0, NULL);
  g_autoptr(GBytes) png = avatar_test_make_png (40, 40);
  g_autoptr(JsonNode) ticket = NULL;
  g_autoptr(SoupMessage) put = NULL;
  g_autoptr(GBytes) answer = NULL;
  char *signature;
  AvatarTestServer *server;

  g_assert_no_error (error);
  log_path = g_build_filename (dir, "server.log", NULL);
  server = avatar_test_server_start_logged (log_path, NULL);

  /* Sign in, refresh, a token the server does not know. */
  avatar_test_server_login (server, "bob", &bob_access, &bob_refresh, &bob_id);
  refresh_body = g_strdup_printf ("{\"refreshToken\": \"%s\"}", bob_refresh);
  g_assert_cmpuint (avatar_test_server_call_as (server, NULL, "POST", "/auth/refresh", refresh_body, NULL), ==, 200);
  g_assert_cmpuint (avatar_test_server_call_as (server, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                                "GET", "/users/me", NULL, NULL), ==, 401);

  /* An upload that is stored and processed, and one whose signature is wrong. */
  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", png, &key, NULL), ==, 200);
  state = avatar_test_server_wait_processed (server, key);
  g_assert_cmpstr (state, ==, "ready");

  g_assert_cmpuint (avatar_test_server_call (server, "POST", "/users/me/avatar",
                                             "{\"contentType\": \"image/png\"}", &ticket), ==, 200);
  upload_url = g_strdup (string_member (ticket, "uploadUrl"));
  signature = strstr (upload_url, "X-Amz-Signature=") + strlen ("X-Amz-Signature=");
  signature[0] = signature[0] == 'a' ? 'b' : 'a';
  put = soup_message_new ("PUT", upload_url);
  soup_message_set_request_body_from_bytes (put, "image/png", png);
  answer = avatar_test_server_send (server, put);
  g_assert_cmpuint (soup_message_get_status (put), ==, 403);

  avatar_test_server_stop (server);

  g_file_get_contents (log_path, &log, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (log, key));
  g_assert_null (strstr (log, "Bearer"));
  g_assert_false (g_regex_match (secret, log, 0, NULL));

  remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/devserver/api/ready-line", Fixture, NULL, avatar_test_server_fixture_setup, test_ready_line, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/api/profile", Fixture, NULL, avatar_test_server_fixture_setup, test_profile, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/api/auth-errors", Fixture, NULL, avatar_test_server_fixture_setup, test_auth_errors, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/api/not-found-and-methods", Fixture, NULL, avatar_test_server_fixture_setup, test_not_found_and_methods, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/api/request-upload", Fixture, NULL, avatar_test_server_fixture_setup, test_request_upload, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/api/request-upload-errors", Fixture, NULL, avatar_test_server_fixture_setup, test_request_upload_errors, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/api/body-too-large", Fixture, NULL, avatar_test_server_fixture_setup, test_body_too_large, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/api/dev-login", Fixture, NULL, avatar_test_server_fixture_setup, test_dev_login, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/api/refresh-rotation", Fixture, NULL, avatar_test_server_fixture_setup, test_refresh_rotation, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/api/token-expiry", Fixture, NULL, avatar_test_server_fixture_setup, test_token_expiry, avatar_test_server_fixture_teardown);
  g_test_add_func ("/devserver/api/token-lifetime", test_token_lifetime);
  g_test_add ("/devserver/api/username", Fixture, NULL, avatar_test_server_fixture_setup, test_username, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/api/remove-avatar", Fixture, NULL, avatar_test_server_fixture_setup, test_remove_avatar, avatar_test_server_fixture_teardown);
  g_test_add ("/devserver/api/confirm-avatar", Fixture, NULL, avatar_test_server_fixture_setup, test_confirm_avatar, avatar_test_server_fixture_teardown);
  g_test_add_func ("/devserver/api/dev-routes-need-faults", test_dev_routes_need_faults);
  g_test_add_func ("/devserver/api/persistence", test_persistence);
  g_test_add_func ("/devserver/api/sigterm-finishes-processing", test_sigterm_finishes_processing);
  g_test_add_func ("/devserver/api/sigint", test_sigint);
  g_test_add_func ("/devserver/api/log-has-no-secrets", test_log_has_no_secrets);

  return g_test_run ();
}
