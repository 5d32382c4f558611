/* avatar-test-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "avatar-test-client.h"

#define PROFILE_JSON "{\"id\":\"u1\",\"username\":\"ada\",\"avatarUrl\":null}"

gboolean
avatar_test_has_bearer (const AvatarTestRequest *request,
                        const char              *token)
{
  g_autofree char *expected = g_strdup_printf ("Bearer %s", token);

  return g_strcmp0 (soup_message_headers_get_one (request->headers, "Authorization"), expected) == 0;
}

void
avatar_test_assert_api_headers (const AvatarTestRequest *request,
                                const char              *token)
{
  g_assert_nonnull (request);
  g_assert_true (avatar_test_has_bearer (request, token));
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "x-app-id"), ==, "test-app");
}

JsonNode *
avatar_test_request_json (const AvatarTestRequest *request)
{
  g_autoptr(GError) error = NULL;
  JsonNode *body = json_from_string (g_bytes_get_data (request->body, NULL), &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (body));

  return body;
}

/* The scripted servers --------------------------------------------------- */

static void
unpause_cb (gpointer user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;

  soup_server_message_unpause (msg);
}

static void
answer_refresh (AvatarTestApi     *fixture,
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
  AvatarTestApi *fixture = user_data;

  if (g_str_equal (request->path, "/auth/refresh"))
    {
      answer_refresh (fixture, msg);
      return;
    }

  if (fixture->valid_token != NULL && !avatar_test_has_bearer (request, fixture->valid_token))
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

AvatarClient *
avatar_test_client_new (const char *url)
{
  g_autoptr(GError) error = NULL;
  AvatarClient *client = avatar_client_new (url, "test-app", &error);

  g_assert_no_error (error);
  avatar_client_set_tokens (client, "access-0", "refresh-0");

  return client;
}

static void
setup (AvatarTestApi *fixture,
       gconstpointer  data)
{
  fixture->api = avatar_test_http_new (api_handler, fixture);
  fixture->other = avatar_test_http_new (other_handler, fixture);
  fixture->paused = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->profile_json = PROFILE_JSON;
  fixture->client = avatar_test_client_new (avatar_test_http_get_url (fixture->api));
  avatar_test_count_signal (fixture->client, "tokens-changed", &fixture->tokens_changed);
}

static void
teardown (AvatarTestApi *fixture,
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

AvatarProfile *
avatar_test_client_get_profile (AvatarClient  *client,
                                GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  avatar_client_get_profile_async (client, NULL, avatar_test_store_result, &result);

  return avatar_client_get_profile_finish (client, avatar_test_wait_result (&result), error);
}

AvatarTicket *
avatar_test_client_request_upload (AvatarClient  *client,
                                   GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  avatar_client_request_upload_async (client, "image/png", NULL, avatar_test_store_result, &result);

  return avatar_client_request_upload_finish (client, avatar_test_wait_result (&result), error);
}

void
avatar_test_api_add (const char    *path,
                     gconstpointer  data,
                     void         (*test) (AvatarTestApi *, gconstpointer))
{
  g_test_add (path, AvatarTestApi, data, setup, test, teardown);
}
