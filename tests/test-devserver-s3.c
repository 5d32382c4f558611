/* test-devserver-s3.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The S3-compatible endpoint (presigned PUT checked as S3 checks it) and
 * the CDN. */

#include "config.h"

#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "avatar-sigv4.h"
#include "avatar-test-server.h"

typedef struct
{
  AvatarTestServer *server;
  char             *upload_url;
  char             *asset_key;
  char             *cdn_url;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->server = avatar_test_server_start (NULL);
  fixture->upload_url = avatar_test_server_request_upload (fixture->server, NULL, "image/png",
                                                           &fixture->asset_key, &fixture->cdn_url);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->server, avatar_test_server_stop);
  g_free (fixture->upload_url);
  g_free (fixture->asset_key);
  g_free (fixture->cdn_url);
}

typedef struct
{
  guint  status;
  char  *code;
  char  *message;
  char  *etag;
} S3Answer;

static void
s3_answer_clear (S3Answer *answer)
{
  g_free (answer->code);
  g_free (answer->message);
  g_free (answer->etag);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (S3Answer, s3_answer_clear)

static char *
xml_element (const char *xml,
             const char *name)
{
  g_autofree char *open = g_strdup_printf ("<%s>", name);
  g_autofree char *close = g_strdup_printf ("</%s>", name);
  const char *start;
  const char *end;

  if (xml == NULL || (start = strstr (xml, open)) == NULL)
    return NULL;
  start += strlen (open);
  end = strstr (start, close);
  if (end == NULL)
    return NULL;

  return g_strndup (start, end - start);
}

/* Sends @msg to the S3 endpoint and reads the answer. */
static void
send_s3_message (AvatarTestServer *server,
                 SoupMessage      *msg,
                 S3Answer         *answer)
{
  g_autoptr(GBytes) body = avatar_test_server_send (server, msg);
  g_autofree char *text = g_strndup (g_bytes_get_size (body) ? g_bytes_get_data (body, NULL) : "",
                                     g_bytes_get_size (body));

  answer->status = soup_message_get_status (msg);
  answer->code = xml_element (text, "Code");
  answer->message = xml_element (text, "Message");
  answer->etag = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg), "ETag"));
}

static void
send_s3 (AvatarTestServer *server,
         const char       *method,
         const char       *url,
         const char       *content_type,
         GBytes           *data,
         S3Answer         *answer)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  if (data)
    soup_message_set_request_body_from_bytes (msg, content_type, data);
  else if (content_type)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Content-Type", content_type);

  send_s3_message (server, msg, answer);
}

static char *
asset_state (Fixture *fixture)
{
  return avatar_test_server_dup_asset_state (fixture->server, fixture->asset_key, NULL);
}

static void
test_put_ok (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GBytes) png = avatar_test_make_png (40, 30);
  g_autofree char *md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, png);
  g_autofree char *etag = g_strdup_printf ("\"%s\"", md5);
  g_autofree char *state = NULL;
  g_auto(S3Answer) answer = { 0 };

  send_s3 (fixture->server, "PUT", fixture->upload_url, "image/png", png, &answer);
  g_assert_cmpuint (answer.status, ==, 200);
  g_assert_cmpstr (answer.etag, ==, etag);

  state = avatar_test_server_wait_processed (fixture->server, fixture->asset_key);
  g_assert_cmpstr (state, ==, "ready");
}

static char *
presign (AvatarTestServer   *server,
         const char         *method,
         const char         *path,
         const char         *content_type,
         GDateTime          *when,
         guint               expires)
{
  AvatarSigv4Credentials credentials = { server->access_key, server->secret_key, server->region, "s3" };
  const char *extra[] = { "content-type", content_type, NULL };
  const char *host = server->base_url + strlen ("http://");

  return avatar_sigv4_presign_url (&credentials, method, server->base_url, host, path,
                                   content_type ? extra : NULL, when, expires);
}

static char *
object_path (AvatarTestServer *server,
             const char       *user_id,
             const char       *key)
{
  return g_strdup_printf ("/s3/%s/avatars/%s/%s", server->bucket, user_id, key);
}

/* A URL signed independently of the server, as an AWS SDK would sign it
 * with the same key, secret, bucket, region and path, is accepted. */
static void
test_independently_signed (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *path = object_path (fixture->server, fixture->server->user_id, fixture->asset_key);
  g_autofree char *url = presign (fixture->server, "PUT", path, "image/png", now, 3600);
  g_autoptr(GBytes) png = avatar_test_make_png (20, 20);
  g_auto(S3Answer) answer = { 0 };

  send_s3 (fixture->server, "PUT", url, "image/png", png, &answer);
  g_assert_cmpuint (answer.status, ==, 200);
}

static void
assert_refused (Fixture    *fixture,
                S3Answer   *answer,
                guint       status,
                const char *code)
{
  g_autofree char *state = asset_state (fixture);

  g_assert_cmpuint (answer->status, ==, status);
  g_assert_cmpstr (answer->code, ==, code);
  g_assert_nonnull (answer->message);
  /* Nothing was stored. */
  g_assert_cmpstr (state, ==, "pending");
}

static void
test_expired (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) earlier = g_date_time_add_minutes (now, -11);
  g_autofree char *path = object_path (fixture->server, fixture->server->user_id, fixture->asset_key);
  g_autofree char *url = presign (fixture->server, "PUT", path, "image/png", earlier, 600);
  g_autoptr(GBytes) png = avatar_test_make_png (20, 20);
  g_auto(S3Answer) answer = { 0 };

  send_s3 (fixture->server, "PUT", url, "image/png", png, &answer);
  assert_refused (fixture, &answer, 403, "AccessDenied");
  g_assert_cmpstr (answer.message, ==, "Request has expired");
}

static void
test_tampered (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GBytes) png = avatar_test_make_png (20, 20);
  g_autofree char *url = g_strdup (fixture->upload_url);
  g_autofree char *longer = NULL;
  char *expires;
  char *signature = strstr (url, "X-Amz-Signature=") + strlen ("X-Amz-Signature=");
  g_auto(S3Answer) tampered = { 0 };
  g_auto(S3Answer) extended = { 0 };

  signature[0] = signature[0] == 'a' ? 'b' : 'a';
  send_s3 (fixture->server, "PUT", url, "image/png", png, &tampered);
  assert_refused (fixture, &tampered, 403, "SignatureDoesNotMatch");

  /* Stretching the expiry breaks the signature too. */
  longer = g_strdup (fixture->upload_url);
  expires = strstr (longer, "X-Amz-Expires=600");
  g_assert_nonnull (expires);
  memcpy (expires, "X-Amz-Expires=900", strlen ("X-Amz-Expires=900"));
  send_s3 (fixture->server, "PUT", longer, "image/png", png, &extended);
  assert_refused (fixture, &extended, 403, "SignatureDoesNotMatch");
}

static void
test_wrong_method (Fixture       *fixture,
                   gconstpointer  data)
{
  const char * const methods[] = { "GET", "POST", "DELETE", "HEAD" };
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *path = object_path (fixture->server, fixture->server->user_id, fixture->asset_key);
  g_autofree char *get_url = presign (fixture->server, "GET", path, NULL, now, 600);
  g_auto(S3Answer) signed_get = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_auto(S3Answer) answer = { 0 };

      send_s3 (fixture->server, methods[i], fixture->upload_url, NULL, NULL, &answer);
      g_assert_cmpuint (answer.status, ==, 405);
      if (g_strcmp0 (methods[i], "HEAD") != 0)
        g_assert_cmpstr (answer.code, ==, "MethodNotAllowed");
    }

  /* Even a correctly signed GET cannot read an object back. */
  send_s3 (fixture->server, "GET", get_url, NULL, NULL, &signed_get);
  g_assert_cmpuint (signed_get.status, ==, 405);
}

static void
test_wrong_content_type (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GBytes) png = avatar_test_make_png (20, 20);
  g_auto(S3Answer) answer = { 0 };

  send_s3 (fixture->server, "PUT", fixture->upload_url, "image/jpeg", png, &answer);
  assert_refused (fixture, &answer, 403, "SignatureDoesNotMatch");
}

static void
test_missing_header (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GBytes) png = avatar_test_make_png (20, 20);
  g_autofree char *no_signature = g_strdup (fixture->upload_url);
  g_auto(S3Answer) no_type = { 0 };
  g_auto(S3Answer) unsigned_url = { 0 };
  g_auto(S3Answer) bare = { 0 };
  g_autofree char *bare_url = g_strndup (fixture->upload_url, strchr (fixture->upload_url, '?') - fixture->upload_url);

  {
    g_autoptr(SoupMessage) msg = soup_message_new ("PUT", fixture->upload_url);
    g_autoptr(GBytes) body = NULL;

    soup_message_set_request_body_from_bytes (msg, NULL, png);
    soup_message_headers_remove (soup_message_get_request_headers (msg), "Content-Type");
    body = avatar_test_server_send (fixture->server, msg);
    no_type.status = soup_message_get_status (msg);
    g_autofree char *text = g_strndup (g_bytes_get_size (body) ? g_bytes_get_data (body, NULL) : "", g_bytes_get_size (body));

    no_type.code = xml_element (text, "Code");
    no_type.message = g_strdup ("-");
  }
  assert_refused (fixture, &no_type, 403, "SignatureDoesNotMatch");

  *strstr (no_signature, "&X-Amz-Signature=") = '\0';
  send_s3 (fixture->server, "PUT", no_signature, "image/png", png, &unsigned_url);
  assert_refused (fixture, &unsigned_url, 400, "AuthorizationQueryParametersError");

  send_s3 (fixture->server, "PUT", bare_url, "image/png", png, &bare);
  assert_refused (fixture, &bare, 400, "AuthorizationQueryParametersError");
}

static void
test_other_user (Fixture       *fixture,
                 gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autofree char *bob_token = NULL, *bob_id = NULL;
  g_autofree char *bob_url = NULL, *bob_key = NULL, *bob_cdn = NULL;
  g_autofree char *moved = NULL, *bob_state = NULL, *crafted_path = NULL, *crafted_url = NULL;
  g_autofree char *bob_avatar = NULL, *own_avatar = NULL;
  g_autoptr(GBytes) png = avatar_test_make_png (20, 20);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(JsonNode) confirm = NULL;
  g_autoptr(JsonNode) profile = NULL;
  g_auto(S3Answer) to_bob = { 0 };
  g_auto(S3Answer) crafted = { 0 };
  g_auto(S3Answer) bob_put = { 0 };
  GString *rewritten;

  avatar_test_server_login (server, "bob_b", &bob_token, NULL, &bob_id);
  bob_url = avatar_test_server_request_upload (server, bob_token, "image/png", &bob_key, &bob_cdn);

  /* The demo user's URL pointed at Bob's object no longer verifies. */
  rewritten = g_string_new (fixture->upload_url);
  g_string_replace (rewritten, server->user_id, bob_id, 1);
  g_string_replace (rewritten, fixture->asset_key, bob_key, 1);
  moved = g_string_free (rewritten, FALSE);
  send_s3 (server, "PUT", moved, "image/png", png, &to_bob);
  g_assert_cmpuint (to_bob.status, ==, 403);
  g_assert_cmpstr (to_bob.code, ==, "SignatureDoesNotMatch");

  /* Bob's asset key under the demo user's path is not an upload anyone asked for. */
  crafted_path = object_path (server, server->user_id, bob_key);
  crafted_url = presign (server, "PUT", crafted_path, "image/png", now, 600);
  send_s3 (server, "PUT", crafted_url, "image/png", png, &crafted);
  g_assert_cmpuint (crafted.status, ==, 403);
  g_assert_cmpstr (crafted.code, ==, "AccessDenied");

  bob_state = avatar_test_server_dup_asset_state (server, bob_key, NULL);
  g_assert_cmpstr (bob_state, ==, "pending");

  /* Once Bob uploaded, the demo user cannot confirm (promote) it. */
  send_s3 (server, "PUT", bob_url, "image/png", png, &bob_put);
  g_assert_cmpuint (bob_put.status, ==, 200);
  g_clear_pointer (&bob_state, g_free);
  bob_state = avatar_test_server_wait_processed (server, bob_key);
  g_assert_cmpstr (bob_state, ==, "ready");
  g_assert_cmpuint (avatar_test_server_call (server, "PATCH", "/users/me", "{\"confirmAvatar\": true}", &confirm), ==, 400);
  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/users/me", NULL, &profile), ==, 200);
  g_assert_true (json_object_get_null_member (json_node_get_object (profile), "avatarUrl"));

  /* Nor read it under the demo user's path; Bob's own address serves it. */
  {
    g_autofree char *under_demo = g_strdup_printf ("%s/avatars/%s/%s/original.webp",
                                                   server->cdn_base_url, server->user_id, bob_key);
    g_autoptr(GBytes) body = NULL;

    g_assert_cmpuint (avatar_test_server_fetch (server, under_demo, &body), ==, 404);
    g_clear_pointer (&body, g_bytes_unref);
    g_assert_cmpuint (avatar_test_server_fetch (server, bob_cdn, &body), ==, 200);
  }
}

static void
test_too_large (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GUri) uri = g_uri_parse (fixture->upload_url, G_URI_FLAGS_ENCODED, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  g_autofree char *state = NULL;
  char response[4096] = { 0 };
  gsize got = 0;
  GInputStream *in;

  connection = g_socket_client_connect_to_host (client, g_uri_get_host (uri), g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);

  /* Only the headers, asking whether to go on: the answer must come
   * before any of the body. */
  request = g_strdup_printf ("PUT %s?%s HTTP/1.1\r\n"
                             "Host: %s:%d\r\n"
                             "Content-Type: image/png\r\n"
                             "Expect: 100-continue\r\n"
                             "Content-Length: 5242881\r\n"
                             "\r\n",
                             g_uri_get_path (uri), g_uri_get_query (uri),
                             g_uri_get_host (uri), g_uri_get_port (uri));
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);

  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while (got < sizeof response - 1 && !strstr (response, "</Error>"))
    {
      gssize n = g_input_stream_read (in, response + got, sizeof response - 1 - got, NULL, &error);

      g_assert_no_error (error);
      if (n <= 0)
        break;
      got += (gsize) n;
    }

  g_assert_true (g_str_has_prefix (response, "HTTP/1.1 400"));
  g_assert_nonnull (strstr (response, "<Code>EntityTooLarge</Code>"));
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  state = asset_state (fixture);
  g_assert_cmpstr (state, ==, "pending");
}

static void
test_limit_with_body (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GBytes) too_big = g_bytes_new_take (g_malloc0 (5242881), 5242881);
  g_autoptr(SoupMessage) msg = soup_message_new ("PUT", fixture->upload_url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;

  soup_message_set_request_body_from_bytes (msg, "image/png", too_big);
  body = soup_session_send_and_read (fixture->server->session, msg, NULL, &error);

  /* Either the early 400 arrives, or the server closed the connection
   * while the client was still writing; never a success. */
  if (error == NULL)
    g_assert_cmpuint (soup_message_get_status (msg), ==, 400);

  state = asset_state (fixture);
  g_assert_cmpstr (state, ==, "pending");
}

static void
test_empty_and_chunked (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) png = avatar_test_make_png (20, 20);
  g_autoptr(SoupMessage) chunked = soup_message_new ("PUT", fixture->upload_url);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (png);
  g_auto(S3Answer) answer = { 0 };
  g_auto(S3Answer) unframed = { 0 };

  send_s3 (fixture->server, "PUT", fixture->upload_url, "image/png", empty, &answer);
  assert_refused (fixture, &answer, 400, "EntityTooSmall");

  /* S3 wants to know the length up front. */
  soup_message_set_request_body (chunked, "image/png", stream, -1);
  send_s3_message (fixture->server, chunked, &unframed);
  assert_refused (fixture, &unframed, 411, "MissingContentLength");
}

/* S3 refuses a signing parameter given twice rather than pick one. */
static void
test_duplicate_signature (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GBytes) png = avatar_test_make_png (20, 20);
  g_autofree char *twice = NULL;
  const char *signature = strstr (fixture->upload_url, "&X-Amz-Signature=");
  g_auto(S3Answer) answer = { 0 };

  /* The valid signature last, after a wrong one. */
  g_assert_nonnull (signature);
  twice = g_strdup_printf ("%.*s&X-Amz-Signature=%064d%s",
                           (int) (signature - fixture->upload_url), fixture->upload_url, 0, signature);
  send_s3 (fixture->server, "PUT", twice, "image/png", png, &answer);
  assert_refused (fixture, &answer, 400, "AuthorizationQueryParametersError");
}

static GBytes *
make_jpeg (int width,
           int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, 0x3366ccff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &data, &len, "jpeg", &error, NULL));
  g_assert_no_error (error);

  return g_bytes_new_take (data, len);
}

typedef struct
{
  GBytes *bodies[5];
  char   *avatar_url;
} Published;

static void
published_clear (Published *published)
{
  for (guint i = 0; i < G_N_ELEMENTS (published->bodies); i++)
    g_clear_pointer (&published->bodies[i], g_bytes_unref);
  g_clear_pointer (&published->avatar_url, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Published, published_clear)

/* What the CDN serves for the fixture's asset, and the user's avatar. */
static void
read_published (Fixture   *fixture,
                Published *published)
{
  const char * const names[] = { "44.webp", "48.webp", "60.webp", "original.webp", "raw" };
  g_autofree char *base = g_strndup (fixture->cdn_url, strlen (fixture->cdn_url) - strlen ("original.webp"));
  g_autoptr(JsonNode) profile = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *url = g_strconcat (base, names[i], NULL);

      g_assert_cmpuint (avatar_test_server_fetch (fixture->server, url, &published->bodies[i]), ==, 200);
    }

  g_assert_cmpuint (avatar_test_server_call (fixture->server, "GET", "/users/me", NULL, &profile), ==, 200);
  published->avatar_url = g_strdup (json_object_get_string_member (json_node_get_object (profile), "avatarUrl"));
}

/* A used upload URL replayed with other bytes, of the signed type or of
 * another, is refused as S3 refuses a conditional write, and what the CDN
 * serves as immutable stays as it was. */
static void
test_write_once (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GBytes) first = avatar_test_make_png (40, 30);
  g_autoptr(GBytes) other_png = avatar_test_make_png (64, 64);
  g_autoptr(GBytes) jpeg = make_jpeg (32, 32);
  g_autofree char *state = NULL;
  g_autofree char *reason = NULL;
  g_auto(S3Answer) stored = { 0 };
  g_auto(S3Answer) same_type = { 0 };
  g_auto(S3Answer) other_type = { 0 };
  g_auto(S3Answer) same_bytes = { 0 };
  g_auto(Published) before = { 0 };
  g_auto(Published) after = { 0 };

  send_s3 (fixture->server, "PUT", fixture->upload_url, "image/png", first, &stored);
  g_assert_cmpuint (stored.status, ==, 200);
  state = avatar_test_server_wait_processed (fixture->server, fixture->asset_key);
  g_assert_cmpstr (state, ==, "ready");
  read_published (fixture, &before);
  g_assert_cmpstr (before.avatar_url, ==, fixture->cdn_url);

  send_s3 (fixture->server, "PUT", fixture->upload_url, "image/png", other_png, &same_type);
  g_assert_cmpuint (same_type.status, ==, 412);
  g_assert_cmpstr (same_type.code, ==, "PreconditionFailed");
  g_assert_null (same_type.etag);

  send_s3 (fixture->server, "PUT", fixture->upload_url, "image/png", jpeg, &other_type);
  g_assert_cmpuint (other_type.status, ==, 412);
  g_assert_cmpstr (other_type.code, ==, "PreconditionFailed");

  /* Not even the same bytes again: the object is there already. */
  send_s3 (fixture->server, "PUT", fixture->upload_url, "image/png", first, &same_bytes);
  g_assert_cmpuint (same_bytes.status, ==, 412);

  g_free (state);
  state = avatar_test_server_dup_asset_state (fixture->server, fixture->asset_key, &reason);
  g_assert_cmpstr (state, ==, "ready");
  g_assert_null (reason);
  read_published (fixture, &after);
  g_assert_cmpstr (after.avatar_url, ==, before.avatar_url);
  for (guint i = 0; i < G_N_ELEMENTS (before.bodies); i++)
    g_assert_true (g_bytes_equal (before.bodies[i], after.bodies[i]));
}

/* A second PUT while the first one's processing has not even started is
 * refused too, and the first upload is processed as it was sent. */
static void
test_write_once_while_processing (void)
{
  const char * const args[] = { "--processing-delay-ms", "60000", NULL };
  g_autoptr(AvatarTestServer) server = avatar_test_server_start (args);
  g_autoptr(GBytes) first = avatar_test_make_png (40, 30);
  g_autoptr(GBytes) second = avatar_test_make_png (50, 50);
  g_autofree char *upload_url = NULL;
  g_autofree char *asset_key = NULL;
  g_autofree char *state = NULL;
  g_auto(S3Answer) stored = { 0 };
  g_auto(S3Answer) again = { 0 };

  upload_url = avatar_test_server_request_upload (server, NULL, "image/png", &asset_key, NULL);
  send_s3 (server, "PUT", upload_url, "image/png", first, &stored);
  g_assert_cmpuint (stored.status, ==, 200);
  send_s3 (server, "PUT", upload_url, "image/png", second, &again);
  g_assert_cmpuint (again.status, ==, 412);
  g_assert_cmpstr (again.code, ==, "PreconditionFailed");

  state = avatar_test_server_dup_asset_state (server, asset_key, NULL);
  g_assert_cmpstr (state, ==, "processing");
}

/* The API token must never travel to the storage endpoint. */
static void
test_authorization_header (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GBytes) png = avatar_test_make_png (20, 20);
  g_autoptr(SoupMessage) msg = soup_message_new ("PUT", fixture->upload_url);
  g_autofree char *bearer = g_strconcat ("Bearer ", fixture->server->access_token, NULL);
  g_auto(S3Answer) answer = { 0 };

  soup_message_set_request_body_from_bytes (msg, "image/png", png);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  send_s3_message (fixture->server, msg, &answer);
  assert_refused (fixture, &answer, 400, "InvalidArgument");
}

static void
test_wrong_bucket (Fixture       *fixture,
                   gconstpointer  data)
{
  GString *url = g_string_new (fixture->upload_url);
  g_autofree char *from = g_strdup_printf ("/s3/%s/", fixture->server->bucket);
  g_autofree char *other = NULL;
  g_autoptr(GBytes) png = avatar_test_make_png (20, 20);
  g_auto(S3Answer) answer = { 0 };

  g_string_replace (url, from, "/s3/nobucket/", 1);
  other = g_string_free (url, FALSE);
  send_s3 (fixture->server, "PUT", other, "image/png", png, &answer);
  g_assert_cmpuint (answer.status, ==, 404);
  g_assert_cmpstr (answer.code, ==, "NoSuchBucket");
}

/* --access-key, --secret-key, --bucket and --region: the ready line tells
 * them, the server signs with them, and verifies with them only. */
static void
test_custom_storage (void)
{
  const char * const args[] = {
    "--access-key", "AKIACUSTOMEXAMPLE", "--secret-key", "custom/secret/EXAMPLE",
    "--bucket", "pictures", "--region", "eu-west-1", NULL
  };
  g_autoptr(AvatarTestServer) server = avatar_test_server_start (args);
  g_autofree char *upload_url = NULL, *asset_key = NULL, *path = NULL, *expected = NULL;
  g_autofree char *forged = NULL, *own = NULL, *state = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GBytes) png = avatar_test_make_png (20, 20);
  AvatarSigv4Credentials wrong_secret = { "AKIACUSTOMEXAMPLE", "devserver/secret/EXAMPLEKEY", "eu-west-1", "s3" };
  const char *extra[] = { "content-type", "image/png", NULL };
  g_auto(S3Answer) refused = { 0 };
  g_auto(S3Answer) accepted = { 0 };

  g_assert_cmpstr (server->access_key, ==, "AKIACUSTOMEXAMPLE");
  g_assert_cmpstr (server->secret_key, ==, "custom/secret/EXAMPLE");
  g_assert_cmpstr (server->bucket, ==, "pictures");
  g_assert_cmpstr (server->region, ==, "eu-west-1");

  upload_url = avatar_test_server_request_upload (server, NULL, "image/png", &asset_key, NULL);
  path = object_path (server, server->user_id, asset_key);
  expected = g_strconcat (server->base_url, path, "?", NULL);
  g_assert_true (g_str_has_prefix (upload_url, expected));
  g_assert_nonnull (strstr (upload_url, "X-Amz-Credential=AKIACUSTOMEXAMPLE%2F"));
  g_assert_nonnull (strstr (upload_url, "%2Feu-west-1%2Fs3%2Faws4_request"));

  /* Signed with another secret: refused. */
  forged = avatar_sigv4_presign_url (&wrong_secret, "PUT", server->base_url,
                                     server->base_url + strlen ("http://"), path, extra, now, 600);
  send_s3 (server, "PUT", forged, "image/png", png, &refused);
  g_assert_cmpuint (refused.status, ==, 403);
  g_assert_cmpstr (refused.code, ==, "SignatureDoesNotMatch");

  /* Signed independently with the configured ones: stored. */
  own = presign (server, "PUT", path, "image/png", now, 600);
  send_s3 (server, "PUT", own, "image/png", png, &accepted);
  g_assert_cmpuint (accepted.status, ==, 200);
  state = avatar_test_server_wait_processed (server, asset_key);
  g_assert_cmpstr (state, ==, "ready");
}

static guint
cdn_get (AvatarTestServer  *server,
         const char        *url,
         const char        *if_none_match,
         SoupMessage      **out_msg)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  if (msg == NULL)
    return 0;
  if (if_none_match)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "If-None-Match", if_none_match);

  return avatar_test_server_send_for_status (server, msg, out_msg);
}

static void
test_cdn (Fixture       *fixture,
          gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(GBytes) png = avatar_test_make_png (40, 40);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(SoupMessage) cached = NULL;
  g_autofree char *state = NULL;
  g_autofree char *base = g_strndup (fixture->cdn_url, strlen (fixture->cdn_url) - strlen ("original.webp"));
  g_auto(S3Answer) answer = { 0 };
  SoupMessageHeaders *headers;
  const char *etag;
  const char * const variants[] = { "44.webp", "48.webp", "60.webp", "original.webp", "raw" };

  /* Nothing is served before processing. */
  g_assert_cmpuint (cdn_get (server, fixture->cdn_url, NULL, NULL), ==, 404);

  send_s3 (server, "PUT", fixture->upload_url, "image/png", png, &answer);
  g_assert_cmpuint (answer.status, ==, 200);
  state = avatar_test_server_wait_processed (server, fixture->asset_key);
  g_assert_cmpstr (state, ==, "ready");

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *url = g_strconcat (base, variants[i], NULL);
      g_autoptr(SoupMessage) variant = NULL;
      g_autofree char *length = NULL;

      g_assert_cmpuint (cdn_get (server, url, NULL, &variant), ==, 200);
      headers = soup_message_get_response_headers (variant);
      g_assert_cmpstr (soup_message_headers_get_one (headers, "Cache-Control"), ==,
                       "public, max-age=31536000, immutable");
      g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==,
                       i == 4 ? "image/png" : "image/webp");
      g_assert_true (g_str_has_prefix (soup_message_headers_get_one (headers, "ETag"), "\""));
      g_assert_cmpint (soup_message_headers_get_content_length (headers), >, 0);
    }

  /* HEAD tells raw's type and length without its body, as clients check it. */
  {
    g_autofree char *raw_url = g_strconcat (base, "raw", NULL);
    g_autoptr(SoupMessage) head = soup_message_new ("HEAD", raw_url);
    g_autoptr(GBytes) body = avatar_test_server_send (server, head);

    headers = soup_message_get_response_headers (head);
    g_assert_cmpuint (soup_message_get_status (head), ==, 200);
    g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "image/png");
    g_assert_cmpint (soup_message_headers_get_content_length (headers), ==, g_bytes_get_size (png));
    g_assert_true (body == NULL || g_bytes_get_size (body) == 0);
  }

  g_assert_cmpuint (cdn_get (server, fixture->cdn_url, NULL, &msg), ==, 200);
  etag = soup_message_headers_get_one (soup_message_get_response_headers (msg), "ETag");
  g_assert_cmpuint (cdn_get (server, fixture->cdn_url, etag, &cached), ==, 304);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (cached), "ETag"), ==, etag);
  g_assert_cmpuint (cdn_get (server, fixture->cdn_url, "\"something-else\"", NULL), ==, 200);
}

static void
test_cdn_not_found (Fixture       *fixture,
                    gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(GBytes) png = avatar_test_make_png (40, 40);
  g_autofree char *state = NULL;
  g_autofree char *base = g_strndup (fixture->cdn_url, strlen (fixture->cdn_url) - strlen ("original.webp"));
  g_auto(S3Answer) answer = { 0 };
  const char * const bad_suffixes[] = {
    "100.webp", "raw.part", "", "../raw", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/avatar.db",
    "..%2f..%2f..%2f..%2favatar.db", "44.webp/extra",
  };
  const char * const bad_paths[] = {
    "/cdn/avatar.db", "/cdn/avatars/", "/cdn/avatars/x/y/44.webp", "/cdn/../avatar.db",
    "/cdn/avatars/%2e%2e/%2e%2e/avatar.db/x",
  };

  send_s3 (server, "PUT", fixture->upload_url, "image/png", png, &answer);
  state = avatar_test_server_wait_processed (server, fixture->asset_key);
  g_assert_cmpstr (state, ==, "ready");

  for (guint i = 0; i < G_N_ELEMENTS (bad_suffixes); i++)
    {
      g_autofree char *url = g_strconcat (base, bad_suffixes[i], NULL);
      guint status = cdn_get (server, url, NULL, NULL);

      /* libsoup itself refuses some malformed paths with 400. */
      g_assert_true (status == 404 || status == 400);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad_paths); i++)
    {
      g_autofree char *url = g_strconcat (server->base_url, bad_paths[i], NULL);
      guint status = cdn_get (server, url, NULL, NULL);

      g_assert_true (status == 404 || status == 400);
    }

  /* The right asset under another user's id is not served either. */
  {
    g_autofree char *url = g_strdup_printf ("%s/avatars/u_0000000000000000/%s/44.webp",
                                            server->cdn_base_url, fixture->asset_key);

    g_assert_cmpuint (cdn_get (server, url, NULL, NULL), ==, 404);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, fn) g_test_add ("/devserver/s3/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("put-ok", test_put_ok);
  ADD ("independently-signed", test_independently_signed);
  ADD ("expired", test_expired);
  ADD ("tampered", test_tampered);
  ADD ("wrong-method", test_wrong_method);
  ADD ("wrong-content-type", test_wrong_content_type);
  ADD ("missing-header", test_missing_header);
  ADD ("other-user", test_other_user);
  ADD ("too-large", test_too_large);
  ADD ("too-large-with-body", test_limit_with_body);
  ADD ("empty-and-chunked", test_empty_and_chunked);
  ADD ("authorization-header", test_authorization_header);
  ADD ("wrong-bucket", test_wrong_bucket);
  ADD ("duplicate-signature", test_duplicate_signature);
  ADD ("write-once", test_write_once);
  g_test_add_func ("/devserver/s3/write-once-while-processing", test_write_once_while_processing);
  g_test_add_func ("/devserver/s3/custom-storage", test_custom_storage);
  ADD ("cdn", test_cdn);
  ADD ("cdn-not-found", test_cdn_not_found);
#undef ADD

  return g_test_run ();
}
