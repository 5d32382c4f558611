/* test-request.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AvatarClient's request engine against a scripted server on a loopback
 * port: retries, refresh on 401, redirects and the credential guard, size
 * limits, failed exchanges; and the redaction and retry helpers it is made
 * of.
 */

#include "config.h"

#include <string.h>

#include "avatar-client.h"
#include "avatar-client-private.h"
#include "avatar-error.h"
#include "avatar-redact.h"
#include "avatar-retry.h"
#include "avatar-test-client.h"

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

/* Against a scripted server ---------------------------------------------- */

/* The request carried none of the API's headers. */
static void
assert_no_api_headers (const AvatarTestRequest *request)
{
  g_assert_nonnull (request);
  g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));
  g_assert_null (soup_message_headers_get_one (request->headers, "x-app-id"));
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
expire_token (AvatarTestApi *fixture)
{
  fixture->valid_token = g_strdup ("not-yet-issued");
}

/* One refresh served every call: a second one would have used a refresh
 * token that the first one retired. */
static void
assert_refreshed_once (AvatarTestApi *fixture)
{
  g_assert_cmpuint (fixture->refreshes, ==, 1);
  g_assert_cmpuint (fixture->tokens_changed, ==, 1);
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
test_retry (AvatarTestApi *fixture,
            gconstpointer  data)
{
  const RetryCase *retry = data;
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  fixture->status = retry->status;
  fixture->failures_left = retry->failures;
  fixture->retry_after = retry->retry_after;
  profile = avatar_test_client_get_profile (fixture->client, &error);
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
test_retry_after_honoured (AvatarTestApi *fixture,
                           gconstpointer  data)
{
  g_autoptr(AvatarTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  fixture->ticket_json = "{\"uploadUrl\":\"https://s/k\",\"assetKey\":\"k\",\"cdnUrl\":\"https://c/o.webp\"}";
  fixture->status = 429;
  fixture->retry_after = "1";
  fixture->failures_left = 1;
  ticket = avatar_test_client_request_upload (fixture->client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ticket);
  g_assert_cmpuint (avatar_test_http_count (fixture->api, "POST", "/users/me/avatar"), ==, 2);
  /* The server asked for a second: the backoff alone would be shorter. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 950 * 1000);
}

/* Failed exchanges ------------------------------------------------------- */

static void
test_network_error (AvatarTestApi *fixture,
                    gconstpointer  data)
{
  g_autoptr(AvatarClient) client = NULL;
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup (avatar_test_http_get_url (fixture->other));

  /* Nothing listens there any more. */
  g_clear_pointer (&fixture->other, avatar_test_http_free);
  client = avatar_test_client_new (url);

  profile = avatar_test_client_get_profile (client, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_NETWORK);
  g_assert_null (profile);
}

static void
test_timeout (AvatarTestApi *fixture,
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
test_cancel (AvatarTestApi *fixture,
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
test_refresh_on_401 (AvatarTestApi *fixture,
                     gconstpointer  data)
{
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;
  const AvatarTestRequest *refresh;
  g_autoptr(JsonNode) body = NULL;

  expire_token (fixture);
  profile = avatar_test_client_get_profile (fixture->client, &error);
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
  body = avatar_test_request_json (refresh);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "refreshToken"), ==, "refresh-0");
  g_assert_true (avatar_test_has_bearer (avatar_test_http_last (fixture->api, "/users/me"), "access-1"));
}

static void
test_refresh_concurrent (AvatarTestApi *fixture,
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
test_refresh_waiter_cancelled (AvatarTestApi *fixture,
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
test_refresh_refused (AvatarTestApi *fixture,
                      gconstpointer  data)
{
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  expire_token (fixture);
  fixture->refresh_status = 401;
  profile = avatar_test_client_get_profile (fixture->client, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_AUTH);
  g_assert_null (profile);
  g_assert_cmpuint (fixture->refreshes, ==, 1);
  g_assert_cmpuint (fixture->tokens_changed, ==, 0);
  /* No loop of refreshes and repeats. */
  g_assert_cmpuint (avatar_test_http_count (fixture->api, "GET", "/users/me"), ==, 1);
}

static void
test_refresh_not_repeated_on_500 (AvatarTestApi *fixture,
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
test_redirect_other_origin (AvatarTestApi *fixture,
                            gconstpointer  data)
{
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = url_of (fixture->other, "/users/me");

  fixture->redirect_to = target;
  profile = avatar_test_client_get_profile (fixture->client, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL);
  g_assert_null (profile);
  /* The other server never heard of the request, let alone the token. */
  g_assert_cmpuint (avatar_test_http_count (fixture->other, NULL, NULL), ==, 0);
}

static void
test_redirect_same_origin (AvatarTestApi *fixture,
                           gconstpointer  data)
{
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  fixture->redirect_to = "/v2/users/me";
  profile = avatar_test_client_get_profile (fixture->client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (profile);

  avatar_test_assert_api_headers (avatar_test_http_last (fixture->api, "/v2/users/me"), "access-0");
}

static void
test_fetch_without_credentials (AvatarTestApi *fixture,
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
test_guard_strips_credentials (AvatarTestApi *fixture,
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
test_fetch_insecure (AvatarTestApi *fixture,
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
fetch_streamed (AvatarTestApi     *fixture,
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
test_fetch_at_limit (AvatarTestApi *fixture,
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
test_fetch_length_over_limit (AvatarTestApi *fixture,
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
test_fetch_endless_body (AvatarTestApi *fixture,
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
  g_autoptr(AvatarClient) client = avatar_test_client_new (avatar_test_http_get_url (api));
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  profile = avatar_test_client_get_profile (client, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL);
  g_assert_null (profile);
  g_assert_cmpuint (avatar_test_http_count (api, "GET", "/users/me"), ==, 1);
  g_assert_cmpuint (streamer.queued, <, streamer.total);
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
  g_test_add_func ("/client/origin", test_origin);
  g_test_add_func ("/client/api-answer-over-limit", test_api_answer_over_limit);

  avatar_test_api_add ("/client/retry/503-then-success", &retry_503_then_success, test_retry);
  avatar_test_api_add ("/client/retry/gives-up", &retry_gives_up, test_retry);
  avatar_test_api_add ("/client/retry/retry-after", NULL, test_retry_after_honoured);
  avatar_test_api_add ("/client/retry/retry-after-too-long", &retry_after_too_long, test_retry);
  avatar_test_api_add ("/client/network-error", NULL, test_network_error);
  avatar_test_api_add ("/client/timeout", NULL, test_timeout);
  avatar_test_api_add ("/client/cancel", NULL, test_cancel);
  avatar_test_api_add ("/client/refresh/on-401", NULL, test_refresh_on_401);
  avatar_test_api_add ("/client/refresh/concurrent", GUINT_TO_POINTER (0), test_refresh_concurrent);
  avatar_test_api_add ("/client/refresh/concurrent-in-flight", GUINT_TO_POINTER (300), test_refresh_concurrent);
  avatar_test_api_add ("/client/refresh/waiter-cancelled", NULL, test_refresh_waiter_cancelled);
  avatar_test_api_add ("/client/refresh/refused", NULL, test_refresh_refused);
  avatar_test_api_add ("/client/refresh/not-repeated-on-500", NULL, test_refresh_not_repeated_on_500);
  avatar_test_api_add ("/client/redirect/other-origin", NULL, test_redirect_other_origin);
  avatar_test_api_add ("/client/redirect/same-origin", NULL, test_redirect_same_origin);
  avatar_test_api_add ("/client/fetch/no-credentials", NULL, test_fetch_without_credentials);
  avatar_test_api_add ("/client/fetch/insecure", NULL, test_fetch_insecure);
  avatar_test_api_add ("/client/fetch/at-limit-chunked", GINT_TO_POINTER (FALSE), test_fetch_at_limit);
  avatar_test_api_add ("/client/fetch/at-limit-with-length", GINT_TO_POINTER (TRUE), test_fetch_at_limit);
  avatar_test_api_add ("/client/fetch/length-over-limit", NULL, test_fetch_length_over_limit);
  avatar_test_api_add ("/client/fetch/endless-body", NULL, test_fetch_endless_body);
  avatar_test_api_add ("/client/guard-strips-credentials", NULL, test_guard_strips_credentials);

  return g_test_run ();
}
