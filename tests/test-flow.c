/* test-flow.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AvatarFlow end to end: against avatar-devserver on a loopback port, with
 * its fault rules, and against a scripted API whose storage and CDN live
 * on another origin, where every header the client sends can be seen.
 */

#include "config.h"

#include <string.h>

#include "avatar-error.h"
#include "avatar-flow.h"
#include "avatar-test-flow.h"
#include "avatar-test-http.h"
#include "avatar-test-images.h"
#include "avatar-test-server.h"

#define TIMEOUT_MESSAGE "The picture was uploaded, but the service did not finish processing it in time. Try again later."
#define FAILED_MESSAGE "The picture was uploaded, but the service could not process it. Choose another picture."
#define SENT_MESSAGE "The picture was sent. It becomes your avatar as soon as the service has processed it."

/* Watching a flow -------------------------------------------------------- */

typedef struct
{
  AvatarFlow      *flow;
  GArray          *states;
  GPtrArray       *asset_keys;
  GPtrArray       *uploads;
  gboolean         upload_before_uploading;
  AvatarFlowState  cancel_in;
  gboolean         cancel_on_progress;
  gboolean         cancel_when_all_out;
} Watch;

static void
watch_state_cb (AvatarFlow *flow,
                GParamSpec *pspec,
                Watch      *watch)
{
  AvatarFlowState state = avatar_flow_get_state (flow);

  g_array_append_val (watch->states, state);
  if (state == AVATAR_FLOW_STATE_UPLOADING && avatar_flow_get_upload (flow) != NULL)
    watch->upload_before_uploading = TRUE;
  if (watch->cancel_in != AVATAR_FLOW_STATE_IDLE && state == watch->cancel_in)
    avatar_flow_cancel (flow);
}

static void
watch_progress_cb (AvatarUpload *upload,
                   GParamSpec   *pspec,
                   Watch        *watch)
{
  if (watch->cancel_on_progress && avatar_upload_get_bytes_sent (upload) > 0)
    {
      watch->cancel_on_progress = FALSE;
      avatar_flow_cancel (watch->flow);
    }

  if (watch->cancel_when_all_out && avatar_upload_get_bytes_total (upload) > 0 &&
      avatar_upload_get_bytes_sent (upload) == avatar_upload_get_bytes_total (upload))
    {
      watch->cancel_when_all_out = FALSE;
      avatar_flow_cancel (watch->flow);
    }
}

/* Every upload the flow tells of, NULL included; the progress is the
 * upload's. */
static void
watch_upload_cb (AvatarFlow *flow,
                 GParamSpec *pspec,
                 Watch      *watch)
{
  AvatarUpload *upload = avatar_flow_get_upload (flow);

  g_ptr_array_add (watch->uploads, upload != NULL ? g_object_ref (upload) : NULL);
  if (upload != NULL)
    g_signal_connect (upload, "notify::bytes-sent", G_CALLBACK (watch_progress_cb), watch);
}

static void
watch_asset_key_cb (AvatarFlow *flow,
                    GParamSpec *pspec,
                    Watch      *watch)
{
  if (avatar_flow_get_asset_key (flow) != NULL)
    g_ptr_array_add (watch->asset_keys, g_strdup (avatar_flow_get_asset_key (flow)));
}

static void
clear_upload (gpointer upload)
{
  if (upload != NULL)
    g_object_unref (upload);
}

static void
watch_init (Watch      *watch,
            AvatarFlow *flow)
{
  watch->flow = flow;
  watch->states = g_array_new (FALSE, FALSE, sizeof (AvatarFlowState));
  watch->asset_keys = g_ptr_array_new_with_free_func (g_free);
  watch->uploads = g_ptr_array_new_with_free_func (clear_upload);
  watch->cancel_in = AVATAR_FLOW_STATE_IDLE;
  g_signal_connect (flow, "notify::state", G_CALLBACK (watch_state_cb), watch);
  g_signal_connect (flow, "notify::upload", G_CALLBACK (watch_upload_cb), watch);
  g_signal_connect (flow, "notify::asset-key", G_CALLBACK (watch_asset_key_cb), watch);
}

static void
watch_clear (Watch *watch)
{
  g_clear_pointer (&watch->states, g_array_unref);
  g_clear_pointer (&watch->asset_keys, g_ptr_array_unref);
  for (guint i = 0; i < watch->uploads->len; i++)
    if (g_ptr_array_index (watch->uploads, i) != NULL)
      g_signal_handlers_disconnect_by_data (g_ptr_array_index (watch->uploads, i), watch);
  g_clear_pointer (&watch->uploads, g_ptr_array_unref);
}

static gboolean
watch_saw (Watch           *watch,
           AvatarFlowState  state)
{
  for (guint i = 0; i < watch->states->len; i++)
    if (g_array_index (watch->states, AvatarFlowState, i) == state)
      return TRUE;

  return FALSE;
}

/* Drops the last reference and checks that nothing kept the flow alive:
 * every step in progress holds one. */
static void
assert_nothing_running (AvatarFlow *flow)
{
  gpointer weak = flow;

  /* No timer of the flow is left on the main context... */
  g_assert_null (g_main_context_find_source_by_user_data (NULL, flow));

  g_object_add_weak_pointer (G_OBJECT (flow), &weak);
  g_object_unref (flow);
  g_assert_null (weak);
}

/* Against avatar-devserver ----------------------------------------------- */

static AvatarProfile *
get_profile (AvatarTestFlowFixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  AvatarProfile *profile;

  avatar_client_get_profile_async (fixture->client, NULL, avatar_test_store_result, &result);
  profile = avatar_client_get_profile_finish (fixture->client, avatar_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return profile;
}

static void
test_whole_flow (AvatarTestFlowFixture *fixture,
                 gconstpointer          data)
{
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 300, 200);
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  static const AvatarFlowState expected[] = {
    AVATAR_FLOW_STATE_PREPARING,
    AVATAR_FLOW_STATE_REQUESTING,
    AVATAR_FLOW_STATE_UPLOADING,
    AVATAR_FLOW_STATE_PROCESSING,
    AVATAR_FLOW_STATE_FETCHING,
    AVATAR_FLOW_STATE_DONE,
  };
  AvatarFlowTimings timings;
  AvatarUpload *upload;
  Watch watch = { 0, };

  watch_init (&watch, flow);
  g_assert_cmpint (avatar_flow_get_state (flow), ==, AVATAR_FLOW_STATE_IDLE);
  g_assert_null (avatar_flow_get_variant (flow, AVATAR_VARIANT_44));
  g_assert_null (avatar_flow_get_upload (flow));

  g_assert_true (avatar_test_flow_run (flow, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (watch.states->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (g_array_index (watch.states, AvatarFlowState, i), ==, expected[i]);
  g_assert_null (avatar_flow_get_error (flow));

  profile = get_profile (fixture);
  g_assert_cmpstr (profile->avatar_url, ==, avatar_flow_get_avatar_url (flow));
  g_assert_nonnull (strstr (avatar_flow_get_avatar_url (flow), avatar_flow_get_asset_key (flow)));
  avatar_test_flow_assert_variants (flow, 200);

  /* The progress is the upload's, which the flow tells of once, before
   * it says uploading, and keeps at 100 % once done. */
  g_assert_cmpuint (watch.uploads->len, ==, 1);
  g_assert_true (watch.upload_before_uploading);
  upload = avatar_flow_get_upload (flow);
  g_assert_true (upload == g_ptr_array_index (watch.uploads, 0));
  g_assert_cmpfloat (avatar_upload_get_fraction (upload), ==, 1.0);
  g_assert_cmpuint (avatar_upload_get_bytes_sent (upload), ==, avatar_upload_get_bytes_total (upload));
  g_assert_cmpuint (avatar_upload_get_bytes_total (upload), ==,
                    g_bytes_get_size (avatar_flow_get_prepared (flow)->bytes));

  avatar_flow_get_timings (flow, &timings);
  g_assert_cmpint (timings.prepare_ms, >=, 0);
  g_assert_cmpint (timings.request_ms, >=, 0);
  g_assert_cmpint (timings.upload_ms, >=, 0);
  g_assert_cmpint (timings.processing_ms, >=, 0);
  g_assert_cmpint (timings.variants_ms, >=, 0);
  g_assert_cmpint (timings.total_ms, >=,
                   timings.prepare_ms + timings.request_ms + timings.upload_ms +
                   timings.processing_ms + timings.variants_ms);

  watch_clear (&watch);
}

/* A flow made from a prepared picture sends those very bytes: it prepares
 * nothing and shares them. */
static void
test_from_prepared (AvatarTestFlowFixture *fixture,
                    gconstpointer          data)
{
  g_autoptr(GBytes) bytes = avatar_test_image_new ("png", 300, 200);
  g_autoptr(AvatarImage) image = avatar_test_flow_image_new (bytes);
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(AvatarFlow) flow = NULL;
  g_autoptr(GError) error = NULL;
  Watch watch = { 0, };

  prepared = avatar_image_prepare (image, NULL, AVATAR_PREPARE_NONE, NULL, &error);
  g_assert_no_error (error);
  flow = avatar_flow_new_for_prepared (fixture->client, prepared);
  g_assert_true (avatar_flow_get_prepared (flow)->bytes == prepared->bytes);

  watch_init (&watch, flow);
  g_assert_true (avatar_test_flow_run (flow, &error));
  g_assert_no_error (error);

  g_assert_false (watch_saw (&watch, AVATAR_FLOW_STATE_PREPARING));
  g_assert_true (avatar_flow_get_prepared (flow)->bytes == prepared->bytes);
  g_assert_cmpuint (avatar_image_get_n_full_decodes (image), ==, 1);
  avatar_test_flow_assert_variants (flow, 200);
  watch_clear (&watch);
}

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

/* Each stage's time is its own: a slow stage shows in its timing. */
static void
test_timings (AvatarTestFlowFixture *fixture,
              gconstpointer          data)
{
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);
  g_autoptr(GError) error = NULL;
  AvatarFlowTimings timings;

  avatar_test_server_set_fault (fixture->server, "{\"route\": \"request-url\", \"delayMs\": 300, \"count\": 1}");
  avatar_test_server_set_fault (fixture->server, "{\"route\": \"upload\", \"delayMs\": 400, \"count\": 1}");
  /* Processing starts as the upload is stored, before its held-back answer. */
  avatar_test_server_set_fault (fixture->server, "{\"processingDelayMs\": 1000}");
  avatar_test_server_set_fault (fixture->server, "{\"route\": \"cdn\", \"delayMs\": 300}");

  g_assert_true (avatar_test_flow_run (flow, &error));
  g_assert_no_error (error);

  avatar_flow_get_timings (flow, &timings);
  g_assert_cmpint (timings.prepare_ms, >=, 0);
  g_assert_cmpint (timings.request_ms, >=, 300);
  g_assert_cmpint (timings.upload_ms, >=, 400);
  g_assert_cmpint (timings.processing_ms, >=, 500);
  g_assert_cmpint (timings.variants_ms, >=, 300);
  /* The five variants were fetched side by side, not one after another. */
  g_assert_cmpint (timings.variants_ms, <, 5 * 300);
  g_assert_cmpint (timings.total_ms, >=,
                   timings.prepare_ms + timings.request_ms + timings.upload_ms +
                   timings.processing_ms + timings.variants_ms);
}

/* Faults the flow rides out to the end, with every variant right. */
static const char * const faults_503[] = {
  "{\"route\": \"request-url\", \"status\": 503, \"count\": 1}",
  "{\"route\": \"upload\", \"status\": 503, \"count\": 1}",
  "{\"route\": \"profile\", \"status\": 503, \"count\": 2}",
  "{\"route\": \"cdn\", \"status\": 503, \"count\": 1}",
  NULL
};

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
test_faults_overcome (AvatarTestFlowFixture *fixture,
                      gconstpointer          data)
{
  const char * const *rules = data;
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);

  avatar_test_flow_run_with_faults (fixture, rules, flow);
  avatar_test_flow_assert_variants (flow, 120);
}

static void
test_fault_429 (AvatarTestFlowFixture *fixture,
                gconstpointer          data)
{
  static const char * const rules[] = {
    "{\"route\": \"request-url\", \"status\": 429, \"count\": 1, \"retryAfter\": 1}",
    NULL
  };
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);
  AvatarFlowTimings timings;

  avatar_test_flow_run_with_faults (fixture, rules, flow);
  avatar_flow_get_timings (flow, &timings);
  /* The pause the server asked for, not the shorter backoff. */
  g_assert_cmpint (timings.request_ms, >=, 950);
}

static void
test_fault_reset (AvatarTestFlowFixture *fixture,
                  gconstpointer          data)
{
  /* Two resets: libsoup restarts the PUT of a reused connection by itself
   * (the body must be set again for that), then the upload's own retry
   * sends it on a new one. The raw variant proves the whole body arrived. */
  static const char * const rules[] = {
    "{\"route\": \"upload\", \"resetAfterBytes\": 40000, \"count\": 2}",
    NULL
  };
  g_autoptr(GBytes) bytes = avatar_test_noise_png_new (200, FALSE, 0);
  g_autoptr(AvatarImage) image = avatar_test_flow_image_new (bytes);
  g_autoptr(AvatarFlow) flow = avatar_flow_new (fixture->client, image, NULL, AVATAR_PREPARE_NONE);

  g_assert_cmpuint (g_bytes_get_size (bytes), >, 80000);
  avatar_flow_set_fetch_raw (flow, TRUE);
  avatar_test_flow_run_with_faults (fixture, rules, flow);
  avatar_test_flow_assert_variants (flow, 200);
  g_assert_nonnull (avatar_flow_get_variant (flow, AVATAR_VARIANT_RAW)->bytes);
}

/* The devserver stores the first PUT but answers it after the client gave
 * up waiting; the retry to the same URL meets 412, and the flow goes on to
 * processing and the variants. */
static void
test_fault_put_answer_lost (AvatarTestFlowFixture *fixture,
                            gconstpointer          data)
{
  static const char * const rules[] = {
    "{\"route\": \"upload\", \"delayMs\": 8000, \"count\": 1}",
    NULL
  };
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);

  avatar_client_set_timeout (fixture->client, 2);
  avatar_test_flow_run_with_faults (fixture, rules, flow);
  g_assert_true (avatar_flow_get_sent (flow));
  avatar_test_flow_assert_variants (flow, 120);
}

static void
test_fault_expired_url (AvatarTestFlowFixture *fixture,
                        gconstpointer          data)
{
  /* The first URL lives a second, and its PUT is put off by two; the
   * second lives as long as usual, however slow the machine. */
  static const char * const rules[] = {
    "{\"presignExpiresS\": 1, \"count\": 1}",
    "{\"route\": \"upload\", \"status\": 503, \"count\": 1, \"retryAfter\": 2}",
    NULL
  };
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);
  Watch watch = { 0, };

  watch_init (&watch, flow);
  avatar_test_flow_run_with_faults (fixture, rules, flow);

  /* A second ticket replaced the expired one, and its asset won. */
  g_assert_cmpuint (watch.asset_keys->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (watch.asset_keys, 0), !=, g_ptr_array_index (watch.asset_keys, 1));
  g_assert_cmpstr (avatar_flow_get_asset_key (flow), ==, g_ptr_array_index (watch.asset_keys, 1));
  g_assert_nonnull (strstr (avatar_flow_get_avatar_url (flow), avatar_flow_get_asset_key (flow)));
  avatar_test_flow_assert_variants (flow, 120);

  watch_clear (&watch);
}

static void
test_fault_expired_token (AvatarTestFlowFixture *fixture,
                          gconstpointer          data)
{
  static const char * const rules[] = {
    "{\"expireAccessTokens\": true}",
    NULL
  };
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  avatar_test_flow_run_with_faults (fixture, rules, flow);

  g_assert_cmpuint (fixture->tokens_changed, ==, 1);
  access_token = avatar_client_dup_access_token (fixture->client);
  refresh_token = avatar_client_dup_refresh_token (fixture->client);
  g_assert_cmpstr (access_token, !=, fixture->server->access_token);
  g_assert_cmpstr (refresh_token, !=, fixture->server->refresh_token);
}

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

static void
test_rerun_after_failure (AvatarTestFlowFixture *fixture,
                          gconstpointer          data)
{
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);
  g_autoptr(GError) error = NULL;
  const AvatarPrepared *prepared;
  g_autoptr(GBytes) sent = NULL;
  Watch watch = { 0, };

  avatar_test_server_set_fault (fixture->server, "{\"route\": \"request-url\", \"status\": 400}");
  g_assert_false (avatar_test_flow_run (flow, &error));
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_SERVER);
  g_assert_cmpint (avatar_flow_get_state (flow), ==, AVATAR_FLOW_STATE_FAILED);
  g_clear_error (&error);

  prepared = avatar_flow_get_prepared (flow);
  g_assert_nonnull (prepared);
  sent = g_bytes_ref (prepared->bytes);

  avatar_test_server_clear_faults (fixture->server);
  watch_init (&watch, flow);
  g_assert_true (avatar_test_flow_run (flow, &error));
  g_assert_no_error (error);
  g_assert_null (avatar_flow_get_error (flow));

  /* The same bytes again, without preparing them anew. */
  g_assert_false (watch_saw (&watch, AVATAR_FLOW_STATE_PREPARING));
  g_assert_true (avatar_flow_get_prepared (flow)->bytes == sent);
  avatar_test_flow_assert_variants (flow, 120);

  watch_clear (&watch);
}

/* Slow stages, so that the cancel meets them in progress. */
static void
slow_down_stage (AvatarTestFlowFixture *fixture,
                 Watch                 *watch,
                 AvatarFlowState        state)
{
  if (state == AVATAR_FLOW_STATE_UPLOADING)
    {
      avatar_test_server_set_fault (fixture->server,
                                    "{\"route\": \"upload\", \"bytesPerSecond\": 20000, \"count\": 1}");
      watch->cancel_on_progress = TRUE;
    }
  else
    {
      watch->cancel_in = state;
    }
  if (state == AVATAR_FLOW_STATE_PROCESSING)
    avatar_test_server_set_fault (fixture->server, "{\"processingDelayMs\": 5000}");
  if (state == AVATAR_FLOW_STATE_FETCHING)
    avatar_test_server_set_fault (fixture->server, "{\"route\": \"cdn\", \"delayMs\": 5000}");
}

/* What a run cancelled in @state leaves: the cancel, in the words that fit
 * whether the PUT was answered. */
static void
assert_cancelled_in (AvatarTestFlowFixture *fixture,
                     AvatarFlow            *flow,
                     Watch                 *watch,
                     AvatarFlowState        state)
{
  g_assert_cmpint (avatar_flow_get_state (flow), ==, AVATAR_FLOW_STATE_CANCELLED);
  g_assert_error (avatar_flow_get_error (flow), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (watch_saw (watch, state));
  g_assert_null (avatar_flow_get_variant (flow, AVATAR_VARIANT_44));
  /* Before the PUT's answer, a cancel is a cancel: nothing was stored. */
  if (state <= AVATAR_FLOW_STATE_UPLOADING)
    {
      g_assert_false (avatar_flow_get_sent (flow));
      g_assert_cmpstr (avatar_flow_get_error (flow)->message, ==, "The upload was cancelled.");
      if (avatar_flow_get_asset_key (flow) != NULL)
        {
          g_autofree char *asset_state = avatar_test_server_dup_asset_state (fixture->server,
                                                                           avatar_flow_get_asset_key (flow),
                                                                           NULL);

          g_assert_cmpstr (asset_state, ==, "pending");
        }
    }
  else
    {
      g_assert_true (avatar_flow_get_sent (flow));
      g_assert_cmpstr (avatar_flow_get_error (flow)->message, ==, SENT_MESSAGE);
    }

  /* Once the run reported the cancel, nothing of it is left: no timer,
   * and no step in progress holding a reference on the flow. */
  g_assert_null (g_main_context_find_source_by_user_data (NULL, flow));
  g_assert_cmpuint (g_atomic_int_get (&G_OBJECT (flow)->ref_count), ==, 1);
}

/* A flow cancelled in @state runs again to the end, preparing again only
 * when it had not prepared yet, and through an upload of its own. */
static void
assert_runs_again (AvatarTestFlowFixture *fixture,
                   AvatarFlow            *flow,
                   Watch                 *watch,
                   AvatarFlowState        state,
                   int                    side)
{
  g_autoptr(GError) error = NULL;

  avatar_test_server_clear_faults (fixture->server);
  watch->cancel_in = AVATAR_FLOW_STATE_IDLE;
  watch->cancel_on_progress = FALSE;
  g_array_set_size (watch->states, 0);
  g_assert_true (avatar_test_flow_run (flow, &error));
  g_assert_no_error (error);
  g_assert_cmpint (watch_saw (watch, AVATAR_FLOW_STATE_PREPARING), ==, state == AVATAR_FLOW_STATE_PREPARING);
  avatar_test_flow_assert_variants (flow, side);
  /* The new run let go of the cancelled run's upload, then made its own. */
  g_assert_true (g_ptr_array_index (watch->uploads, watch->uploads->len - 1) == avatar_flow_get_upload (flow));
  if (state >= AVATAR_FLOW_STATE_UPLOADING)
    {
      g_assert_cmpuint (watch->uploads->len, ==, 3);
      g_assert_null (g_ptr_array_index (watch->uploads, 1));
      g_assert_true (g_ptr_array_index (watch->uploads, 0) != avatar_flow_get_upload (flow));
    }

  /* Cancelling a finished run changes nothing. */
  avatar_flow_cancel (flow);
  g_assert_cmpint (avatar_flow_get_state (flow), ==, AVATAR_FLOW_STATE_DONE);
  g_assert_null (avatar_flow_get_error (flow));
  avatar_test_flow_assert_variants (flow, side);
}

static void
test_cancel (AvatarTestFlowFixture *fixture,
             gconstpointer          data)
{
  AvatarFlowState state = GPOINTER_TO_INT (data);
  /* Larger than the socket buffers, for a cancel with bytes still to go. */
  int side = state == AVATAR_FLOW_STATE_UPLOADING ? 700 : 200;
  g_autoptr(GBytes) bytes = avatar_test_noise_png_new (side, FALSE, 0);
  g_autoptr(AvatarImage) image = avatar_test_flow_image_new (bytes);
  AvatarFlow *flow = avatar_flow_new (fixture->client, image, NULL, AVATAR_PREPARE_NONE);
  g_autoptr(GError) error = NULL;
  Watch watch = { 0, };
  gint64 start;

  watch_init (&watch, flow);
  slow_down_stage (fixture, &watch, state);

  start = g_get_monotonic_time ();
  g_assert_false (avatar_test_flow_run (flow, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_cancelled_in (fixture, flow, &watch, state);
  /* The slow stage was stopped, not waited for. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 4 * G_USEC_PER_SEC);

  assert_runs_again (fixture, flow, &watch, state, side);

  /* Nothing of either run is left holding the flow. */
  assert_nothing_running (flow);
  watch_clear (&watch);
}

static void
assert_becomes_avatar (AvatarTestFlowFixture *fixture,
                       AvatarFlow            *flow)
{
  g_autofree char *asset_state = NULL;
  g_autoptr(AvatarProfile) profile = NULL;

  asset_state = avatar_test_server_wait_processed (fixture->server, avatar_flow_get_asset_key (flow));
  g_assert_cmpstr (asset_state, ==, "ready");
  profile = get_profile (fixture);
  g_assert_nonnull (strstr (profile->avatar_url, avatar_flow_get_asset_key (flow)));
}

/* A cancel once the picture is the service's: after the PUT's answer, it
 * stops the wait and says so; once every byte is out, the object may be
 * stored before the answer comes, so the cancel waits for that answer and
 * tells the truth. The picture becomes the avatar all the same. */
typedef struct
{
  AvatarFlowState  cancel_in;
  gboolean         cancel_when_all_out;
  const char      *fault;
} SentCancel;

static const SentCancel cancel_after_put = {
  AVATAR_FLOW_STATE_PROCESSING, FALSE, "{\"processingDelayMs\": 1000}"
};
static const SentCancel cancel_body_out = {
  AVATAR_FLOW_STATE_IDLE, TRUE, "{\"route\": \"upload\", \"delayMs\": 1000, \"count\": 1}"
};

static void
test_cancel_once_sent (AvatarTestFlowFixture *fixture,
                       gconstpointer          data)
{
  const SentCancel *cancel = data;
  g_autoptr(AvatarFlow) flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);
  g_autoptr(GError) error = NULL;
  Watch watch = { 0, };

  watch_init (&watch, flow);
  watch.cancel_in = cancel->cancel_in;
  watch.cancel_when_all_out = cancel->cancel_when_all_out;
  avatar_test_server_set_fault (fixture->server, cancel->fault);

  g_assert_false (avatar_test_flow_run (flow, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, SENT_MESSAGE);
  g_assert_cmpint (avatar_flow_get_state (flow), ==, AVATAR_FLOW_STATE_CANCELLED);
  g_assert_true (avatar_flow_get_sent (flow));
  if (cancel->cancel_when_all_out)
    g_assert_false (watch_saw (&watch, AVATAR_FLOW_STATE_PROCESSING));
  assert_becomes_avatar (fixture, flow);

  watch_clear (&watch);
}

static void
test_cancel_idle (AvatarTestFlowFixture *fixture,
                  gconstpointer          data)
{
  AvatarFlow *flow = avatar_test_flow_pattern_new (fixture->client, 120, 120);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* Nothing to cancel yet. */
  avatar_flow_cancel (flow);
  g_assert_cmpint (avatar_flow_get_state (flow), ==, AVATAR_FLOW_STATE_IDLE);

  /* The caller's cancellable works as well as avatar_flow_cancel(). */
  g_cancellable_cancel (cancellable);
  avatar_flow_run_async (flow, cancellable, avatar_test_store_result, &result);
  g_assert_false (avatar_flow_run_finish (flow, avatar_test_wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (avatar_flow_get_state (flow), ==, AVATAR_FLOW_STATE_CANCELLED);

  /* The result holds the flow as its source. */
  g_clear_object (&result);
  assert_nothing_running (flow);
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
  static const struct {
    const char      *name;
    AvatarFlowState  state;
  } cancels[] = {
    { "preparing", AVATAR_FLOW_STATE_PREPARING },
    { "requesting", AVATAR_FLOW_STATE_REQUESTING },
    { "uploading", AVATAR_FLOW_STATE_UPLOADING },
    { "processing", AVATAR_FLOW_STATE_PROCESSING },
    { "fetching", AVATAR_FLOW_STATE_FETCHING },
  };

  g_test_init (&argc, &argv, NULL);

  g_test_add ("/flow/whole", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_whole_flow, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/timings", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_timings, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/from-prepared", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_from_prepared, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/previous-avatar", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_previous_avatar, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/fault/503-then-success", AvatarTestFlowFixture, faults_503,
              avatar_test_flow_fixture_setup, test_faults_overcome, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/fault/429-retry-after", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_fault_429, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/fault/reset-mid-upload", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_fault_reset, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/fault/put-answer-lost", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_fault_put_answer_lost, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/fault/expired-url", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_fault_expired_url, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/fault/expired-token", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_fault_expired_token, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/fault/processing-fail", AvatarTestFlowFixture, "fail",
              avatar_test_flow_fixture_setup, test_fault_processing, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/fault/processing-hang", AvatarTestFlowFixture, "hang",
              avatar_test_flow_fixture_setup, test_fault_processing, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/fault/poll-unavailable", AvatarTestFlowFixture, faults_poll_unavailable,
              avatar_test_flow_fixture_setup, test_faults_overcome, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/fault/processing-slow-poll", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_processing_slow_poll, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/rerun-after-failure", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_rerun_after_failure, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/cancel/idle", AvatarTestFlowFixture, NULL,
              avatar_test_flow_fixture_setup, test_cancel_idle, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/cancel/after-put", AvatarTestFlowFixture, &cancel_after_put,
              avatar_test_flow_fixture_setup, test_cancel_once_sent, avatar_test_flow_fixture_teardown);
  g_test_add ("/flow/cancel/body-out", AvatarTestFlowFixture, &cancel_body_out,
              avatar_test_flow_fixture_setup, test_cancel_once_sent, avatar_test_flow_fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (cancels); i++)
    {
      g_autofree char *path = g_strdup_printf ("/flow/cancel/%s", cancels[i].name);

      g_test_add (path, AvatarTestFlowFixture, GINT_TO_POINTER (cancels[i].state),
                  avatar_test_flow_fixture_setup, test_cancel, avatar_test_flow_fixture_teardown);
    }

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
