/* fuzz-seeds.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writes the fuzz targets' seed inputs: fuzz-seeds DIR makes DIR/images,
 * DIR/client-json, DIR/s3-xml, DIR/sigv4 and DIR/server-request. The
 * pictures are made with gdk-pixbuf and the test helpers, the rest is
 * text, so that no binary file lives in the source tree.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "avatar-sigv4.h"
#include "avatar-test-images.h"
#include "fuzz-target.h"

static const char *out_dir;

static void
write_seed (const char *target,
            const char *name,
            const void *data,
            gsize       size)
{
  g_autofree char *dir = g_build_filename (out_dir, target, NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    g_error ("Cannot create %s", dir);
  if (!g_file_set_contents (path, data, (gssize) size, &error))
    g_error ("%s", error->message);
}

static void
write_bytes (const char *target,
             const char *name,
             GBytes     *bytes)
{
  gsize size;
  const void *data = g_bytes_get_data (bytes, &size);

  write_seed (target, name, data, size);
}

static void
write_text (const char *target,
            const char *name,
            const char *text)
{
  write_seed (target, name, text, strlen (text));
}

/* Pictures --------------------------------------------------------------- */

/* The pattern in each format gdk-pixbuf writes, and GIF, whole and cut
 * short; and with a see-through corner. */
static void
write_encoded_images (void)
{
  static const char *formats[] = { "png", "jpeg", "webp", "bmp", "tiff", "gif" };
  g_autoptr(GdkPixbuf) alpha = avatar_test_pattern_new (24, 24, TRUE);
  g_autoptr(GBytes) alpha_png = avatar_test_encode (alpha, "png");

  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GBytes) bytes = avatar_test_image_new (formats[i], 36, 24);
      g_autoptr(GBytes) cut = avatar_test_truncate (bytes, g_bytes_get_size (bytes) * 2 / 3);
      g_autofree char *name = g_strdup_printf ("pattern.%s", formats[i]);
      g_autofree char *cut_name = g_strdup_printf ("truncated.%s", formats[i]);

      write_bytes ("images", name, bytes);
      write_bytes ("images", cut_name, cut);
    }
  write_bytes ("images", "alpha.png", alpha_png);
}

/* EXIF orientations 2, 5 and 8 in JPEG, WebP and TIFF, some with a GPS
 * position, and an EXIF block on its own. */
static void
write_oriented_images (void)
{
  g_autoptr(GdkPixbuf) pattern = avatar_test_pattern_new (36, 24, FALSE);
  g_autoptr(GBytes) exif = avatar_test_exif_new (6, TRUE);

  for (int orientation = 2; orientation <= 8; orientation += 3)
    {
      g_autoptr(GBytes) jpeg = avatar_test_jpeg_with_exif_new (pattern, orientation, orientation == 8);
      g_autoptr(GBytes) webp = avatar_test_webp_with_exif_new (pattern, orientation, orientation == 5);
      g_autoptr(GBytes) tiff = avatar_test_tiff_with_orientation_new (pattern, orientation);
      g_autofree char *jpeg_name = g_strdup_printf ("exif-%d.jpeg", orientation);
      g_autofree char *webp_name = g_strdup_printf ("exif-%d.webp", orientation);
      g_autofree char *tiff_name = g_strdup_printf ("orientation-%d.tiff", orientation);

      write_bytes ("images", jpeg_name, jpeg);
      write_bytes ("images", webp_name, webp);
      write_bytes ("images", tiff_name, tiff);
    }
  write_bytes ("images", "exif.tiff", exif);
}

/* An animated GIF, a GIF with XMP, and a PNG declaring 20000 × 20000. */
static void
write_special_images (void)
{
  g_autoptr(GBytes) animated = avatar_test_animated_gif_new (20, 16, 3);
  g_autoptr(GBytes) xmp = avatar_test_gif_with_xmp_new (20, 16);
  g_autoptr(GBytes) huge = avatar_test_png_declaring_size (20000, 20000);

  write_bytes ("images", "animated.gif", animated);
  write_bytes ("images", "xmp.gif", xmp);
  write_bytes ("images", "huge.png", huge);
}

#define CHUNK(name, type, data) { name, type, data, sizeof data - 1 }

/* The pattern as a PNG with one more chunk after IHDR. */
static void
write_png_chunk_images (void)
{
  static const struct {
    const char *name;
    const char *type;
    const char *data;
    gsize size;
  } chunks[] = {
    CHUNK ("text.png", "tEXt", "Raw profile type exif\0\0\0\n  10\nabcdef"),
    CHUNK ("xmp.png", "iTXt", "XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>"),
    CHUNK ("actl.png", "acTL", "\0\0\0\2\0\0\0\0"),
  };
  g_autoptr(GBytes) png = avatar_test_image_new ("png", 36, 24);
  g_autoptr(GBytes) exif = avatar_test_exif_new (6, TRUE);
  g_autoptr(GBytes) with_exif = avatar_test_png_with_exif (png, exif);

  write_bytes ("images", "exif.png", with_exif);
  for (gsize i = 0; i < G_N_ELEMENTS (chunks); i++)
    {
      g_autoptr(GBytes) bytes = avatar_test_png_insert_chunk (png, chunks[i].type,
                                                              chunks[i].data, chunks[i].size);

      write_bytes ("images", chunks[i].name, bytes);
    }
}

#undef CHUNK

/* A 4 × 2 BMP of 1 bit a pixel with its two-colour palette. */
static const guint8 palette_bmp[] = {
  'B', 'M', 70, 0, 0, 0, 0, 0, 0, 0, 62, 0, 0, 0,
  40, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0,
  8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 255, 255, 255, 0,
  0x50, 0, 0, 0, 0xA0, 0, 0, 0,
};

#define HEADER(name, data) { name, data, sizeof data - 1 }

/* What the sniffer knows without a decoder: just the headers, and small
 * files in formats no other seed has. */
static void
write_header_images (void)
{
  static const struct {
    const char *name;
    const void *data;
    gsize size;
  } headers[] = {
    HEADER ("header.heic", "\0\0\0\x18" "ftypheic\0\0\0\0mif1heic"),
    HEADER ("header.avif", "\0\0\0\x1c" "ftypmif1\0\0\0\0mif1miafavif"),
    HEADER ("header.jxl", "\0\0\0\x0cJXL \r\n\x87\n\0\0\0\0"),
    HEADER ("header.jp2", "\0\0\0\x0cjP  \r\n\x87\n\0\0\0\0"),
    HEADER ("header.ico", "\0\0\1\0\1\0\x10\x10\0\0\1\0\x20\0\0\0\0\0\x16\0\0\0"),
    /* The sniffer knows these by their first four bytes alone. */
    HEADER ("header.psd", "8BPS"),
    HEADER ("header.qoi", "qoif"),
    { "palette.bmp", palette_bmp, sizeof palette_bmp },
    HEADER ("pattern.pnm", "P6\n# a comment\n2 2\n255\nabcdefghijkl"),
    HEADER ("pattern.svg", "<?xml version=\"1.0\"?>\n"
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"/>\n"),
  };

  for (gsize i = 0; i < G_N_ELEMENTS (headers); i++)
    write_seed ("images", headers[i].name, headers[i].data, headers[i].size);
}

#undef HEADER

static void
write_images (void)
{
  write_encoded_images ();
  write_oriented_images ();
  write_special_images ();
  write_png_chunk_images ();
  write_header_images ();
}

/* The API's answers ------------------------------------------------------ */

static void
write_client_json (void)
{
  write_text ("client-json", "profile.json",
              "{\"id\": \"u1\", \"username\": \"alice\", \"avatarUrl\": null}");
  write_text ("client-json", "profile-avatar.json",
              "{\"id\": \"u1\", \"username\": \"alice\", "
              "\"avatarUrl\": \"https://cdn.example.com/avatars/u1/k/original.webp\"}");
  write_text ("client-json", "profile-http.json",
              "{\"id\": \"u1\", \"username\": \"alice\", \"avatarUrl\": \"http://127.0.0.1:8080/cdn/a\"}");
  write_text ("client-json", "ticket.json",
              "{\"uploadUrl\": \"https://s3.example.com/b/k?X-Amz-Signature=00\", "
              "\"assetKey\": \"0123456789abcdef\", \"cdnUrl\": \"https://cdn.example.com/k/original.webp\"}");
  write_text ("client-json", "tokens.json",
              "{\"accessToken\": \"at\", \"refreshToken\": \"rt\", \"userId\": \"u1\"}");
  write_text ("client-json", "error.json",
              "{\"error\": {\"code\": \"unauthorized\", \"message\": \"You are not signed in.\"}}");
  write_text ("client-json", "types.json",
              "{\"id\": 1, \"username\": [true, false, null, 1.5e300, -0], \"avatarUrl\": {\"a\": \"\\u00e9\\ud83d\\ude00\"}}");
}

static void
write_s3_xml (void)
{
  write_text ("s3-xml", "expired.xml",
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<Error><Code>AccessDenied</Code><Message>Request has expired</Message>"
              "<RequestId>1</RequestId></Error>");
  write_text ("s3-xml", "mismatch.xml",
              "<Error>\n  <Code>SignatureDoesNotMatch</Code>\n  <Message>The request signature "
              "we calculated does not match &amp; &lt;so&gt; &#233;</Message>\n</Error>\n");
  write_text ("s3-xml", "nested.xml",
              "<Error a=\"1\"><Code><![CDATA[Slow Down]]></Code><Inner><Code>x</Code></Inner>"
              "<!-- c --><Message/></Error>");
  write_text ("s3-xml", "html.xml", "<html><body>502 Bad Gateway</body></html>");
}

/* Presigned requests ----------------------------------------------------- */

static void
write_sigv4 (void)
{
  const AvatarSigv4Credentials credentials = {
    FUZZ_SIGV4_ACCESS_KEY, FUZZ_SIGV4_SECRET_KEY, FUZZ_SIGV4_REGION, "s3"
  };
  const char *extra[] = { "content-type", "image/png", NULL };
  g_autoptr(GDateTime) now = g_date_time_new_from_iso8601 (FUZZ_SIGV4_NOW, NULL);
  g_autoptr(GDateTime) signed_at = g_date_time_add_seconds (now, -60);
  const char *path = "/s3/avatars/avatars/u1/0123456789abcdef";
  g_autofree char *url = avatar_sigv4_presign_url (&credentials, "PUT", "http://" FUZZ_SIGV4_HOST,
                                                   FUZZ_SIGV4_HOST, path, extra, signed_at, 600);
  g_autofree char *no_type = avatar_sigv4_presign_url (&credentials, "GET", "http://" FUZZ_SIGV4_HOST,
                                                       FUZZ_SIGV4_HOST, "/s3/a b/ü", NULL, signed_at, 1);
  const char *query = strchr (url, '?') + 1;
  g_autofree char *valid = g_strdup_printf ("%s\n%s\nPUT\nhost: %s\ncontent-type: image/png",
                                            query, path, FUZZ_SIGV4_HOST);
  g_autofree char *other = g_strdup_printf ("%s\n/s3/a%%20b/%%C3%%BC\nGET", strchr (no_type, '?') + 1);
  g_autofree char *twice = g_strdup_printf ("%s&X-Amz-Signature=00\n%s\nPUT\ncontent-type: image/png",
                                            query, path);
  g_autofree char *hashed = g_strdup_printf ("%s&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD\n%s\nPUT\n"
                                             "content-type: image/png", query, path);

  write_text ("sigv4", "valid.txt", valid);
  write_text ("sigv4", "other.txt", other);
  write_text ("sigv4", "twice.txt", twice);
  write_text ("sigv4", "hashed.txt", hashed);
  write_text ("sigv4", "malformed.txt",
              "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDFUZZ%2F20261201%2Fus-east-1%2Fs3%2Faws4_request"
              "&X-Amz-Date=20261301T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host%3Bx&X-Amz-Signature=zz");
}

/* Requests to the devserver ---------------------------------------------- */

static void
write_request (const char *name,
               const char *method,
               const char *path,
               const char *headers,
               const char *body)
{
  g_autofree char *text = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "x-app-id: " BASE_APP_ID "\r\n%s"
                                           "Content-Length: %zu\r\n\r\n%s",
                                           method, path, headers, strlen (body), body);

  write_text ("server-request", name, text);
}

static void
write_server_request (void)
{
  const char *bearer = "Authorization: Bearer @TOKEN@\r\n";
  const char *json = "Content-Type: application/json\r\n";
  g_autofree char *signed_in = g_strconcat (bearer, json, NULL);

  write_request ("dev-login", "POST", "/auth/dev-login", json, "{\"username\": \"fuzz_user\"}");
  write_request ("refresh", "POST", "/auth/refresh", json, "{\"refreshToken\": \"abc\"}");
  write_request ("profile", "GET", "/users/me", bearer, "");
  write_request ("rename", "PATCH", "/users/me", signed_in, "{\"username\": \"fuzz_2\"}");
  write_request ("remove", "PATCH", "/users/me", signed_in, "{\"removeAvatar\": true}");
  write_request ("confirm", "PATCH", "/users/me", signed_in, "{\"confirmAvatar\": true, \"x\": [1, {}]}");
  write_request ("upload-url", "POST", "/users/me/avatar", signed_in, "{\"contentType\": \"image/png\"}");
  write_request ("s3-put", "PUT",
                 "/s3/avatars/avatars/u/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00",
                 "Content-Type: image/png\r\n", "\x89PNG\r\n\x1a\n");
  write_request ("cdn", "GET", "/cdn/avatars/u/k/original.webp", "", "");
  write_request ("fault-rule", "POST", "/_dev/faults", json,
                 "{\"route\": \"upload\", \"status\": 503, \"retryAfter\": 2, \"count\": 1}");
  write_request ("fault-processing", "POST", "/_dev/faults", json,
                 "{\"processing\": \"fail\", \"presignExpiresS\": 1, \"processingDelayMs\": 5, "
                 "\"expireAccessTokens\": true}");
  write_text ("server-request", "chunked",
              "POST /auth/dev-login HTTP/1.1\r\nHost: 127.0.0.1\r\nx-app-id: " BASE_APP_ID "\r\n"
              "Transfer-Encoding: chunked\r\n\r\n4\r\n{\"us\r\n10\r\nername\": \"abc\"}\r\n0\r\n\r\n");
  write_text ("server-request", "pipelined",
              "GET /users/me HTTP/1.1\r\nHost: a\r\nx-app-id: " BASE_APP_ID "\r\n"
              "Authorization: Bearer @TOKEN@\r\n\r\n"
              "GET /nowhere HTTP/1.0\r\n\r\n");
}

int
main (int   argc,
      char *argv[])
{
  if (argc != 2)
    {
      g_printerr ("Usage: %s DIR\n", argv[0]);
      return EXIT_FAILURE;
    }
  out_dir = argv[1];

  write_images ();
  write_client_json ();
  write_s3_xml ();
  write_sigv4 ();
  write_server_request ();

  return EXIT_SUCCESS;
}
