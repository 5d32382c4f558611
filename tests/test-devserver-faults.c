/* test-devserver-faults.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Each fault injection rule behaves as written. */

#include "config.h"

#include <string.h>

#include "avatar-test-server.h"

typedef AvatarTestServerFixture Fixture;

static guint
put_bytes (AvatarTestServer  *server,
           const char        *url,
           GBytes            *data,
           SoupMessage      **out_msg,
           GError           **error)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("PUT", url);
  g_autoptr(GBytes) body = NULL;
  guint status;

  soup_message_set_request_body_from_bytes (msg, "image/png", data);
  body = soup_session_send_and_read (server->session, msg, NULL, error);
  status = soup_message_get_status (msg);
  if (out_msg)
    *out_msg = g_steal_pointer (&msg);

  return status;
}

static const char *
retry_after (SoupMessage *msg)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (msg), "Retry-After");
}

/* Sends a JSON API call and keeps the message for its headers. */
static guint
api_call_msg (AvatarTestServer  *server,
              const char        *method,
              const char        *path,
              const char        *body_json,
              const char        *token,
              SoupMessage      **out_msg)
{
  g_autoptr(SoupMessage) msg = avatar_test_server_new_call (server, token, method, path, body_json);

  return avatar_test_server_send_for_status (server, msg, out_msg);
}

static void
test_status_with_count (Fixture       *fixture,
                        gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;

  avatar_test_server_set_fault (server, "{\"route\": \"request-url\", \"status\": 503, \"count\": 2, \"retryAfter\": 1}");

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(SoupMessage) msg = NULL;

      g_assert_cmpuint (api_call_msg (server, "POST", "/users/me/avatar", "{\"contentType\": \"image/png\"}",
                                      server->access_token, &msg), ==, 503);
      g_assert_cmpstr (retry_after (msg), ==, "1");
    }

  g_assert_cmpuint (api_call_msg (server, "POST", "/users/me/avatar", "{\"contentType\": \"image/png\"}",
                                  server->access_token, NULL), ==, 200);
}

static void
test_each_api_route (Fixture       *fixture,
                     gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *refresh_body = g_strdup_printf ("{\"refreshToken\": \"%s\"}", server->refresh_token);
  g_autoptr(SoupMessage) refresh_ok = NULL;

  avatar_test_server_set_fault (server, "{\"route\": \"profile\", \"status\": 500, \"count\": 1}");
  avatar_test_server_set_fault (server, "{\"route\": \"patch\", \"status\": 502, \"count\": 1}");
  avatar_test_server_set_fault (server, "{\"route\": \"refresh\", \"status\": 429, \"count\": 1, \"retryAfter\": 2}");

  /* Other routes are not affected. */
  g_assert_cmpuint (api_call_msg (server, "POST", "/users/me/avatar", "{\"contentType\": \"image/png\"}",
                                  server->access_token, NULL), ==, 200);

  g_assert_cmpuint (api_call_msg (server, "GET", "/users/me", NULL, server->access_token, NULL), ==, 500);
  g_assert_cmpuint (api_call_msg (server, "GET", "/users/me", NULL, server->access_token, NULL), ==, 200);
  g_assert_cmpuint (api_call_msg (server, "PATCH", "/users/me", "{\"removeAvatar\": true}", server->access_token, NULL), ==, 502);
  g_assert_cmpuint (api_call_msg (server, "PATCH", "/users/me", "{\"removeAvatar\": true}", server->access_token, NULL), ==, 200);

  {
    g_autoptr(SoupMessage) limited = NULL;

    g_assert_cmpuint (api_call_msg (server, "POST", "/auth/refresh", refresh_body, NULL, &limited), ==, 429);
    g_assert_cmpstr (retry_after (limited), ==, "2");
  }
  /* The refused refresh did not use the token up. */
  g_assert_cmpuint (api_call_msg (server, "POST", "/auth/refresh", refresh_body, NULL, &refresh_ok), ==, 200);
}

static void
test_rule_until_cleared (Fixture       *fixture,
                         gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;

  avatar_test_server_set_fault (server, "{\"route\": \"profile\", \"status\": 503}");
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (api_call_msg (server, "GET", "/users/me", NULL, server->access_token, NULL), ==, 503);

  avatar_test_server_clear_faults (server);
  g_assert_cmpuint (api_call_msg (server, "GET", "/users/me", NULL, server->access_token, NULL), ==, 200);
}

static void
test_delay (Fixture       *fixture,
            gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  gint64 start;

  avatar_test_server_set_fault (server, "{\"route\": \"profile\", \"delayMs\": 700, \"count\": 1}");
  start = g_get_monotonic_time ();
  g_assert_cmpuint (api_call_msg (server, "GET", "/users/me", NULL, server->access_token, NULL), ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 700 * G_TIME_SPAN_MILLISECOND);
}

/* Sets @rule, then PUTs @data to @url: the answer is @status, and comes no
 * sooner than @min_ms after the request started. */
static void
assert_put_slowed (AvatarTestServer *server,
                   const char       *url,
                   GBytes           *data,
                   const char       *rule,
                   guint             status,
                   guint             min_ms)
{
  g_autoptr(GError) error = NULL;
  gint64 start;

  avatar_test_server_set_fault (server, rule);
  start = g_get_monotonic_time ();
  g_assert_cmpuint (put_bytes (server, url, data, NULL, &error), ==, status);
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, min_ms * G_TIME_SPAN_MILLISECOND);
}

/* The upload route holds back its answers too: a success, and a refusal. */
static void
test_upload_delay (Fixture       *fixture,
                   gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *url = avatar_test_server_request_upload (server, NULL, "image/png", NULL, NULL);
  g_autoptr(GBytes) png = avatar_test_make_png (30, 30);

  assert_put_slowed (server, url, png, "{\"route\": \"upload\", \"status\": 503, \"delayMs\": 600, \"count\": 1}",
                     503, 600);
  assert_put_slowed (server, url, png, "{\"route\": \"upload\", \"delayMs\": 600, \"count\": 1}", 200, 600);
}

static void
test_upload_status (Fixture       *fixture,
                    gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *key = NULL;
  g_autofree char *url = avatar_test_server_request_upload (server, NULL, "image/png", &key, NULL);
  g_autoptr(GBytes) png = avatar_test_make_png (30, 30);
  g_autoptr(SoupMessage) refused = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;

  avatar_test_server_set_fault (server, "{\"route\": \"upload\", \"status\": 503, \"count\": 1, \"retryAfter\": 1}");
  g_assert_cmpuint (put_bytes (server, url, png, &refused, &error), ==, 503);
  g_assert_no_error (error);
  g_assert_cmpstr (retry_after (refused), ==, "1");
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (refused), NULL), ==,
                   "application/xml");

  g_assert_cmpuint (put_bytes (server, url, png, NULL, &error), ==, 200);
  g_assert_no_error (error);
  state = avatar_test_server_wait_processed (server, key);
  g_assert_cmpstr (state, ==, "ready");
}

static GBytes *
make_big_png (void)
{
  /* Noise does not compress, so the body is large enough to stream. */
  GByteArray *noise = g_byte_array_sized_new (300000);
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GBytes) png = avatar_test_make_png (8, 8);
  gsize len;
  const guint8 *data = g_bytes_get_data (png, &len);

  /* The content does not need to decode for these tests. */
  g_byte_array_append (noise, data, len);
  while (noise->len < 300000)
    {
      guint32 value = g_rand_int (rand);

      g_byte_array_append (noise, (const guint8 *) &value, sizeof value);
    }

  return g_byte_array_free_to_bytes (noise);
}

static void
test_reset_after_bytes (Fixture       *fixture,
                        gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *key = NULL;
  g_autofree char *url = avatar_test_server_request_upload (server, NULL, "image/png", &key, NULL);
  g_autoptr(GBytes) big = make_big_png ();
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;
  guint status;

  avatar_test_server_set_fault (server, "{\"route\": \"upload\", \"resetAfterBytes\": 100000, \"count\": 1}");
  status = put_bytes (server, url, big, NULL, &error);

  /* The connection dies mid-body: the client sees a network error, or,
   * when libsoup retried on a fresh connection without the body, the
   * refusal of an empty upload. */
  g_assert_true (error != NULL || status == 400);
  state = avatar_test_server_dup_asset_state (server, key, NULL);
  g_assert_cmpstr (state, ==, "pending");

  /* The rule is used up; the retry goes through. */
  g_clear_error (&error);
  g_assert_cmpuint (put_bytes (server, url, big, NULL, &error), ==, 200);
  g_assert_no_error (error);
}

static void
test_bytes_per_second (Fixture       *fixture,
                       gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *url = avatar_test_server_request_upload (server, NULL, "image/png", NULL, NULL);
  g_autoptr(GBytes) big = make_big_png ();

  /* 300 kB at 200 kB/s takes at least 1.5 s minus the first chunk. */
  assert_put_slowed (server, url, big, "{\"route\": \"upload\", \"bytesPerSecond\": 200000, \"count\": 1}",
                     200, 1200);
}

static void
test_cdn (Fixture       *fixture,
          gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(GBytes) png = avatar_test_make_png (30, 30);
  g_autofree char *key = NULL, *cdn_url = NULL, *state = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;

  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", png, &key, &cdn_url), ==, 200);
  state = avatar_test_server_wait_processed (server, key);
  g_assert_cmpstr (state, ==, "ready");

  avatar_test_server_set_fault (server, "{\"route\": \"cdn\", \"status\": 503, \"count\": 1, \"retryAfter\": 3}");
  msg = soup_message_new ("GET", cdn_url);
  body = avatar_test_server_send (server, msg);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 503);
  g_assert_cmpstr (retry_after (msg), ==, "3");
  g_assert_cmpuint (avatar_test_server_fetch (server, cdn_url, NULL), ==, 200);
}

static void
test_processing_fail (Fixture       *fixture,
                      gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(GBytes) png = avatar_test_make_png (30, 30);
  g_autofree char *key = NULL, *state = NULL, *reason = NULL;
  g_autoptr(JsonNode) profile = NULL;

  avatar_test_server_set_fault (server, "{\"processing\": \"fail\"}");
  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", png, &key, NULL), ==, 200);
  g_free (avatar_test_server_wait_processed (server, key));
  state = avatar_test_server_dup_asset_state (server, key, &reason);
  g_assert_cmpstr (state, ==, "failed");
  g_assert_nonnull (reason);

  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/users/me", NULL, &profile), ==, 200);
  g_assert_true (json_object_get_null_member (json_node_get_object (profile), "avatarUrl"));
}

static void
test_processing_hang (Fixture       *fixture,
                      gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(GBytes) png = avatar_test_make_png (30, 30);
  g_autofree char *hung = NULL, *later = NULL, *state = NULL, *hung_state = NULL;

  avatar_test_server_set_fault (server, "{\"processing\": \"hang\", \"count\": 1}");
  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", png, &hung, NULL), ==, 200);
  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", png, &later, NULL), ==, 200);

  /* The next upload is processed while the hung one never finishes. */
  state = avatar_test_server_wait_processed (server, later);
  g_assert_cmpstr (state, ==, "ready");
  hung_state = avatar_test_server_dup_asset_state (server, hung, NULL);
  g_assert_cmpstr (hung_state, ==, "processing");
}

static void
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}

static void
test_presign_expires (Fixture       *fixture,
                      gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *url = NULL;
  g_autoptr(GBytes) png = avatar_test_make_png (30, 30);
  g_autoptr(SoupMessage) expired = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;
  gboolean elapsed = FALSE;

  avatar_test_server_set_fault (server, "{\"presignExpiresS\": 1}");
  url = avatar_test_server_request_upload (server, NULL, "image/png", NULL, NULL);
  g_assert_nonnull (strstr (url, "X-Amz-Expires=1&"));

  /* X-Amz-Date has one-second resolution, so the URL is over two seconds
   * later; expiry is wall-clock time, which the test has to let pass. */
  g_timeout_add_once (2100, set_flag, &elapsed);
  g_assert_true (avatar_test_wait_until (flag_is_set, &elapsed, 10000));

  expired = soup_message_new ("PUT", url);
  soup_message_set_request_body_from_bytes (expired, "image/png", png);
  body = soup_session_send_and_read (server->session, expired, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (expired), ==, 403);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_assert_nonnull (strstr (text, "<Code>AccessDenied</Code>"));
  g_assert_nonnull (strstr (text, "Request has expired"));
}

/* With a count, only that many new URLs are short-lived; then they live
 * as long as usual again. */
static void
test_presign_expires_count (Fixture       *fixture,
                            gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  avatar_test_server_set_fault (server, "{\"presignExpiresS\": 1, \"count\": 1}");
  first = avatar_test_server_request_upload (server, NULL, "image/png", NULL, NULL);
  second = avatar_test_server_request_upload (server, NULL, "image/png", NULL, NULL);

  g_assert_nonnull (strstr (first, "X-Amz-Expires=1&"));
  g_assert_nonnull (strstr (second, "X-Amz-Expires=600&"));
}

static void
test_expire_access_tokens (Fixture       *fixture,
                           gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *other_token = NULL;
  g_autofree char *fresh_token = NULL;

  avatar_test_server_login (server, "other", &other_token, NULL, NULL);
  avatar_test_server_set_fault (server, "{\"expireAccessTokens\": true}");

  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/users/me", NULL, NULL), ==, 401);
  g_assert_cmpuint (avatar_test_server_call_as (server, other_token, "GET", "/users/me", NULL, NULL), ==, 401);

  /* Tokens issued afterwards work. */
  avatar_test_server_login (server, "other", &fresh_token, NULL, NULL);
  g_assert_cmpuint (avatar_test_server_call_as (server, fresh_token, "GET", "/users/me", NULL, NULL), ==, 200);
}

static void
test_invalid_rules (Fixture       *fixture,
                    gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  const char * const rules[] = {
    "{}", "[]", "not json", "{\"route\": \"nowhere\", \"status\": 503}", "{\"route\": \"profile\"}",
    "{\"route\": \"profile\", \"status\": 99}", "{\"route\": \"profile\", \"status\": \"503\"}",
    "{\"route\": \"profile\", \"resetAfterBytes\": 10}", "{\"processing\": \"explode\"}",
    "{\"presignExpiresS\": 0}", "{\"route\": \"profile\", \"status\": 503, \"count\": 0}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    g_assert_cmpuint (avatar_test_server_call (server, "POST", "/_dev/faults", rules[i], NULL), ==, 400);

  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/_dev/faults", NULL, NULL), ==, 405);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, fn) g_test_add ("/devserver/faults/" name, Fixture, NULL, avatar_test_server_fixture_setup, fn, avatar_test_server_fixture_teardown)
  ADD ("status-with-count", test_status_with_count);
  ADD ("each-api-route", test_each_api_route);
  ADD ("rule-until-cleared", test_rule_until_cleared);
  ADD ("delay", test_delay);
  ADD ("upload-delay", test_upload_delay);
  ADD ("upload-status", test_upload_status);
  ADD ("reset-after-bytes", test_reset_after_bytes);
  ADD ("bytes-per-second", test_bytes_per_second);
  ADD ("cdn", test_cdn);
  ADD ("processing-fail", test_processing_fail);
  ADD ("processing-hang", test_processing_hang);
  ADD ("presign-expires", test_presign_expires);
  ADD ("presign-expires-count", test_presign_expires_count);
  ADD ("expire-access-tokens", test_expire_access_tokens);
  ADD ("invalid-rules", test_invalid_rules);
#undef ADD

  return g_test_run ();
}
