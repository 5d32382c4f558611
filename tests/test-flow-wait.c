/* test-flow-wait.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AvatarFlow's wait for processing and its variants: against
 * avatar-devserver's processing faults, and against a scripted API whose
 * storage and CDN live on another origin, where every header the client
 * sends can be seen and every poll is timed.
 */

#include "config.h"

#include <string.h>

#include "avatar-error.h"
#include "avatar-flow.h"
#include "avatar-test-flow.h"
#include "avatar-test-http.h"
#include "avatar-test-images.h"

#define TIMEOUT_MESSAGE "The picture was uploaded, but the service did not finish processing it in time. Try again later."
#define FAILED_MESSAGE "The picture was uploaded, but the service could not process it. Choose another picture."

/* Against avatar-devserver ----------------------------------------------- */

static void
test_previous_avatar (AvatarTestFlowFixture *fixture,
                      gconstpointer          data)
{
  g_autoptr(AvatarFlow) first = avatar_test_flow_pattern_new (fixture->client, 100, 100);
  g_autoptr(AvatarFlow) second = avatar_test_flow_pattern_new (fixture->client, 150, 150);
  g_autoptr(GError) error = NULL;
  AvatarFlowTimings timings;

  g_assert_true (avatar_test_flow_run (first, &error));
  g_assert_no_error (error);

  /* While the new picture is processed, the profile still shows the old
   * one, which is not null: the wait must look for the new URL. */
  avatar_test_server_set_fault (fixture->server, "{\"processingDelayMs\": 700}");
  g_assert_true (avatar_test_flow_run (second, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (avatar_flow_get_avatar_url (second), !=, avatar_flow_get_avatar_url (first));
  g_assert_nonnull (strstr (avatar_flow_get_avatar_url (second), avatar_flow_get_asset_key (second)));
  avatar_test_flow_assert_variants (second, 150);
  avatar_flow_get_timings (second, &timings);
  g_assert_cmpint (timings.processing_ms, >=, 600);
}

/* Answers of 503 while the service processes are waited out: the
 * deadline alone ends the wait. */
static const char * const faults_poll_unavailable[] = {
  "{\"processingDelayMs\": 1500}",
  /* Three polls in a row, with every retry of the client. */
  "{\"route\": \"profile\", \"status\": 503, \"count\": 9}",
  "{\"route\": \"patch\", \"status\": 503, \"count\": 3}",
  NULL
};

static void
test_fault_processing (AvatarTestFlowFixture *fixture,
                       gconstpointer          data)
{
  const char *mode = data;
  g_autofree char *rule = g_strdup_printf ("{\"processing\": \"%s\"}", mode);
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);
  g_autoptr(GError) error = NULL;
  gint64 start;
  gint64 elapsed_ms;

  gboolean fails = g_str_equal (mode, "fail");

  avatar_test_server_set_fault (fixture->server, rule);
  /* A failure is told long before the limit; a hang meets it. */
  avatar_flow_set_processing_timeout (flow, fails ? 60000 : 1200);

  start = g_get_monotonic_time ();
  g_assert_false (avatar_test_flow_run (flow, &error));
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;

  g_assert_cmpint (avatar_flow_get_state (flow), ==, AVATAR_FLOW_STATE_FAILED);
  g_assert_null (avatar_flow_get_avatar_url (flow));
  g_assert_true (avatar_flow_get_sent (flow));
  if (fails)
    {
      g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROCESSING_FAILED);
      g_assert_cmpstr (error->message, ==, FAILED_MESSAGE);
      g_assert_error (avatar_flow_get_error (flow), AVATAR_ERROR, AVATAR_ERROR_PROCESSING_FAILED);
      g_assert_cmpint (elapsed_ms, <, 60000);
    }
  else
    {
      g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROCESSING_TIMEOUT);
      g_assert_cmpstr (error->message, ==, TIMEOUT_MESSAGE);
      g_assert_error (avatar_flow_get_error (flow), AVATAR_ERROR, AVATAR_ERROR_PROCESSING_TIMEOUT);
      g_assert_cmpint (elapsed_ms, >=, 1200);
    }
}

static void
test_processing_slow_poll (AvatarTestFlowFixture *fixture,
                           gconstpointer          data)
{
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);
  g_autoptr(GError) error = NULL;
  gint64 start;

  /* A poll that hangs does not stretch the limit. */
  avatar_test_server_set_fault (fixture->server, "{\"processing\": \"hang\"}");
  avatar_test_server_set_fault (fixture->server, "{\"route\": \"profile\", \"delayMs\": 20000}");
  avatar_flow_set_processing_timeout (flow, 1000);

  start = g_get_monotonic_time ();
  g_assert_false (avatar_test_flow_run (flow, &error));
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROCESSING_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 15 * G_USEC_PER_SEC);
}

/* Against a scripted API, with storage and CDN on another origin ---------- */

typedef struct
{
  AvatarTestHttp *api;
  AvatarTestHttp *cdn;
  AvatarClient   *client;
  char           *old_url;
  gboolean        uploaded;
  gint64          uploaded_us;
  guint           polls_before_ready;
  GArray         *poll_times;
  const char     *bad_variant;
  GBytes         *bad_bytes;
  /* With hold_variants > 0, the CDN answers no variant request until that
   * many are waiting at once. */
  guint           hold_variants;
  GPtrArray      *held;
  guint           most_held;
  guint           release_source;
} Fake;

static gboolean
fake_release_held (gpointer user_data)
{
  Fake *fake = user_data;

  for (guint i = 0; i < fake->held->len; i++)
    soup_server_message_unpause (g_ptr_array_index (fake->held, i));
  g_ptr_array_set_size (fake->held, 0);
  fake->release_source = 0;

  return G_SOURCE_REMOVE;
}

static void
fake_hold_variant (Fake              *fake,
                   SoupServerMessage *msg)
{
  soup_server_message_pause (msg);
  g_ptr_array_add (fake->held, msg);
  fake->most_held = MAX (fake->most_held, fake->held->len);

  if (fake->held->len == fake->hold_variants)
    {
      g_clear_handle_id (&fake->release_source, g_source_remove);
      fake_release_held (fake);
    }
  else if (fake->release_source == 0)
    {
      /* Only so that a client that fetches one by one fails instead of
       * hanging: the test asserts how many were held together. */
      fake->release_source = g_timeout_add_seconds (10, fake_release_held, fake);
    }
}

static char *
fake_cdn_url (Fake *fake)
{
  return g_strconcat (avatar_test_http_get_url (fake->cdn), "/cdn/u1/k1/original.webp", NULL);
}

static void
fake_api_handler (AvatarTestHttp          *http,
                  SoupServerMessage       *msg,
                  const AvatarTestRequest *request,
                  gpointer                 user_data)
{
  Fake *fake = user_data;

  if (g_str_equal (request->path, "/users/me/avatar"))
    {
      g_autofree char *cdn_url = fake_cdn_url (fake);
      g_autofree char *json = g_strdup_printf ("{\"uploadUrl\":\"%s/s3/b/avatars/u1/k1?X-Amz-Signature=f00\","
                                               "\"assetKey\":\"k1\",\"cdnUrl\":\"%s\"}",
                                               avatar_test_http_get_url (fake->cdn), cdn_url);

      avatar_test_respond_json (msg, 200, json);
    }
  else if (g_str_equal (request->path, "/users/me"))
    {
      g_autofree char *cdn_url = fake_cdn_url (fake);
      g_autofree char *shown = NULL;
      g_autofree char *json = NULL;
      gboolean ready = FALSE;

      if (fake->uploaded)
        {
          gint64 now = g_get_monotonic_time ();

          g_array_append_val (fake->poll_times, now);
          ready = fake->poll_times->len > fake->polls_before_ready;
        }

      /* While it waits, the profile shows the previous avatar, or that of
       * another upload which was promoted meanwhile: neither will do. */
      if (ready)
        shown = g_steal_pointer (&cdn_url);
      else if (fake->uploaded && fake->poll_times->len % 2 == 0)
        shown = g_strconcat (avatar_test_http_get_url (fake->cdn), "/cdn/u1/k2/original.webp", NULL);
      else
        shown = g_strdup (fake->old_url);

      json = g_strdup_printf ("{\"id\":\"u1\",\"username\":\"ada\",\"avatarUrl\":\"%s\"}", shown);
      avatar_test_respond_json (msg, 200, json);
    }
  else
    {
      avatar_test_respond (msg, 404, NULL, NULL);
    }
}

static void
fake_cdn_handler (AvatarTestHttp          *http,
                  SoupServerMessage       *msg,
                  const AvatarTestRequest *request,
                  gpointer                 user_data)
{
  Fake *fake = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *name = g_path_get_basename (request->path);
  const char *content_type = "image/webp";

  if (g_str_equal (request->method, "PUT"))
    {
      fake->uploaded = TRUE;
      fake->uploaded_us = g_get_monotonic_time ();
      avatar_test_respond (msg, 200, NULL, NULL);
      return;
    }

  if (g_strcmp0 (name, fake->bad_variant) == 0)
    bytes = g_bytes_ref (fake->bad_bytes);
  else if (g_str_equal (name, "raw"))
    {
      const AvatarTestRequest *put = avatar_test_http_last (fake->cdn, "/s3/b/avatars/u1/k1");

      bytes = g_bytes_ref (put->body);
      content_type = soup_message_headers_get_one (put->headers, "Content-Type");
    }
  else
    {
      int side = g_str_equal (name, "original.webp") ? 100 : atoi (name);
      g_autoptr(GdkPixbuf) pixbuf = avatar_test_pattern_new (side, side, FALSE);

      bytes = avatar_test_encode (pixbuf, "webp");
    }

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  if (fake->hold_variants > 0)
    fake_hold_variant (fake, msg);
}

static void
fake_setup (Fake          *fake,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fake->api = avatar_test_http_new (fake_api_handler, fake);
  fake->cdn = avatar_test_http_new (fake_cdn_handler, fake);
  fake->old_url = g_strconcat (avatar_test_http_get_url (fake->cdn), "/cdn/u1/k0/original.webp", NULL);
  fake->poll_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  fake->held = g_ptr_array_new ();
  fake->client = avatar_client_new (avatar_test_http_get_url (fake->api), "test-app", &error);
  g_assert_no_error (error);
  avatar_client_set_tokens (fake->client, "secret-access", "secret-refresh");
}

static void
fake_teardown (Fake          *fake,
               gconstpointer  data)
{
  g_clear_object (&fake->client);
  g_clear_pointer (&fake->api, avatar_test_http_free);
  g_clear_pointer (&fake->cdn, avatar_test_http_free);
  g_clear_pointer (&fake->poll_times, g_array_unref);
  g_clear_pointer (&fake->bad_bytes, g_bytes_unref);
  g_clear_handle_id (&fake->release_source, g_source_remove);
  g_clear_pointer (&fake->held, g_ptr_array_unref);
  g_free (fake->old_url);
}

static void
test_credentials_stay_home (Fake          *fake,
                            gconstpointer  data)
{
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fake->client, 100, 100);
  g_autoptr(GError) error = NULL;
  GPtrArray *requests;

  g_assert_true (avatar_test_flow_run (flow, &error));
  g_assert_no_error (error);

  /* The storage and the CDN got the PUT, four GETs and the HEAD of raw,
   * and never the API's headers. */
  requests = avatar_test_http_get_requests (fake->cdn);
  g_assert_cmpuint (avatar_test_http_count (fake->cdn, "PUT", NULL), ==, 1);
  g_assert_cmpuint (avatar_test_http_count (fake->cdn, "GET", NULL), ==, AVATAR_N_VARIANTS - 1);
  g_assert_cmpuint (avatar_test_http_count (fake->cdn, "HEAD", NULL), ==, 1);
  for (guint i = 0; i < requests->len; i++)
    {
      const AvatarTestRequest *request = g_ptr_array_index (requests, i);

      g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));
      g_assert_null (soup_message_headers_get_one (request->headers, "x-app-id"));
    }

  /* The API got them every time. */
  requests = avatar_test_http_get_requests (fake->api);
  for (guint i = 0; i < requests->len; i++)
    {
      const AvatarTestRequest *request = g_ptr_array_index (requests, i);

      g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Authorization"), ==, "Bearer secret-access");
      g_assert_cmpstr (soup_message_headers_get_one (request->headers, "x-app-id"), ==, "test-app");
    }

  avatar_test_flow_assert_variants (flow, 100);
}

static void
test_poll_schedule (Fake          *fake,
                    gconstpointer  data)
{
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fake->client, 100, 100);
  g_autoptr(GError) error = NULL;
  g_autofree char *fake_cdn_url_ready = fake_cdn_url (fake);
  const guint polls = 12;
  gint64 first_poll_us;
  gint64 span_us;

  fake->polls_before_ready = polls - 1;
  g_assert_true (avatar_test_flow_run (flow, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (avatar_flow_get_avatar_url (flow), ==, fake_cdn_url_ready);

  /* A steady pace, never more than five a second: the polls leave 200 ms
   * apart, so they arrive no closer on the whole (one may come in a little
   * late, which brings it nearer the next), and all of them together take
   * not much longer, which a loaded machine stays well within, and a
   * backing-off schedule does not. */
  g_assert_cmpuint (fake->poll_times->len, ==, polls);
  for (guint i = 1; i < polls; i++)
    g_assert_cmpint (g_array_index (fake->poll_times, gint64, i) -
                     g_array_index (fake->poll_times, gint64, i - 1), >=, 100 * 1000);
  span_us = g_array_index (fake->poll_times, gint64, polls - 1) - g_array_index (fake->poll_times, gint64, 0);
  g_assert_cmpint (span_us, >=, ((polls - 1) * 200 - 100) * 1000);
  g_assert_cmpint (span_us, <, ((polls - 1) * 200 + 1500) * 1000);

  /* Every fifth look asks the service to confirm, which is how a failed
   * processing is heard of. */
  g_assert_cmpuint (avatar_test_http_count (fake->api, "PATCH", "/users/me"), ==, polls / 5);
  g_assert_cmpuint (avatar_test_http_count (fake->api, "GET", "/users/me"), ==, polls - polls / 5);

  /* The first poll right after the PUT: at a random moment of the first
   * 200 ms (/flow/poll-phase checks the spread), not after a whole second
   * or more as a backing-off schedule would. The bound leaves a loaded
   * machine 800 ms to spare, so that only the schedule can fail it. */
  first_poll_us = g_array_index (fake->poll_times, gint64, 0);
  g_assert_cmpint (first_poll_us - fake->uploaded_us, <, 1000 * 1000);
}

/* The first look comes at a random moment of the first 200 ms: a
 * processing that always takes the same short time is then not always
 * seen just under 200 ms late. */
static void
test_poll_phase (Fake          *fake,
                 gconstpointer  data)
{
  const guint runs = 12;
  gint64 earliest_us = G_MAXINT64;
  gint64 latest_us = 0;

  for (guint i = 0; i < runs; i++)
    {
      g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fake->client, 100, 100);
      g_autoptr(GError) error = NULL;
      gint64 first_poll_us;

      fake->uploaded = FALSE;
      fake->polls_before_ready = 0;
      g_array_set_size (fake->poll_times, 0);
      g_assert_true (avatar_test_flow_run (flow, &error));
      g_assert_no_error (error);

      first_poll_us = g_array_index (fake->poll_times, gint64, 0) - fake->uploaded_us;
      earliest_us = MIN (earliest_us, first_poll_us);
      latest_us = MAX (latest_us, first_poll_us);
    }

  /* Twelve draws from 200 ms all within 50 ms of each other: about one
   * chance in 200,000. */
  g_assert_cmpint (latest_us - earliest_us, >=, 50 * 1000);
  g_assert_cmpint (latest_us, <, 200 * 1000 + 100 * 1000);
}

static void
test_bad_variant (Fake          *fake,
                  gconstpointer  data)
{
  const char *name = data;
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fake->client, 100, 100);
  g_autoptr(GError) error = NULL;

  fake->bad_variant = name;
  if (g_str_equal (name, "48.webp"))
    {
      /* Decodes, but not at its size. */
      g_autoptr(GdkPixbuf) pixbuf = avatar_test_pattern_new (48, 47, FALSE);

      fake->bad_bytes = avatar_test_encode (pixbuf, "webp");
    }
  else
    {
      fake->bad_bytes = g_bytes_new_static ("RIFF\x10\0\0\0WEBPVP8 garbage", 24);
    }

  g_assert_false (avatar_test_flow_run (flow, &error));
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, name));
  g_assert_cmpint (avatar_flow_get_state (flow), ==, AVATAR_FLOW_STATE_FAILED);
}

/* The four WebP variants and the HEAD of raw are all asked for at once. */
static void
test_variants_parallel (Fake          *fake,
                        gconstpointer  data)
{
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fake->client, 100, 100);
  g_autoptr(GError) error = NULL;

  fake->hold_variants = AVATAR_N_VARIANTS;
  g_assert_true (avatar_test_flow_run (flow, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake->most_held, ==, AVATAR_N_VARIANTS);
  avatar_test_flow_assert_variants (flow, 100);
}

/* raw, the whole upload again, is downloaded only when asked for. */
static void
test_variants_raw (Fake          *fake,
                   gconstpointer  data)
{
  gboolean fetch_raw = GPOINTER_TO_INT (data);
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fake->client, 100, 100);
  g_autoptr(GError) error = NULL;
  const AvatarVariant *raw;

  avatar_flow_set_fetch_raw (flow, fetch_raw);
  g_assert_true (avatar_test_flow_run (flow, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (avatar_test_http_count (fake->cdn, "GET", "/cdn/u1/k1/raw"), ==, fetch_raw ? 1 : 0);
  g_assert_cmpuint (avatar_test_http_count (fake->cdn, "HEAD", "/cdn/u1/k1/raw"), ==, fetch_raw ? 0 : 1);
  raw = avatar_flow_get_variant (flow, AVATAR_VARIANT_RAW);
  if (fetch_raw)
    g_assert_nonnull (raw->bytes);
  else
    g_assert_null (raw->bytes);
  avatar_test_flow_assert_variants (flow, 100);
}

/* A variant is checked by its header: one whose header is right and whose
 * pixels are cut off is taken as it is, since nothing decodes it here. */
static void
test_variants_header_only (Fake          *fake,
                           gconstpointer  data)
{
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fake->client, 100, 100);
  g_autoptr(GdkPixbuf) pixbuf = avatar_test_noise_pixbuf_new (60, FALSE);
  g_autoptr(GBytes) whole = avatar_test_encode (pixbuf, "webp");
  g_autoptr(GError) error = NULL;

  fake->bad_variant = "60.webp";
  fake->bad_bytes = avatar_test_truncate (whole, 64);

  g_assert_true (avatar_test_flow_run (flow, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (avatar_flow_get_variant (flow, AVATAR_VARIANT_60)->byte_size, ==, 64);
  g_assert_cmpint (avatar_flow_get_variant (flow, AVATAR_VARIANT_60)->width, ==, 60);
}

/* A raw whose header says another type or length than what was sent. */
static void
test_variants_raw_mismatch (Fake          *fake,
                            gconstpointer  data)
{
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fake->client, 100, 100);
  g_autoptr(GError) error = NULL;

  fake->bad_variant = "raw";
  fake->bad_bytes = g_bytes_new_static ("not what was sent", 17);

  g_assert_false (avatar_test_flow_run (flow, &error));
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "raw"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  avatar_test_flow_add ("/flow/previous-avatar", NULL, test_previous_avatar);
  avatar_test_flow_add ("/flow/fault/processing-fail", "fail", test_fault_processing);
  avatar_test_flow_add ("/flow/fault/processing-hang", "hang", test_fault_processing);
  avatar_test_flow_add ("/flow/fault/poll-unavailable", faults_poll_unavailable, avatar_test_flow_test_faults_overcome);
  avatar_test_flow_add ("/flow/fault/processing-slow-poll", NULL, test_processing_slow_poll);

  g_test_add ("/flow/credentials-stay-home", Fake, NULL, fake_setup, test_credentials_stay_home, fake_teardown);
  g_test_add ("/flow/poll-schedule", Fake, NULL, fake_setup, test_poll_schedule, fake_teardown);
  g_test_add ("/flow/poll-phase", Fake, NULL, fake_setup, test_poll_phase, fake_teardown);
  g_test_add ("/flow/variants/parallel", Fake, NULL, fake_setup, test_variants_parallel, fake_teardown);
  g_test_add ("/flow/variants/raw-not-downloaded", Fake, GINT_TO_POINTER (FALSE), fake_setup, test_variants_raw, fake_teardown);
  g_test_add ("/flow/variants/raw-when-asked", Fake, GINT_TO_POINTER (TRUE), fake_setup, test_variants_raw, fake_teardown);
  g_test_add ("/flow/variants/header-only", Fake, NULL, fake_setup, test_variants_header_only, fake_teardown);
  g_test_add ("/flow/variants/raw-mismatch", Fake, NULL, fake_setup, test_variants_raw_mismatch, fake_teardown);
  g_test_add ("/flow/bad-variant/wrong-size", Fake, "48.webp", fake_setup, test_bad_variant, fake_teardown);
  g_test_add ("/flow/bad-variant/undecodable", Fake, "60.webp", fake_setup, test_bad_variant, fake_teardown);

  return g_test_run ();
}
