/* test-devserver-cdn.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The CDN: what it serves of a processed upload, how clients may cache it,
 * and what it never serves. */

#include "config.h"

#include <string.h>

#include "avatar-test-server.h"

/* PUTs @png to the presigned @upload_url; returns the status. */
static guint
put_png (AvatarTestServer *server,
         const char       *upload_url,
         GBytes           *png)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("PUT", upload_url);

  soup_message_set_request_body_from_bytes (msg, "image/png", png);

  return avatar_test_server_send_for_status (server, msg, NULL);
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
test_cdn (AvatarTestServerFixture *fixture,
          gconstpointer            data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(GBytes) png = avatar_test_make_png (40, 40);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(SoupMessage) cached = NULL;
  g_autofree char *asset_key = NULL;
  g_autofree char *cdn_url = NULL;
  g_autofree char *upload_url = avatar_test_server_request_upload (server, NULL, "image/png", &asset_key, &cdn_url);
  g_autofree char *state = NULL;
  g_autofree char *base = g_strndup (cdn_url, strlen (cdn_url) - strlen ("original.webp"));
  SoupMessageHeaders *headers;
  const char *etag;
  const char * const variants[] = { "44.webp", "48.webp", "60.webp", "original.webp", "raw" };

  /* Nothing is served before processing. */
  g_assert_cmpuint (cdn_get (server, cdn_url, NULL, NULL), ==, 404);

  g_assert_cmpuint (put_png (server, upload_url, png), ==, 200);
  state = avatar_test_server_wait_processed (server, asset_key);
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

  g_assert_cmpuint (cdn_get (server, cdn_url, NULL, &msg), ==, 200);
  etag = soup_message_headers_get_one (soup_message_get_response_headers (msg), "ETag");
  g_assert_cmpuint (cdn_get (server, cdn_url, etag, &cached), ==, 304);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (cached), "ETag"), ==, etag);
  g_assert_cmpuint (cdn_get (server, cdn_url, "\"something-else\"", NULL), ==, 200);
}

static void
test_cdn_not_found (AvatarTestServerFixture *fixture,
                    gconstpointer            data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(GBytes) png = avatar_test_make_png (40, 40);
  g_autofree char *asset_key = NULL;
  g_autofree char *cdn_url = NULL;
  g_autofree char *upload_url = avatar_test_server_request_upload (server, NULL, "image/png", &asset_key, &cdn_url);
  g_autofree char *state = NULL;
  g_autofree char *base = g_strndup (cdn_url, strlen (cdn_url) - strlen ("original.webp"));
  const char * const bad_suffixes[] = {
    "100.webp", "raw.part", "", "../raw", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/avatar.db",
    "..%2f..%2f..%2f..%2favatar.db", "44.webp/extra",
  };
  const char * const bad_paths[] = {
    "/cdn/avatar.db", "/cdn/avatars/", "/cdn/avatars/x/y/44.webp", "/cdn/../avatar.db",
    "/cdn/avatars/%2e%2e/%2e%2e/avatar.db/x",
  };

  put_png (server, upload_url, png);
  state = avatar_test_server_wait_processed (server, asset_key);
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
                                            server->cdn_base_url, asset_key);

    g_assert_cmpuint (cdn_get (server, url, NULL, NULL), ==, 404);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, fn) g_test_add ("/devserver/s3/" name, AvatarTestServerFixture, NULL, \
                                  avatar_test_server_fixture_setup, fn, avatar_test_server_fixture_teardown)
  ADD ("cdn", test_cdn);
  ADD ("cdn-not-found", test_cdn_not_found);
#undef ADD

  return g_test_run ();
}
