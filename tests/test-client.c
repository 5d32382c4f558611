/* test-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AvatarClient's calls against a scripted server on a loopback port: what
 * they send, and the answers they take or refuse.
 */

#include "config.h"

#include "avatar-client.h"
#include "avatar-error.h"
#include "avatar-test-client.h"

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


/* Calls ------------------------------------------------------------------ */

static void
test_profile_headers (AvatarTestApi *fixture,
                      gconstpointer  data)
{
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  const AvatarTestRequest *request;

  fixture->profile_json = "{\"id\":\"u1\",\"username\":\"ada\",\"avatarUrl\":\"http://127.0.0.1:9/cdn/a/k/original.webp\",\"extra\":[1]}";
  profile = avatar_test_client_get_profile (fixture->client, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (profile->id, ==, "u1");
  g_assert_cmpstr (profile->username, ==, "ada");
  g_assert_cmpstr (profile->avatar_url, ==, "http://127.0.0.1:9/cdn/a/k/original.webp");

  request = avatar_test_http_last (fixture->api, "/users/me");
  avatar_test_assert_api_headers (request, "access-0");
  g_assert_cmpstr (request->method, ==, "GET");
}

static void
test_patch_bodies (AvatarTestApi *fixture,
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
      body = avatar_test_request_json (request);
      g_assert_true (json_object_get_boolean_member (json_node_get_object (body), patches[i].member));
    }
}

static void
test_ticket (AvatarTestApi *fixture,
             gconstpointer  data)
{
  g_autoptr(AvatarTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  const AvatarTestRequest *request;

  fixture->ticket_json = "{\"uploadUrl\":\"https://s3.example.com/b/k?X-Amz-Signature=ab\","
                         "\"assetKey\":\"k1\",\"cdnUrl\":\"https://cdn.example.com/avatars/u/k1/original.webp\"}";
  ticket = avatar_test_client_request_upload (fixture->client, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ticket->asset_key, ==, "k1");
  g_assert_cmpstr (ticket->content_type, ==, "image/png");
  g_assert_cmpstr (ticket->upload_url, ==, "https://s3.example.com/b/k?X-Amz-Signature=ab");

  request = avatar_test_http_last (fixture->api, "/users/me/avatar");
  g_assert_cmpstr (request->method, ==, "POST");
  body = avatar_test_request_json (request);
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
assert_answers_refused (AvatarTestApi   *fixture,
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
          read = avatar_test_client_request_upload (fixture->client, &error);
        }
      else
        {
          fixture->profile_json = answers[i].json;
          read = avatar_test_client_get_profile (fixture->client, &error);
        }
      g_assert_error (error, AVATAR_ERROR, (int) answers[i].code);
      g_assert_null (read);
    }
}

static void
test_profile_shapes (AvatarTestApi *fixture,
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
test_ticket_shapes (AvatarTestApi *fixture,
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
test_server_errors (AvatarTestApi *fixture,
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
      profile = avatar_test_client_get_profile (fixture->client, &error);
      g_assert_error (error, AVATAR_ERROR, (int) cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      /* Not worth repeating. */
      g_assert_cmpuint (avatar_test_http_count (fixture->api, NULL, NULL), ==, before + 1);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/check-url", test_check_url);
  g_test_add_func ("/client/new", test_new);
  g_test_add_func ("/client/session-without-features", test_session_without_features);

  avatar_test_api_add ("/client/profile-headers", NULL, test_profile_headers);
  avatar_test_api_add ("/client/patch-bodies", NULL, test_patch_bodies);
  avatar_test_api_add ("/client/ticket", NULL, test_ticket);
  avatar_test_api_add ("/client/profile-shapes", NULL, test_profile_shapes);
  avatar_test_api_add ("/client/ticket-shapes", NULL, test_ticket_shapes);
  avatar_test_api_add ("/client/server-errors", NULL, test_server_errors);

  return g_test_run ();
}
