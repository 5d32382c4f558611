/* test-devserver-processing.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What happens after an upload: the variants, orientation, filtering,
 * failures, promotion order and many clients at once. */

#include "config.h"

#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#ifdef HAVE_WEBPMUX
#include <webp/encode.h>
#include <webp/mux.h>
#endif

#include "avatar-test-server.h"

#define N_CLIENTS 20

typedef AvatarTestServerFixture Fixture;

static GdkPixbuf *
decode (GBytes *bytes)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GError) error = NULL;

  gdk_pixbuf_loader_write_bytes (loader, bytes, &error);
  g_assert_no_error (error);
  gdk_pixbuf_loader_close (loader, &error);
  g_assert_no_error (error);

  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

static char *
variant_url (const char *cdn_url,
             const char *variant)
{
  g_autofree char *base = g_strndup (cdn_url, strlen (cdn_url) - strlen ("original.webp"));

  return g_strconcat (base, variant, NULL);
}

static GdkPixbuf *
fetch_variant (AvatarTestServer *server,
               const char       *cdn_url,
               const char       *variant)
{
  g_autofree char *url = variant_url (cdn_url, variant);
  g_autoptr(GBytes) body = NULL;

  g_assert_cmpuint (avatar_test_server_fetch (server, url, &body), ==, 200);

  return decode (body);
}

static char *
upload_and_wait (AvatarTestServer  *server,
                 const char        *content_type,
                 GBytes            *data,
                 char             **cdn_url)
{
  g_autofree char *key = NULL;
  g_autofree char *state = NULL;

  g_assert_cmpuint (avatar_test_server_upload (server, NULL, content_type, data, &key, cdn_url), ==, 200);
  state = avatar_test_server_wait_processed (server, key);
  g_assert_cmpstr (state, ==, "ready");

  return g_steal_pointer (&key);
}

static char *
dup_avatar_url (AvatarTestServer *server)
{
  g_autoptr(JsonNode) body = NULL;

  g_assert_cmpuint (avatar_test_server_call (server, "GET", "/users/me", NULL, &body), ==, 200);

  return g_strdup (json_object_get_string_member_with_default (json_node_get_object (body), "avatarUrl", NULL));
}

static void
get_pixel (GdkPixbuf *pixbuf,
           int        x,
           int        y,
           guint8     rgb[3])
{
  const guint8 *p = gdk_pixbuf_read_pixels (pixbuf) + y * gdk_pixbuf_get_rowstride (pixbuf) +
                    x * gdk_pixbuf_get_n_channels (pixbuf);

  memcpy (rgb, p, 3);
}

static void
assert_colour (GdkPixbuf *pixbuf,
               int        x,
               int        y,
               int        r,
               int        g,
               int        b)
{
  guint8 rgb[3];

  get_pixel (pixbuf, x, y, rgb);
  g_assert_cmpint (ABS (rgb[0] - r), <, 40);
  g_assert_cmpint (ABS (rgb[1] - g), <, 40);
  g_assert_cmpint (ABS (rgb[2] - b), <, 40);
}

static void
test_variants (Fixture       *fixture,
               gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(GBytes) png = avatar_test_make_png (640, 480);
  g_autofree char *cdn_url = NULL;
  g_autofree char *key = upload_and_wait (server, "image/png", png, &cdn_url);
  g_autofree char *avatar_url = dup_avatar_url (server);
  g_autofree char *raw_url = variant_url (cdn_url, "raw");
  g_autoptr(GdkPixbuf) original = fetch_variant (server, cdn_url, "original.webp");
  g_autoptr(GBytes) raw = NULL;
  const int sizes[] = { 44, 48, 60 };

  g_assert_cmpstr (avatar_url, ==, cdn_url);

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *name = g_strdup_printf ("%d.webp", sizes[i]);
      g_autoptr(GdkPixbuf) square = fetch_variant (server, cdn_url, name);

      g_assert_cmpint (gdk_pixbuf_get_width (square), ==, sizes[i]);
      g_assert_cmpint (gdk_pixbuf_get_height (square), ==, sizes[i]);
    }

  g_assert_cmpint (gdk_pixbuf_get_width (original), ==, 640);
  g_assert_cmpint (gdk_pixbuf_get_height (original), ==, 480);

  g_assert_cmpuint (avatar_test_server_fetch (server, raw_url, &raw), ==, 200);
  g_assert_true (g_bytes_equal (raw, png));
}

/* A square crop of a wide picture keeps its centre. */
static void
test_centre_crop (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GdkPixbuf) wide = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 300, 100);
  g_autoptr(GdkPixbuf) middle = gdk_pixbuf_new_subpixbuf (wide, 100, 0, 100, 100);
  g_autoptr(GdkPixbuf) square = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autofree char *cdn_url = NULL;
  g_autofree char *key = NULL;
  char *buffer;
  gsize len;

  gdk_pixbuf_fill (wide, 0xff0000ff);
  gdk_pixbuf_fill (middle, 0x00ff00ff);
  gdk_pixbuf_save_to_buffer (wide, &buffer, &len, "png", &error, NULL);
  g_assert_no_error (error);
  png = g_bytes_new_take (buffer, len);

  key = upload_and_wait (fixture->server, "image/png", png, &cdn_url);
  square = fetch_variant (fixture->server, cdn_url, "60.webp");
  assert_colour (square, 0, 0, 0, 255, 0);
  assert_colour (square, 59, 59, 0, 255, 0);
  assert_colour (square, 30, 30, 0, 255, 0);
}

/* Builds a JPEG whose pixels are stored sideways, with EXIF orientation 6
 * ("rotate 90° clockwise to show"): stored 64 × 32, left half red, right
 * half blue; shown upright it is 32 × 64, red on top. */
static GBytes *
make_rotated_jpeg (void)
{
  static const guint8 exif[] = {
    0xFF, 0xE1, 0x00, 0x22,
    'E', 'x', 'i', 'f', 0, 0,
    'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,
    0x00, 0x01,
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
  };
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 64, 32);
  g_autoptr(GdkPixbuf) right = gdk_pixbuf_new_subpixbuf (pixbuf, 32, 0, 32, 32);
  g_autoptr(GError) error = NULL;
  g_autofree char *jpeg = NULL;
  GByteArray *out = g_byte_array_new ();
  gsize len;

  gdk_pixbuf_fill (pixbuf, 0xff0000ff);
  gdk_pixbuf_fill (right, 0x0000ffff);
  gdk_pixbuf_save_to_buffer (pixbuf, &jpeg, &len, "jpeg", &error, "quality", "95", NULL);
  g_assert_no_error (error);

  g_assert_cmpuint ((guint8) jpeg[0], ==, 0xFF);
  g_byte_array_append (out, (const guint8 *) jpeg, 2);
  g_byte_array_append (out, exif, sizeof exif);
  g_byte_array_append (out, (const guint8 *) jpeg + 2, len - 2);

  return g_byte_array_free_to_bytes (out);
}

static void
test_exif_orientation (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GBytes) jpeg = make_rotated_jpeg ();
  g_autofree char *cdn_url = NULL;
  g_autofree char *key = upload_and_wait (fixture->server, "image/jpeg", jpeg, &cdn_url);
  g_autoptr(GdkPixbuf) original = fetch_variant (fixture->server, cdn_url, "original.webp");
  g_autoptr(GdkPixbuf) square = fetch_variant (fixture->server, cdn_url, "44.webp");
  g_autoptr(GBytes) raw = NULL;
  g_autofree char *raw_url = variant_url (cdn_url, "raw");

  g_assert_cmpint (gdk_pixbuf_get_width (original), ==, 32);
  g_assert_cmpint (gdk_pixbuf_get_height (original), ==, 64);
  assert_colour (original, 16, 4, 255, 0, 0);
  assert_colour (original, 16, 60, 0, 0, 255);

  /* The centre square straddles the seam: red above, blue below. */
  assert_colour (square, 22, 2, 255, 0, 0);
  assert_colour (square, 22, 41, 0, 0, 255);

  g_assert_cmpuint (avatar_test_server_fetch (fixture->server, raw_url, &raw), ==, 200);
  g_assert_true (g_bytes_equal (raw, jpeg));
}

/* A one-pixel checkerboard reduced 90 times must come out as even grey;
 * point sampling would give black and white blotches (aliasing). */
static void
test_no_aliasing (Fixture       *fixture,
                  gconstpointer  data)
{
  const int side = 4000;
  g_autoptr(GdkPixbuf) board = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, side, side);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autofree char *cdn_url = NULL;
  g_autofree char *key = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (board);
  int stride = gdk_pixbuf_get_rowstride (board);
  const char * const variants[] = { "44.webp", "48.webp", "60.webp" };
  char *buffer;
  gsize len;

  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++)
      memset (pixels + y * stride + x * 3, ((x + y) & 1) ? 255 : 0, 3);

  gdk_pixbuf_save_to_buffer (board, &buffer, &len, "png", &error, "compression", "1", NULL);
  g_assert_no_error (error);
  png = g_bytes_new_take (buffer, len);
  g_assert_cmpuint (len, <=, 5242880);

  key = upload_and_wait (fixture->server, "image/png", png, &cdn_url);

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autoptr(GdkPixbuf) small = fetch_variant (fixture->server, cdn_url, variants[i]);
      int size = gdk_pixbuf_get_width (small);

      for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
          {
            guint8 rgb[3];

            get_pixel (small, x, y, rgb);
            g_assert_cmpint (ABS (rgb[0] - 128), <, 24);
          }
    }
}

static void
assert_fails (AvatarTestServer *server,
              const char       *content_type,
              GBytes           *data,
              const char       *reason_part)
{
  g_autofree char *key = NULL, *cdn_url = NULL, *state = NULL, *reason = NULL;
  g_autofree char *small_url = NULL;

  g_assert_cmpuint (avatar_test_server_upload (server, NULL, content_type, data, &key, &cdn_url), ==, 200);
  g_free (avatar_test_server_wait_processed (server, key));
  state = avatar_test_server_dup_asset_state (server, key, &reason);
  g_assert_cmpstr (state, ==, "failed");
  g_assert_nonnull (reason);
  if (reason_part)
    g_assert_nonnull (strstr (reason, reason_part));

  small_url = variant_url (cdn_url, "44.webp");
  g_assert_cmpuint (avatar_test_server_fetch (server, small_url, NULL), ==, 404);
  g_assert_cmpuint (avatar_test_server_fetch (server, cdn_url, NULL), ==, 404);
}

static void
test_type_mismatch (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GBytes) png = avatar_test_make_png (30, 30);
  g_autofree char *avatar_url = NULL;

  assert_fails (fixture->server, "image/jpeg", png, "image/png");
  avatar_url = dup_avatar_url (fixture->server);
  g_assert_null (avatar_url);
}

static void
test_undecodable (Fixture       *fixture,
                  gconstpointer  data)
{
  static const char truncated_png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0garbage";
  static const char text[] = "just some text, not a picture";
  g_autoptr(GBytes) png = g_bytes_new_static (truncated_png, sizeof truncated_png - 1);
  g_autoptr(GBytes) plain = g_bytes_new_static (text, sizeof text - 1);
  g_autoptr(GBytes) whole = avatar_test_make_png (64, 64);
  /* gdk-pixbuf decodes a PNG cut off in its pixel data without a word; the
   * missing end of the file must still fail it. */
  g_autoptr(GBytes) cut = g_bytes_new_from_bytes (whole, 0, 100);
  g_autofree char *avatar_url = NULL;

  assert_fails (fixture->server, "image/png", png, NULL);
  assert_fails (fixture->server, "image/png", cut, NULL);
  assert_fails (fixture->server, "image/gif", plain, NULL);
  avatar_url = dup_avatar_url (fixture->server);
  g_assert_null (avatar_url);
}

static void
test_failed_not_promoted (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GBytes) png = avatar_test_make_png (30, 30);
  g_autoptr(GBytes) bad = g_bytes_new_static ("GIF89a\x01\0\x01\0", 10);
  g_autofree char *cdn_url = NULL;
  g_autofree char *key = upload_and_wait (fixture->server, "image/png", png, &cdn_url);
  g_autofree char *avatar_url = NULL;

  assert_fails (fixture->server, "image/gif", bad, NULL);
  avatar_url = dup_avatar_url (fixture->server);
  g_assert_cmpstr (avatar_url, ==, cdn_url);
}

/* The older upload finishes processing after the newer one and must not
 * replace it. */
static void
test_overlapping_uploads (Fixture       *fixture,
                          gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(GBytes) first = avatar_test_make_png (30, 30);
  g_autoptr(GBytes) second = avatar_test_make_png (40, 40);
  g_autofree char *old_key = NULL, *old_url = NULL, *new_key = NULL, *new_url = NULL;
  g_autofree char *state = NULL, *old_state = NULL, *avatar_url = NULL;

  avatar_test_server_set_fault (server, "{\"processingDelayMs\": 1500}");
  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", first, &old_key, &old_url), ==, 200);
  avatar_test_server_set_fault (server, "{\"processingDelayMs\": 0}");
  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", second, &new_key, &new_url), ==, 200);

  state = avatar_test_server_wait_processed (server, new_key);
  g_assert_cmpstr (state, ==, "ready");
  avatar_url = dup_avatar_url (server);
  g_assert_cmpstr (avatar_url, ==, new_url);

  old_state = avatar_test_server_wait_processed (server, old_key);
  g_assert_cmpstr (old_state, ==, "ready");
  g_clear_pointer (&avatar_url, g_free);
  avatar_url = dup_avatar_url (server);
  g_assert_cmpstr (avatar_url, ==, new_url);
}

/* A minimal animated GIF: two 8 × 8 frames, red then blue.  The LZW data
 * uses only 3-bit codes, with a clear code after every two pixels so the
 * code size never grows. */
static GBytes *
make_animated_gif (void)
{
  static const guint8 header[] = {
    'G', 'I', 'F', '8', '9', 'a', 8, 0, 8, 0, 0xF1, 0, 0,
    0xFF, 0x00, 0x00,  0x00, 0x00, 0xFF,  0x00, 0x00, 0x00,  0xFF, 0xFF, 0xFF,
    0x21, 0xFF, 0x0B, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0', 0x03, 0x01, 0x00, 0x00, 0x00,
  };
  GByteArray *out = g_byte_array_new ();

  g_byte_array_append (out, header, sizeof header);

  for (guint8 colour = 0; colour < 2; colour++)
    {
      static const guint8 control[] = { 0x21, 0xF9, 0x04, 0x00, 0x0A, 0x00, 0x00, 0x00 };
      static const guint8 descriptor[] = { 0x2C, 0, 0, 0, 0, 8, 0, 8, 0, 0x00, 0x02 };
      GByteArray *data = g_byte_array_new ();
      guint32 bits = 0;
      guint n_bits = 0;

      g_byte_array_append (out, control, sizeof control);
      g_byte_array_append (out, descriptor, sizeof descriptor);

      for (guint i = 0; i <= 64; i++)
        {
          guint codes[3];
          guint n_codes = 0;

          if (i == 64)
            codes[n_codes++] = 5;
          else
            {
              if (i % 2 == 0)
                codes[n_codes++] = 4;
              codes[n_codes++] = colour;
            }

          for (guint c = 0; c < n_codes; c++)
            {
              bits |= codes[c] << n_bits;
              n_bits += 3;
              while (n_bits >= 8)
                {
                  guint8 byte = bits & 0xFF;

                  g_byte_array_append (data, &byte, 1);
                  bits >>= 8;
                  n_bits -= 8;
                }
            }
        }
      if (n_bits > 0)
        {
          guint8 byte = bits & 0xFF;

          g_byte_array_append (data, &byte, 1);
        }

      g_assert_cmpuint (data->len, <, 255);
      {
        guint8 length = (guint8) data->len;
        guint8 end = 0;

        g_byte_array_append (out, &length, 1);
        g_byte_array_append (out, data->data, data->len);
        g_byte_array_append (out, &end, 1);
      }
      g_byte_array_unref (data);
    }

  g_byte_array_append (out, (const guint8 *) "\x3B", 1);

  return g_byte_array_free_to_bytes (out);
}

static void
assert_is_animation (GBytes *bytes)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GError) error = NULL;
  GdkPixbufAnimation *animation;

  gdk_pixbuf_loader_write_bytes (loader, bytes, &error);
  g_assert_no_error (error);
  gdk_pixbuf_loader_close (loader, &error);
  g_assert_no_error (error);
  animation = gdk_pixbuf_loader_get_animation (loader);
  g_assert_false (gdk_pixbuf_animation_is_static_image (animation));
}

/* Uploads the @animation: @variant shows its first frame (red at its
 * centre, @centre), and raw serves the animation as it was uploaded. */
static void
assert_animation_kept (AvatarTestServer *server,
                       const char       *content_type,
                       GBytes           *animation,
                       const char       *variant,
                       int               centre)
{
  g_autofree char *cdn_url = NULL;
  g_autofree char *key = upload_and_wait (server, content_type, animation, &cdn_url);
  g_autoptr(GdkPixbuf) square = fetch_variant (server, cdn_url, variant);
  g_autofree char *raw_url = variant_url (cdn_url, "raw");
  g_autoptr(GBytes) raw = NULL;

  assert_colour (square, centre, centre, 255, 0, 0);
  g_assert_cmpuint (avatar_test_server_fetch (server, raw_url, &raw), ==, 200);
  g_assert_true (g_bytes_equal (raw, animation));
  assert_is_animation (raw);
}

static void
test_animated_gif (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GBytes) gif = make_animated_gif ();

  assert_is_animation (gif);
  assert_animation_kept (fixture->server, "image/gif", gif, "48.webp", 24);
}

#ifdef HAVE_WEBPMUX
static GBytes *
make_animated_webp (void)
{
  WebPAnimEncoderOptions options;
  WebPAnimEncoder *encoder;
  WebPData webp_data;
  GBytes *bytes;
  int timestamp = 0;

  g_assert_true (WebPAnimEncoderOptionsInit (&options));
  encoder = WebPAnimEncoderNew (16, 16, &options);
  g_assert_nonnull (encoder);

  for (guint frame = 0; frame < 2; frame++)
    {
      WebPPicture picture;
      WebPConfig config;
      guint8 rgba[16 * 16 * 4];

      for (guint i = 0; i < 16 * 16; i++)
        {
          rgba[i * 4 + 0] = frame == 0 ? 255 : 0;
          rgba[i * 4 + 1] = 0;
          rgba[i * 4 + 2] = frame == 0 ? 0 : 255;
          rgba[i * 4 + 3] = 255;
        }

      g_assert_true (WebPConfigInit (&config));
      config.lossless = 1;
      g_assert_true (WebPPictureInit (&picture));
      picture.use_argb = 1;
      picture.width = 16;
      picture.height = 16;
      g_assert_true (WebPPictureImportRGBA (&picture, rgba, 16 * 4));
      g_assert_true (WebPAnimEncoderAdd (encoder, &picture, timestamp, &config));
      WebPPictureFree (&picture);
      timestamp += 100;
    }

  g_assert_true (WebPAnimEncoderAdd (encoder, NULL, timestamp, NULL));
  WebPDataInit (&webp_data);
  g_assert_true (WebPAnimEncoderAssemble (encoder, &webp_data));
  bytes = g_bytes_new (webp_data.bytes, webp_data.size);
  WebPDataClear (&webp_data);
  WebPAnimEncoderDelete (encoder);

  return bytes;
}
#endif

static void
test_animated_webp (Fixture       *fixture,
                    gconstpointer  data)
{
#ifdef HAVE_WEBPMUX
  g_autoptr(GBytes) webp = make_animated_webp ();

  assert_animation_kept (fixture->server, "image/webp", webp, "44.webp", 22);
#else
  g_test_skip ("libwebpmux is needed to make an animated WebP");
#endif
}

typedef struct
{
  char     *token;
  char     *key;
  char     *cdn_url;
  gboolean  put_done;
  guint     put_status;
} Client;

typedef struct
{
  AvatarTestServer *server;
  Client            clients[N_CLIENTS];
  guint             n_done;
} Crowd;

static void
client_put_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Client *client = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  g_assert_no_error (error);
  client->put_status = soup_message_get_status (soup_session_get_async_result_message (SOUP_SESSION (source), result));
  client->put_done = TRUE;
}

static gboolean
all_put (gpointer data)
{
  Crowd *crowd = data;

  for (guint i = 0; i < N_CLIENTS; i++)
    if (!crowd->clients[i].put_done)
      return FALSE;

  return TRUE;
}

static void
test_many_clients (Fixture       *fixture,
                   gconstpointer  data)
{
  AvatarTestServer *server = fixture->server;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns", 64, "max-conns-per-host", 32, NULL);
  Crowd crowd = { server };

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      Client *client = &crowd.clients[i];
      g_autofree char *name = g_strdup_printf ("client_%02u", i);
      g_autoptr(GBytes) png = avatar_test_make_png (50 + (int) i, 50 + (int) i);
      g_autoptr(JsonNode) answer = NULL;
      g_autoptr(SoupMessage) put = NULL;
      JsonObject *object;

      avatar_test_server_login (server, name, &client->token, NULL, NULL);
      g_assert_cmpuint (avatar_test_server_call_as (server, client->token, "POST", "/users/me/avatar",
                                                    "{\"contentType\": \"image/png\"}", &answer), ==, 200);
      object = json_node_get_object (answer);
      client->key = g_strdup (json_object_get_string_member (object, "assetKey"));
      client->cdn_url = g_strdup (json_object_get_string_member (object, "cdnUrl"));

      put = soup_message_new ("PUT", json_object_get_string_member (object, "uploadUrl"));
      soup_message_set_request_body_from_bytes (put, "image/png", png);
      soup_session_send_and_read_async (session, put, G_PRIORITY_DEFAULT, NULL, client_put_done, client);
    }

  g_assert_true (avatar_test_wait_until (all_put, &crowd, 120000));

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      Client *client = &crowd.clients[i];
      g_autofree char *state = NULL;
      g_autoptr(JsonNode) profile = NULL;
      g_autoptr(GdkPixbuf) original = NULL;

      g_assert_cmpuint (client->put_status, ==, 200);
      state = avatar_test_server_wait_processed (server, client->key);
      g_assert_cmpstr (state, ==, "ready");

      g_assert_cmpuint (avatar_test_server_call_as (server, client->token, "GET", "/users/me", NULL, &profile), ==, 200);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (profile), "avatarUrl"), ==, client->cdn_url);

      /* Each avatar is that client's own picture. */
      original = fetch_variant (server, client->cdn_url, "original.webp");
      g_assert_cmpint (gdk_pixbuf_get_width (original), ==, 50 + (int) i);

      g_free (client->token);
      g_free (client->key);
      g_free (client->cdn_url);
    }
}

/* With one worker, uploads are processed one at a time in the order they
 * were stored: small uploads stored after a large one wait for it, rather
 * than all of them sharing the processors and finishing in a burst. */
static void
test_first_in_first_out (void)
{
  const char * const args[] = { "--workers", "1", NULL };
  g_autoptr(AvatarTestServer) server = avatar_test_server_start (args);
  g_autoptr(GBytes) large = avatar_test_make_png (4000, 4000);
  char *keys[4] = { NULL, };
  gint64 deadline = g_get_monotonic_time () + 240 * G_USEC_PER_SEC;
  gboolean all_ready = FALSE;

  g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", large, &keys[0], NULL), ==, 200);
  for (guint i = 1; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(GBytes) small = avatar_test_make_png (16 + (int) i, 16);

      g_assert_cmpuint (avatar_test_server_upload (server, NULL, "image/png", small, &keys[i], NULL), ==, 200);
    }

  while (!all_ready)
    {
      gboolean later_ready = FALSE;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);

      /* Newest first: an upload seen ready means every older one must be
       * ready when asked afterwards. */
      all_ready = TRUE;
      for (guint i = G_N_ELEMENTS (keys); i-- > 0; )
        {
          g_autofree char *state = avatar_test_server_dup_asset_state (server, keys[i], NULL);
          gboolean ready = g_strcmp0 (state, "ready") == 0;

          g_assert_true (ready || g_strcmp0 (state, "processing") == 0);
          if (later_ready)
            g_assert_true (ready);
          later_ready |= ready;
          all_ready &= ready;
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_free (keys[i]);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, fn) g_test_add ("/devserver/processing/" name, Fixture, NULL, avatar_test_server_fixture_setup, fn, avatar_test_server_fixture_teardown)
  ADD ("variants", test_variants);
  ADD ("centre-crop", test_centre_crop);
  ADD ("exif-orientation", test_exif_orientation);
  ADD ("no-aliasing", test_no_aliasing);
  ADD ("type-mismatch", test_type_mismatch);
  ADD ("undecodable", test_undecodable);
  ADD ("failed-not-promoted", test_failed_not_promoted);
  ADD ("overlapping-uploads", test_overlapping_uploads);
  ADD ("animated-gif", test_animated_gif);
  ADD ("animated-webp", test_animated_webp);
  ADD ("many-clients", test_many_clients);
#undef ADD
  g_test_add_func ("/devserver/processing/first-in-first-out", test_first_in_first_out);

  return g_test_run ();
}
