/* test-flow.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AvatarFlow's run end to end, against avatar-devserver on a loopback
 * port with its fault rules: the states it passes, its upload, its
 * timings, the faults it rides out, a run again after a failure, and
 * cancels at every stage. The wait for processing and the variants are
 * test-flow-wait.c's.
 */

#include "config.h"

#include <string.h>

#include "avatar-error.h"
#include "avatar-flow.h"
#include "avatar-test-flow.h"
#include "avatar-test-http.h"
#include "avatar-test-images.h"
#include "avatar-test-server.h"

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

  avatar_test_flow_add ("/flow/whole", NULL, test_whole_flow);
  avatar_test_flow_add ("/flow/timings", NULL, test_timings);
  avatar_test_flow_add ("/flow/from-prepared", NULL, test_from_prepared);
  avatar_test_flow_add ("/flow/fault/503-then-success", faults_503, avatar_test_flow_test_faults_overcome);
  avatar_test_flow_add ("/flow/fault/429-retry-after", NULL, test_fault_429);
  avatar_test_flow_add ("/flow/fault/reset-mid-upload", NULL, test_fault_reset);
  avatar_test_flow_add ("/flow/fault/put-answer-lost", NULL, test_fault_put_answer_lost);
  avatar_test_flow_add ("/flow/fault/expired-url", NULL, test_fault_expired_url);
  avatar_test_flow_add ("/flow/fault/expired-token", NULL, test_fault_expired_token);
  avatar_test_flow_add ("/flow/rerun-after-failure", NULL, test_rerun_after_failure);
  avatar_test_flow_add ("/flow/cancel/idle", NULL, test_cancel_idle);
  avatar_test_flow_add ("/flow/cancel/after-put", &cancel_after_put, test_cancel_once_sent);
  avatar_test_flow_add ("/flow/cancel/body-out", &cancel_body_out, test_cancel_once_sent);
  for (guint i = 0; i < G_N_ELEMENTS (cancels); i++)
    {
      g_autofree char *path = g_strdup_printf ("/flow/cancel/%s", cancels[i].name);

      avatar_test_flow_add (path, GINT_TO_POINTER (cancels[i].state), test_cancel);
    }

  return g_test_run ();
}
