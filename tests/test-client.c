/* test-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AvatarClient against a scripted server on a loopback port, and the
 * redaction and retry helpers it is made of.
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "avatar-client.h"
#include "avatar-client-private.h"
#include "avatar-error.h"
#include "avatar-redact.h"
#include "avatar-retry.h"
#include "avatar-test-http.h"

#define PROFILE_JSON "{\"id\":\"u1\",\"username\":\"ada\",\"avatarUrl\":null}"

/* Redaction -------------------------------------------------------------- */

static void
test_redact_url (void)
{
  static const struct {
    const char *url;
    const char *expected;
  } cases[] = {
    { "https://s3.example.com/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=600&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature=0123456789abcdef",
      "https://s3.example.com/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" AVATAR_REDACTED "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=600&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature=" AVATAR_REDACTED },
    { "https://a.example/p?x-amz-signature=abc#frag", "https://a.example/p?x-amz-signature=" AVATAR_REDACTED "#frag" },
    { "https://a.example/p?access_token=t0k&size=44", "https://a.example/p?access_token=" AVATAR_REDACTED "&size=44" },
    { "https://user:secret@a.example/p", "https://user:" AVATAR_REDACTED "@a.example/p" },
    { "https://a.example/users/me", "https://a.example/users/me" },
    { "https://a.example/p#X-Amz-Signature=kept-in-fragment", "https://a.example/p#X-Amz-Signature=kept-in-fragment" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *redacted = avatar_redact_url (cases[i].url);

      g_assert_cmpstr (redacted, ==, cases[i].expected);
    }

  g_assert_null (avatar_redact_url (NULL));
}

static void
test_redact_text (void)
{
  static const struct {
    const char *text;
    const char *secret;
  } cases[] = {
    { "Authorization: Bearer abc.DEF-123_x", "abc.DEF-123_x" },
    { "{\"accessToken\": \"tok-1\", \"refreshToken\":\"tok-2\"}", "tok-" },
    { "{\"refreshToken\":\"with \\\"quote\\\" inside\"}", "quote" },
    { "PUT https://h/k?X-Amz-Date=1&X-Amz-Signature=deadbeef HTTP/1.1", "deadbeef" },
    { "see x-amz-signature=cafe0123 here", "cafe0123" },
  };
  g_autofree char *plain = avatar_redact_text ("{\"username\":\"ada\",\"avatarUrl\":null}");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *redacted = avatar_redact_text (cases[i].text);

      g_assert_null (strstr (redacted, cases[i].secret));
      g_assert_nonnull (strstr (redacted, AVATAR_REDACTED));
    }

  /* Text without secrets passes unchanged. */
  g_assert_cmpstr (plain, ==, "{\"username\":\"ada\",\"avatarUrl\":null}");
}

/* Retry policy ----------------------------------------------------------- */

static void
test_retry_backoff (void)
{
  for (guint round = 0; round < 200; round++)
    {
      guint first = avatar_retry_backoff_ms (1);
      guint second = avatar_retry_backoff_ms (2);
      guint late = avatar_retry_backoff_ms (20);

      g_assert_cmpuint (first, >=, AVATAR_RETRY_BASE_DELAY_MS / 2);
      g_assert_cmpuint (first, <=, AVATAR_RETRY_BASE_DELAY_MS);
      g_assert_cmpuint (second, >=, AVATAR_RETRY_BASE_DELAY_MS);
      g_assert_cmpuint (second, <=, AVATAR_RETRY_BASE_DELAY_MS * 2);
      g_assert_cmpuint (late, >=, AVATAR_RETRY_MAX_BACKOFF_MS / 2);
      g_assert_cmpuint (late, <=, AVATAR_RETRY_MAX_BACKOFF_MS);
    }
}

static void
test_retry_after (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_utc (2024, 5, 1, 12, 0, 0);
  guint64 delay_ms = 0;
  guint delay = 0;

  g_assert_true (avatar_retry_parse_retry_after ("3", now, &delay_ms));
  g_assert_cmpuint (delay_ms, ==, 3000);
  g_assert_true (avatar_retry_parse_retry_after (" 0 ", now, &delay_ms));
  g_assert_cmpuint (delay_ms, ==, 0);
  g_assert_true (avatar_retry_parse_retry_after ("Wed, 01 May 2024 12:00:07 GMT", now, &delay_ms));
  g_assert_cmpuint (delay_ms, ==, 7000);
  g_assert_true (avatar_retry_parse_retry_after ("Wed, 01 May 2024 11:00:00 GMT", now, &delay_ms));
  g_assert_cmpuint (delay_ms, ==, 0);
  g_assert_true (avatar_retry_parse_retry_after ("99999999999999999999", now, &delay_ms));
  g_assert_cmpuint (delay_ms, >, AVATAR_RETRY_MAX_RETRY_AFTER_MS);

  g_assert_false (avatar_retry_parse_retry_after ("soon", now, &delay_ms));
  g_assert_false (avatar_retry_parse_retry_after ("-5", now, &delay_ms));
  g_assert_false (avatar_retry_parse_retry_after ("", now, &delay_ms));
  g_assert_false (avatar_retry_parse_retry_after (NULL, now, &delay_ms));

  /* Honoured when reasonable, refused when not; backoff without one. */
  g_assert_true (avatar_retry_next_delay (1, "2", &delay));
  g_assert_cmpuint (delay, ==, 2000);
  g_assert_false (avatar_retry_next_delay (1, "3600", &delay));
  g_assert_true (avatar_retry_next_delay (1, "junk", &delay));
  g_assert_cmpuint (delay, <=, AVATAR_RETRY_BASE_DELAY_MS);

  g_assert_true (avatar_retry_status_is_transient (429));
  g_assert_true (avatar_retry_status_is_transient (500));
  g_assert_true (avatar_retry_status_is_transient (503));
  g_assert_false (avatar_retry_status_is_transient (501));
  g_assert_false (avatar_retry_status_is_transient (404));
  g_assert_false (avatar_retry_status_is_transient (401));
}

static void
test_retry_sleep_cancel (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  avatar_retry_sleep_async (60000, cancellable, avatar_test_store_result, &result);
  g_cancellable_cancel (cancellable);
  avatar_test_wait_result (&result);

  g_assert_false (avatar_retry_sleep_finish (result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 30 * G_USEC_PER_SEC);
  /* Nothing of the pause is left on the main context. */
  g_assert_false (g_main_context_pending (NULL));
}

/* URLs ------------------------------------------------------------------- */

/* Checks each of @urls: accepted when @code is -1, else refused with it. */
static void
assert_urls_checked (const char * const *urls,
                     guint               n_urls,
                     int                 code)
{
  for (guint i = 0; i < n_urls; i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean accepted = avatar_client_check_url (urls[i], &error);

      if (code < 0)
        {
          g_assert_true (accepted);
          g_assert_no_error (error);
        }
      else
        {
          g_assert_false (accepted);
          g_assert_error (error, AVATAR_ERROR, code);
        }
    }
}

static void
test_check_url (void)
{
  static const char * const good[] = {
    "https://api.example.com/",
    "https://cdn.example.com/avatars/u/k/original.webp",
    "http://127.0.0.1:8080/x",
    "http://127.1.2.3/x",
    "http://localhost:1234",
    "http://LOCALHOST/x",
    "http://[::1]:8080/x",
  };
  static const char * const insecure[] = {
    "http://example.com/x",
    "http://10.0.0.1/x",
    "http://192.168.1.10:8080/x",
    "http://localhost.example.com/x",
    /* Not every resolver keeps these names on this machine. */
    "http://dev.localhost/x",
    "http://[::2]/x",
  };
  static const char * const invalid[] = {
    "",
    "/relative/path",
    "original.webp",
    "ftp://example.com/x",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "https://",
  };

  assert_urls_checked (good, G_N_ELEMENTS (good), -1);
  assert_urls_checked (insecure, G_N_ELEMENTS (insecure), AVATAR_ERROR_INSECURE_URL);
  assert_urls_checked (invalid, G_N_ELEMENTS (invalid), AVATAR_ERROR_PROTOCOL);
}

/* libsoup 3.4 to 3.6.5 drop a reference to every feature of the session
 * when a send is cancelled as its answer arrives; a session with a feature
 * then fails on exit. The client's session has none. */
static void
test_session_without_features (void)
{
  g_autoptr(AvatarClient) client = avatar_client_new ("https://api.example.com", "app", NULL);
  SoupSession *session = avatar_client_get_session (client);

  g_assert_null (soup_session_get_feature (session, SOUP_TYPE_SESSION_FEATURE));
  g_assert_false (soup_session_has_feature (session, SOUP_TYPE_CONTENT_DECODER));
  g_assert_false (soup_session_has_feature (session, SOUP_TYPE_AUTH_MANAGER));
}

static void
test_new (void)
{
  g_autoptr(AvatarClient) client = NULL;
  g_autoptr(GError) error = NULL;

  client = avatar_client_new ("http://api.example.com", "app", &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_INSECURE_URL);
  g_assert_null (client);
  g_clear_error (&error);

  client = avatar_client_new ("https://api.example.com/v1?x=1", "app", &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL);
  g_assert_null (client);
  g_clear_error (&error);

  client = avatar_client_new ("https://api.example.com/v1//", "app", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (avatar_client_get_base_url (client), ==, "https://api.example.com/v1");
  g_assert_cmpstr (avatar_client_get_app_id (client), ==, "app");
  g_assert_cmpuint (avatar_client_get_timeout (client), ==, 30);

  avatar_client_set_tokens (client, "a", "r");
  {
    g_autofree char *access_token = avatar_client_dup_access_token (client);
    g_autofree char *refresh_token = avatar_client_dup_refresh_token (client);

    g_assert_cmpstr (access_token, ==, "a");
    g_assert_cmpstr (refresh_token, ==, "r");
  }
}

/* Against a scripted server ---------------------------------------------- */

typedef struct
{
  AvatarTestHttp *api;
  AvatarTestHttp *other;
  AvatarClient   *client;
  /* What the handlers answer, set by each test. */
  const char     *profile_json;
  const char     *ticket_json;
  guint           status;
  guint           failures_left;
  const char     *retry_after;
  const char     *redirect_to;
  char           *valid_token;
  guint           refreshes;
  guint           refresh_status;
  guint           tokens_changed;
  guint           error_status;
  guint           refresh_delay_ms;
  const char     *error_body;
  GPtrArray      *paused;
} Fixture;

static gboolean
has_bearer (const AvatarTestRequest *request,
            const char              *token)
{
  g_autofree char *expected = g_strdup_printf ("Bearer %s", token);

  return g_strcmp0 (soup_message_headers_get_one (request->headers, "Authorization"), expected) == 0;
}

/* The request carried the API's headers, with @token as the bearer. */
static void
assert_api_headers (const AvatarTestRequest *request,
                    const char              *token)
{
  g_assert_nonnull (request);
  g_assert_true (has_bearer (request, token));
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "x-app-id"), ==, "test-app");
}

/* The request carried none of the API's headers. */
static void
assert_no_api_headers (const AvatarTestRequest *request)
{
  g_assert_nonnull (request);
  g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));
  g_assert_null (soup_message_headers_get_one (request->headers, "x-app-id"));
}

/* The request's JSON body, which must parse to an object. */
static JsonNode *
request_json (const AvatarTestRequest *request)
{
  g_autoptr(GError) error = NULL;
  JsonNode *body = json_from_string (g_bytes_get_data (request->body, NULL), &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (body));

  return body;
}

static void
unpause_cb (gpointer user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;

  soup_server_message_unpause (msg);
}

static void
answer_refresh (Fixture           *fixture,
                SoupServerMessage *msg)
{
  g_autofree char *json = NULL;

  if (fixture->refresh_delay_ms > 0)
    {
      /* Answered later, so that other calls meet a refresh in flight. */
      soup_server_message_pause (msg);
      g_timeout_add_once (fixture->refresh_delay_ms, unpause_cb, g_object_ref (msg));
    }

  fixture->refreshes++;
  if (fixture->refresh_status != 0)
    {
      avatar_test_respond_json (msg, fixture->refresh_status,
                                "{\"error\":{\"code\":\"invalid_token\",\"message\":\"Unknown refresh token.\"}}");
      return;
    }

  g_free (fixture->valid_token);
  fixture->valid_token = g_strdup_printf ("access-%u", fixture->refreshes);
  json = g_strdup_printf ("{\"accessToken\":\"%s\",\"refreshToken\":\"refresh-%u\"}",
                          fixture->valid_token, fixture->refreshes);
  avatar_test_respond_json (msg, 200, json);
}

static void
api_handler (AvatarTestHttp          *http,
             SoupServerMessage       *msg,
             const AvatarTestRequest *request,
             gpointer                 user_data)
{
  Fixture *fixture = user_data;

  if (g_str_equal (request->path, "/auth/refresh"))
    {
      answer_refresh (fixture, msg);
      return;
    }

  if (fixture->valid_token != NULL && !has_bearer (request, fixture->valid_token))
    {
      avatar_test_respond_json (msg, 401, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"Expired token.\"}}");
      return;
    }

  if (fixture->error_status != 0)
    {
      avatar_test_respond (msg, fixture->error_status, "application/json", fixture->error_body);
      return;
    }

  if (fixture->redirect_to != NULL && !g_str_has_prefix (request->path, "/v2/"))
    {
      soup_server_message_set_redirect (msg, fixture->status ? fixture->status : 307, fixture->redirect_to);
      return;
    }

  if (fixture->failures_left > 0)
    {
      fixture->failures_left--;
      if (fixture->retry_after != NULL)
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "Retry-After", fixture->retry_after);
      avatar_test_respond (msg, fixture->status, "text/plain", "busy");
      return;
    }

  if (g_str_equal (request->path, "/slow"))
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (fixture->paused, g_object_ref (msg));
      return;
    }

  if (g_str_equal (request->path, "/users/me/avatar"))
    avatar_test_respond_json (msg, 200, fixture->ticket_json);
  else if (g_str_has_suffix (request->path, "/users/me"))
    avatar_test_respond_json (msg, 200, fixture->profile_json);
  else
    avatar_test_respond (msg, 404, NULL, NULL);
}

static void
other_handler (AvatarTestHttp          *http,
               SoupServerMessage       *msg,
               const AvatarTestRequest *request,
               gpointer                 user_data)
{
  avatar_test_respond (msg, 200, "image/webp", "RIFF....WEBP");
}

/* A client of the service at @url, signed in with the first tokens. */
static AvatarClient *
client_new (const char *url)
{
  g_autoptr(GError) error = NULL;
  AvatarClient *client = avatar_client_new (url, "test-app", &error);

  g_assert_no_error (error);
  avatar_client_set_tokens (client, "access-0", "refresh-0");

  return client;
}

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  fixture->api = avatar_test_http_new (api_handler, fixture);
  fixture->other = avatar_test_http_new (other_handler, fixture);
  fixture->paused = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->profile_json = PROFILE_JSON;
  fixture->client = client_new (avatar_test_http_get_url (fixture->api));
  g_signal_connect (fixture->client, "tokens-changed",
                    G_CALLBACK (avatar_test_count_cb), &fixture->tokens_changed);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  g_clear_object (&fixture->client);
  for (guint i = 0; i < fixture->paused->len; i++)
    soup_server_message_unpause (g_ptr_array_index (fixture->paused, i));
  g_ptr_array_unref (fixture->paused);
  g_clear_pointer (&fixture->api, avatar_test_http_free);
  g_clear_pointer (&fixture->other, avatar_test_http_free);
  g_free (fixture->valid_token);
}

/* The calls, each run to its end ----------------------------------------- */

static AvatarProfile *
client_get_profile (AvatarClient  *client,
                    GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  avatar_client_get_profile_async (client, NULL, avatar_test_store_result, &result);

  return avatar_client_get_profile_finish (client, avatar_test_wait_result (&result), error);
}

static AvatarProfile *
get_profile (Fixture  *fixture,
             GError  **error)
{
  return client_get_profile (fixture->client, error);
}

static AvatarTicket *
request_upload (Fixture  *fixture,
                GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  avatar_client_request_upload_async (fixture->client, "image/png", NULL,
                                      avatar_test_store_result, &result);

  return avatar_client_request_upload_finish (fixture->client, avatar_test_wait_result (&result), error);
}

static GBytes *
fetch (AvatarClient  *client,
       const char    *url,
       char         **content_type,
       GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  avatar_client_fetch_async (client, url, NULL, avatar_test_store_result, &result);

  return avatar_client_fetch_finish (client, avatar_test_wait_result (&result), content_type, error);
}

/* The URL of @path on @http. */
static char *
url_of (AvatarTestHttp *http,
        const char     *path)
{
  return g_strconcat (avatar_test_http_get_url (http), path, NULL);
}

/* The server only takes a token it issued by refreshing. */
static void
expire_token (Fixture *fixture)
{
  fixture->valid_token = g_strdup ("not-yet-issued");
}

/* One refresh served every call: a second one would have used a refresh
 * token that the first one retired. */
static void
assert_refreshed_once (Fixture *fixture)
{
  g_assert_cmpuint (fixture->refreshes, ==, 1);
  g_assert_cmpuint (fixture->tokens_changed, ==, 1);
}

/* Calls ------------------------------------------------------------------ */

static void
test_profile_headers (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  const AvatarTestRequest *request;

  fixture->profile_json = "{\"id\":\"u1\",\"username\":\"ada\",\"avatarUrl\":\"http://127.0.0.1:9/cdn/a/k/original.webp\",\"extra\":[1]}";
  profile = get_profile (fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (profile->id, ==, "u1");
  g_assert_cmpstr (profile->username, ==, "ada");
  g_assert_cmpstr (profile->avatar_url, ==, "http://127.0.0.1:9/cdn/a/k/original.webp");

  request = avatar_test_http_last (fixture->api, "/users/me");
  assert_api_headers (request, "access-0");
  g_assert_cmpstr (request->method, ==, "GET");
}

static void
test_patch_bodies (Fixture       *fixture,
                   gconstpointer  data)
{
  static const struct {
    void            (*call) (AvatarClient *, GCancellable *, GAsyncReadyCallback, gpointer);
    AvatarProfile  *(*finish) (AvatarClient *, GAsyncResult *, GError **);
    const char       *member;
  } patches[] = {
    { avatar_client_remove_avatar_async, avatar_client_remove_avatar_finish, "removeAvatar" },
    { avatar_client_confirm_avatar_async, avatar_client_confirm_avatar_finish, "confirmAvatar" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (patches); i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(AvatarProfile) profile = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) body = NULL;
      const AvatarTestRequest *request;

      patches[i].call (fixture->client, NULL, avatar_test_store_result, &result);
      profile = patches[i].finish (fixture->client, avatar_test_wait_result (&result), &error);
      g_assert_no_error (error);
      g_assert_nonnull (profile);

      request = avatar_test_http_last (fixture->api, "/users/me");
      g_assert_cmpstr (request->method, ==, "PATCH");
      g_assert_cmpstr (soup_message_headers_get_content_type (request->headers, NULL), ==, "application/json");
      body = request_json (request);
      g_assert_true (json_object_get_boolean_member (json_node_get_object (body), patches[i].member));
    }
}

static void
test_ticket (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(AvatarTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  const AvatarTestRequest *request;

  fixture->ticket_json = "{\"uploadUrl\":\"https://s3.example.com/b/k?X-Amz-Signature=ab\","
                         "\"assetKey\":\"k1\",\"cdnUrl\":\"https://cdn.example.com/avatars/u/k1/original.webp\"}";
  ticket = request_upload (fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ticket->asset_key, ==, "k1");
  g_assert_cmpstr (ticket->content_type, ==, "image/png");
  g_assert_cmpstr (ticket->upload_url, ==, "https://s3.example.com/b/k?X-Amz-Signature=ab");

  request = avatar_test_http_last (fixture->api, "/users/me/avatar");
  g_assert_cmpstr (request->method, ==, "POST");
  body = request_json (request);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "contentType"), ==, "image/png");
}

/* Answers the client refuses --------------------------------------------- */

typedef struct
{
  const char  *json;
  AvatarError  code;
} BadAnswer;

/* Serves each of @answers as the profile (or, with @ticket, as the upload
 * ticket) and checks that the call fails with its code. */
static void
assert_answers_refused (Fixture         *fixture,
                        gboolean         ticket,
                        const BadAnswer *answers,
                        guint            n_answers)
{
  for (guint i = 0; i < n_answers; i++)
    {
      g_autoptr(GError) error = NULL;
      gpointer read;

      /* Nothing read is left to free when the assertions hold. */
      if (ticket)
        {
          fixture->ticket_json = answers[i].json;
          read = request_upload (fixture, &error);
        }
      else
        {
          fixture->profile_json = answers[i].json;
          read = get_profile (fixture, &error);
        }
      g_assert_error (error, AVATAR_ERROR, (int) answers[i].code);
      g_assert_null (read);
    }
}

static void
test_profile_shapes (Fixture       *fixture,
                     gconstpointer  data)
{
  static const BadAnswer answers[] = {
    { "", AVATAR_ERROR_PROTOCOL },
    { "not json", AVATAR_ERROR_PROTOCOL },
    { "[]", AVATAR_ERROR_PROTOCOL },
    { "\"text\"", AVATAR_ERROR_PROTOCOL },
    { "null", AVATAR_ERROR_PROTOCOL },
    { "{}", AVATAR_ERROR_PROTOCOL },
    { "{\"id\":\"u1\",\"username\":\"ada\"}", AVATAR_ERROR_PROTOCOL },
    { "{\"id\":1,\"username\":\"ada\",\"avatarUrl\":null}", AVATAR_ERROR_PROTOCOL },
    { "{\"id\":\"u1\",\"username\":null,\"avatarUrl\":null}", AVATAR_ERROR_PROTOCOL },
    { "{\"id\":\"u1\",\"username\":\"ada\",\"avatarUrl\":42}", AVATAR_ERROR_PROTOCOL },
    { "{\"id\":\"u1\",\"username\":\"ada\",\"avatarUrl\":{}}", AVATAR_ERROR_PROTOCOL },
    { "{\"id\":\"u1\",\"username\":\"ada\",\"avatarUrl\":\"original.webp\"}", AVATAR_ERROR_PROTOCOL },
    { "{\"id\":\"u1\",\"username\":\"ada\",\"avatarUrl\":\"http://cdn.example.com/a.webp\"}", AVATAR_ERROR_INSECURE_URL },
    { "{\"id\":\"\",\"username\":\"ada\",\"avatarUrl\":null}", AVATAR_ERROR_PROTOCOL },
  };

  assert_answers_refused (fixture, FALSE, answers, G_N_ELEMENTS (answers));
}

static void
test_ticket_shapes (Fixture       *fixture,
                    gconstpointer  data)
{
  static const BadAnswer answers[] = {
    { "{}", AVATAR_ERROR_PROTOCOL },
    { "{\"assetKey\":\"k\",\"cdnUrl\":\"https://c/o.webp\"}", AVATAR_ERROR_PROTOCOL },
    { "{\"uploadUrl\":\"https://s/k\",\"cdnUrl\":\"https://c/o.webp\"}", AVATAR_ERROR_PROTOCOL },
    { "{\"uploadUrl\":\"https://s/k\",\"assetKey\":\"k\"}", AVATAR_ERROR_PROTOCOL },
    { "{\"uploadUrl\":true,\"assetKey\":\"k\",\"cdnUrl\":\"https://c/o.webp\"}", AVATAR_ERROR_PROTOCOL },
    { "{\"uploadUrl\":\"https://s/k\",\"assetKey\":7,\"cdnUrl\":\"https://c/o.webp\"}", AVATAR_ERROR_PROTOCOL },
    { "{\"uploadUrl\":\"/s3/b/k\",\"assetKey\":\"k\",\"cdnUrl\":\"https://c/o.webp\"}", AVATAR_ERROR_PROTOCOL },
    { "{\"uploadUrl\":\"https://s/k\",\"assetKey\":\"k\",\"cdnUrl\":\"/cdn/o.webp\"}", AVATAR_ERROR_PROTOCOL },
    { "{\"uploadUrl\":\"ftp://s/k\",\"assetKey\":\"k\",\"cdnUrl\":\"https://c/o.webp\"}", AVATAR_ERROR_PROTOCOL },
    { "{\"uploadUrl\":\"http://s3.example.com/k\",\"assetKey\":\"k\",\"cdnUrl\":\"https://c/o.webp\"}", AVATAR_ERROR_INSECURE_URL },
    { "{\"uploadUrl\":\"https://s/k\",\"assetKey\":\"k\",\"cdnUrl\":\"http://cdn.example.com/o.webp\"}", AVATAR_ERROR_INSECURE_URL },
  };

  assert_answers_refused (fixture, TRUE, answers, G_N_ELEMENTS (answers));
}

static void
test_server_errors (Fixture       *fixture,
                    gconstpointer  data)
{
  static const struct {
    guint status;
    const char *body;
    AvatarError code;
    const char *message;
  } cases[] = {
    { 400, "{\"error\":{\"code\":\"bad_request\",\"message\":\"Send a content type.\"}}", AVATAR_ERROR_SERVER, "Send a content type." },
    { 415, "{\"error\":{\"code\":\"unsupported\",\"message\":\"Only JPEG, PNG, GIF and WebP.\"}}", AVATAR_ERROR_UNSUPPORTED_TYPE, "Only JPEG, PNG, GIF and WebP." },
    { 403, "{\"error\":{\"code\":\"unknown_app\",\"message\":\"Unknown app.\"}}", AVATAR_ERROR_AUTH, "Unknown app." },
    { 404, NULL, AVATAR_ERROR_SERVER, "The service answered “404 Not Found”. Try again later." },
    { 409, "<html>nope</html>", AVATAR_ERROR_SERVER, "The service answered “409 Conflict”. Try again later." },
    { 413, "{\"error\":{\"code\":7}}", AVATAR_ERROR_TOO_LARGE, "The service answered “413 Request Entity Too Large”. Try again later." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(AvatarProfile) profile = NULL;
      g_autoptr(GError) error = NULL;
      guint before = avatar_test_http_count (fixture->api, NULL, NULL);

      fixture->error_status = cases[i].status;
      fixture->error_body = cases[i].body;
      profile = get_profile (fixture, &error);
      g_assert_error (error, AVATAR_ERROR, (int) cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      /* Not worth repeating. */
      g_assert_cmpuint (avatar_test_http_count (fixture->api, NULL, NULL), ==, before + 1);
    }
}

/* Retries ---------------------------------------------------------------- */

/* The server fails @failures times with @status (and @retry_after) before
 * it answers; the GET of the profile is sent @tries times in all. */
typedef struct
{
  guint        status;
  guint        failures;
  const char  *retry_after;
  gboolean     fails;
  AvatarError  code;
  guint        tries;
} RetryCase;

static const RetryCase retry_503_then_success = { 503, 2, NULL, FALSE, 0, 3 };
static const RetryCase retry_gives_up = { 500, 10, NULL, TRUE, AVATAR_ERROR_UNAVAILABLE, AVATAR_RETRY_MAX_TRIES };
static const RetryCase retry_after_too_long = { 503, 1, "3600", TRUE, AVATAR_ERROR_UNAVAILABLE, 1 };

static void
test_retry (Fixture       *fixture,
            gconstpointer  data)
{
  const RetryCase *retry = data;
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  fixture->status = retry->status;
  fixture->failures_left = retry->failures;
  fixture->retry_after = retry->retry_after;
  profile = get_profile (fixture, &error);
  if (retry->fails)
    {
      g_assert_error (error, AVATAR_ERROR, (int) retry->code);
      g_assert_null (profile);
    }
  else
    {
      g_assert_no_error (error);
      g_assert_nonnull (profile);
    }
  g_assert_cmpuint (avatar_test_http_count (fixture->api, "GET", "/users/me"), ==, retry->tries);
}

static void
test_retry_after_honoured (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(AvatarTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  fixture->ticket_json = "{\"uploadUrl\":\"https://s/k\",\"assetKey\":\"k\",\"cdnUrl\":\"https://c/o.webp\"}";
  fixture->status = 429;
  fixture->retry_after = "1";
  fixture->failures_left = 1;
  ticket = request_upload (fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ticket);
  g_assert_cmpuint (avatar_test_http_count (fixture->api, "POST", "/users/me/avatar"), ==, 2);
  /* The server asked for a second: the backoff alone would be shorter. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 950 * 1000);
}

/* Failed exchanges ------------------------------------------------------- */

static void
test_network_error (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(AvatarClient) client = NULL;
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup (avatar_test_http_get_url (fixture->other));

  /* Nothing listens there any more. */
  g_clear_pointer (&fixture->other, avatar_test_http_free);
  client = client_new (url);

  profile = client_get_profile (client, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_NETWORK);
  g_assert_null (profile);
}

static void
test_timeout (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = url_of (fixture->api, "/slow");

  avatar_client_set_timeout (fixture->client, 1);
  g_assert_null (fetch (fixture->client, url, NULL, &error));
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_NETWORK);
  /* A GET that timed out is tried again, up to the limit. */
  g_assert_cmpuint (avatar_test_http_count (fixture->api, "GET", "/slow"), ==, AVATAR_RETRY_MAX_TRIES);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = url_of (fixture->api, "/slow");

  avatar_client_fetch_async (fixture->client, url, cancellable, avatar_test_store_result, &result);
  avatar_test_http_wait_request (fixture->api, "GET", "/slow");
  g_cancellable_cancel (cancellable);

  g_assert_null (avatar_client_fetch_finish (fixture->client, avatar_test_wait_result (&result), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Refresh ---------------------------------------------------------------- */

static void
test_refresh_on_401 (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;
  const AvatarTestRequest *refresh;
  g_autoptr(JsonNode) body = NULL;

  expire_token (fixture);
  profile = get_profile (fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (profile);

  assert_refreshed_once (fixture);
  g_assert_cmpuint (avatar_test_http_count (fixture->api, "GET", "/users/me"), ==, 2);
  access_token = avatar_client_dup_access_token (fixture->client);
  refresh_token = avatar_client_dup_refresh_token (fixture->client);
  g_assert_cmpstr (access_token, ==, "access-1");
  g_assert_cmpstr (refresh_token, ==, "refresh-1");

  refresh = avatar_test_http_last (fixture->api, "/auth/refresh");
  g_assert_cmpstr (refresh->method, ==, "POST");
  g_assert_null (soup_message_headers_get_one (refresh->headers, "Authorization"));
  g_assert_cmpstr (soup_message_headers_get_one (refresh->headers, "x-app-id"), ==, "test-app");
  body = request_json (refresh);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "refreshToken"), ==, "refresh-0");
  g_assert_true (has_bearer (avatar_test_http_last (fixture->api, "/users/me"), "access-1"));
}

static void
test_refresh_concurrent (Fixture       *fixture,
                         gconstpointer  data)
{
  GAsyncResult *results[4] = { NULL, };

  expire_token (fixture);
  fixture->refresh_delay_ms = GPOINTER_TO_UINT (data);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    avatar_client_get_profile_async (fixture->client, NULL, avatar_test_store_result, &results[i]);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(AvatarProfile) profile = NULL;
      g_autoptr(GError) error = NULL;

      profile = avatar_client_get_profile_finish (fixture->client, avatar_test_wait_result (&results[i]), &error);
      g_assert_no_error (error);
      g_assert_nonnull (profile);
      g_clear_object (&results[i]);
    }

  assert_refreshed_once (fixture);
}

static void
test_refresh_waiter_cancelled (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) cancelled = NULL;
  g_autoptr(GAsyncResult) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AvatarProfile) profile = NULL;

  expire_token (fixture);
  fixture->refresh_delay_ms = 500;
  avatar_client_get_profile_async (fixture->client, cancellable, avatar_test_store_result, &cancelled);
  avatar_client_get_profile_async (fixture->client, NULL, avatar_test_store_result, &other);
  avatar_test_http_wait_request (fixture->api, "POST", "/auth/refresh");

  /* A caller that gives up waiting for the refresh hears so at once... */
  g_cancellable_cancel (cancellable);
  profile = avatar_client_get_profile_finish (fixture->client, avatar_test_wait_result (&cancelled), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (other);
  g_clear_error (&error);

  /* ...and the refresh goes on for the others. */
  profile = avatar_client_get_profile_finish (fixture->client, avatar_test_wait_result (&other), &error);
  g_assert_no_error (error);
  g_assert_nonnull (profile);
  assert_refreshed_once (fixture);
}

static void
test_refresh_refused (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  expire_token (fixture);
  fixture->refresh_status = 401;
  profile = get_profile (fixture, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_AUTH);
  g_assert_null (profile);
  g_assert_cmpuint (fixture->refreshes, ==, 1);
  g_assert_cmpuint (fixture->tokens_changed, ==, 0);
  /* No loop of refreshes and repeats. */
  g_assert_cmpuint (avatar_test_http_count (fixture->api, "GET", "/users/me"), ==, 1);
}

static void
test_refresh_not_repeated_on_500 (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* A refresh that may have been processed retired the old refresh
   * token: sending it again cannot help. */
  fixture->refresh_status = 500;
  avatar_client_refresh_async (fixture->client, NULL, avatar_test_store_result, &result);
  g_assert_false (avatar_client_refresh_finish (fixture->client, avatar_test_wait_result (&result), &error));
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_UNAVAILABLE);
  g_assert_cmpuint (fixture->refreshes, ==, 1);
}

/* The API's headers stay on its origin ----------------------------------- */

static void
test_redirect_other_origin (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = url_of (fixture->other, "/users/me");

  fixture->redirect_to = target;
  profile = get_profile (fixture, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL);
  g_assert_null (profile);
  /* The other server never heard of the request, let alone the token. */
  g_assert_cmpuint (avatar_test_http_count (fixture->other, NULL, NULL), ==, 0);
}

static void
test_redirect_same_origin (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  fixture->redirect_to = "/v2/users/me";
  profile = get_profile (fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (profile);

  assert_api_headers (avatar_test_http_last (fixture->api, "/v2/users/me"), "access-0");
}

static void
test_fetch_without_credentials (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *content_type = NULL;
  g_autofree char *url = url_of (fixture->other, "/cdn/44.webp");

  bytes = fetch (fixture->client, url, &content_type, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, strlen ("RIFF....WEBP"));
  g_assert_cmpstr (content_type, ==, "image/webp");

  assert_no_api_headers (avatar_test_http_last (fixture->other, "/cdn/44.webp"));
}

static void
test_guard_strips_credentials (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *url = url_of (fixture->other, "/elsewhere");
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  /* Whatever code builds a message for another origin, the guard keeps
   * the API's headers off it. */
  soup_message_headers_replace (headers, "Authorization", "Bearer access-0");
  soup_message_headers_replace (headers, "x-app-id", "test-app");
  avatar_client_guard_message (fixture->client, msg);

  soup_session_send_and_read_async (avatar_client_get_session (fixture->client), msg,
                                    G_PRIORITY_DEFAULT, NULL, avatar_test_store_result, &result);
  body = soup_session_send_and_read_finish (avatar_client_get_session (fixture->client),
                                            avatar_test_wait_result (&result), &error);
  g_assert_no_error (error);

  assert_no_api_headers (avatar_test_http_last (fixture->other, "/elsewhere"));
}

static void
test_origin (void)
{
  static const struct {
    const char *url;
    gboolean same;
  } cases[] = {
    { "https://api.example.com/users/me", TRUE },
    { "https://API.Example.COM:443/x", TRUE },
    { "https://api.example.com:8443/x", FALSE },
    { "http://api.example.com/x", FALSE },
    { "https://cdn.example.com/x", FALSE },
    { "https://api.example.com.evil.example/x", FALSE },
  };
  g_autoptr(AvatarClient) client = NULL;
  g_autoptr(GError) error = NULL;

  client = avatar_client_new ("https://api.example.com/v1", "app", &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GUri) uri = g_uri_parse (cases[i].url, SOUP_HTTP_URI_FLAGS, NULL);

      g_assert_cmpint (avatar_client_is_api_origin (client, uri), ==, cases[i].same);
    }
}

static void
test_fetch_insecure (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (fetch (fixture->client, "http://cdn.example.com/a.webp", NULL, &error));
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_INSECURE_URL);
}

/* Oversized answers ------------------------------------------------------ */

/* The client's limit on a fetched file, which the tests check from both
 * sides. */
#define FETCH_LIMIT (16 * 1024 * 1024)

static void
streaming_handler (AvatarTestHttp          *http,
                   SoupServerMessage       *msg,
                   const AvatarTestRequest *request,
                   gpointer                 user_data)
{
  avatar_test_respond_streamed (msg, SOUP_STATUS_OK, "image/webp", NULL, user_data);
}

static GBytes *
fetch_streamed (Fixture           *fixture,
                AvatarTestStream  *streamer,
                GError           **error)
{
  g_autoptr(AvatarTestHttp) cdn = avatar_test_http_new (streaming_handler, streamer);
  g_autofree char *url = url_of (cdn, "/cdn/original.webp");
  GBytes *bytes = fetch (fixture->client, url, NULL, error);

  /* Refused, never repeated. */
  g_assert_cmpuint (avatar_test_http_count (cdn, "GET", "/cdn/original.webp"), ==, 1);

  return bytes;
}

static void
test_fetch_at_limit (Fixture       *fixture,
                     gconstpointer  data)
{
  AvatarTestStream streamer = { .announce_length = GPOINTER_TO_INT (data), .total = FETCH_LIMIT };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  bytes = fetch_streamed (fixture, &streamer, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, FETCH_LIMIT);
}

static void
test_fetch_length_over_limit (Fixture       *fixture,
                              gconstpointer  data)
{
  AvatarTestStream streamer = { .announce_length = TRUE, .total = FETCH_LIMIT + 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  bytes = fetch_streamed (fixture, &streamer, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL);
  g_assert_null (bytes);
  g_assert_nonnull (strstr (error->message, "16"));

  /* Refused from the header: far less than the body was read. */
  g_assert_cmpuint (streamer.queued, <, FETCH_LIMIT / 2);
}

static void
test_fetch_endless_body (Fixture       *fixture,
                         gconstpointer  data)
{
  /* Chunked, so nothing tells the size in advance; eight times the
   * limit stands in for an endless body. */
  AvatarTestStream streamer = { .announce_length = FALSE, .total = 8 * (gsize) FETCH_LIMIT };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  bytes = fetch_streamed (fixture, &streamer, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL);
  g_assert_null (bytes);

  /* The client stopped at the limit, well before the end of the body:
   * the server queued the limit plus what the sockets' buffers hold. */
  g_assert_cmpuint (streamer.queued, >, FETCH_LIMIT);
  g_assert_cmpuint (streamer.queued, <, 3 * (gsize) FETCH_LIMIT);
}

static void
test_api_answer_over_limit (void)
{
  /* An API answer is a small JSON document; 64 MiB is far beyond one. */
  AvatarTestStream streamer = { .announce_length = FALSE, .total = 64 * 1024 * 1024 };
  g_autoptr(AvatarTestHttp) api = avatar_test_http_new (streaming_handler, &streamer);
  g_autoptr(AvatarClient) client = client_new (avatar_test_http_get_url (api));
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  profile = client_get_profile (client, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL);
  g_assert_null (profile);
  g_assert_cmpuint (avatar_test_http_count (api, "GET", "/users/me"), ==, 1);
  g_assert_cmpuint (streamer.queued, <, streamer.total);
}

static void
add_test (const char    *path,
          gconstpointer  data,
          void         (*test) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, data, setup, test, teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/redact/url", test_redact_url);
  g_test_add_func ("/redact/text", test_redact_text);
  g_test_add_func ("/retry/backoff", test_retry_backoff);
  g_test_add_func ("/retry/retry-after", test_retry_after);
  g_test_add_func ("/retry/sleep-cancel", test_retry_sleep_cancel);
  g_test_add_func ("/client/check-url", test_check_url);
  g_test_add_func ("/client/new", test_new);
  g_test_add_func ("/client/session-without-features", test_session_without_features);
  g_test_add_func ("/client/origin", test_origin);
  g_test_add_func ("/client/api-answer-over-limit", test_api_answer_over_limit);

  add_test ("/client/profile-headers", NULL, test_profile_headers);
  add_test ("/client/patch-bodies", NULL, test_patch_bodies);
  add_test ("/client/ticket", NULL, test_ticket);
  add_test ("/client/profile-shapes", NULL, test_profile_shapes);
  add_test ("/client/ticket-shapes", NULL, test_ticket_shapes);
  add_test ("/client/server-errors", NULL, test_server_errors);
  add_test ("/client/retry/503-then-success", &retry_503_then_success, test_retry);
  add_test ("/client/retry/gives-up", &retry_gives_up, test_retry);
  add_test ("/client/retry/retry-after", NULL, test_retry_after_honoured);
  add_test ("/client/retry/retry-after-too-long", &retry_after_too_long, test_retry);
  add_test ("/client/network-error", NULL, test_network_error);
  add_test ("/client/timeout", NULL, test_timeout);
  add_test ("/client/cancel", NULL, test_cancel);
  add_test ("/client/refresh/on-401", NULL, test_refresh_on_401);
  add_test ("/client/refresh/concurrent", GUINT_TO_POINTER (0), test_refresh_concurrent);
  add_test ("/client/refresh/concurrent-in-flight", GUINT_TO_POINTER (300), test_refresh_concurrent);
  add_test ("/client/refresh/waiter-cancelled", NULL, test_refresh_waiter_cancelled);
  add_test ("/client/refresh/refused", NULL, test_refresh_refused);
  add_test ("/client/refresh/not-repeated-on-500", NULL, test_refresh_not_repeated_on_500);
  add_test ("/client/redirect/other-origin", NULL, test_redirect_other_origin);
  add_test ("/client/redirect/same-origin", NULL, test_redirect_same_origin);
  add_test ("/client/fetch/no-credentials", NULL, test_fetch_without_credentials);
  add_test ("/client/fetch/insecure", NULL, test_fetch_insecure);
  add_test ("/client/fetch/at-limit-chunked", GINT_TO_POINTER (FALSE), test_fetch_at_limit);
  add_test ("/client/fetch/at-limit-with-length", GINT_TO_POINTER (TRUE), test_fetch_at_limit);
  add_test ("/client/fetch/length-over-limit", NULL, test_fetch_length_over_limit);
  add_test ("/client/fetch/endless-body", NULL, test_fetch_endless_body);
  add_test ("/client/guard-strips-credentials", NULL, test_guard_strips_credentials);

  return g_test_run ();
}
