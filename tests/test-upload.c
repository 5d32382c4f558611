/* test-upload.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AvatarUpload against a scripted storage server on one loopback port and
 * a scripted API on another, so that each origin sees what it gets.
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "avatar-error.h"
#include "avatar-retry.h"
#include "avatar-test-http.h"
#include "avatar-upload.h"

#define EXPIRED_XML "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
  "<Error><Code>AccessDenied</Code><Message>Request has expired</Message>" \
  "<RequestId>1</RequestId></Error>"
#define TOO_LARGE_XML "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
  "<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size</Message></Error>"
#define SIGNATURE_XML "<Error><Code>SignatureDoesNotMatch</Code>" \
  "<Message>The request signature we calculated does not match the signature you provided.</Message></Error>"
#define SLOW_DOWN_XML "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
#define PRECONDITION_XML "<Error><Code>PreconditionFailed</Code>" \
  "<Message>At least one of the pre-conditions you specified did not hold</Message></Error>"

typedef struct
{
  AvatarTestHttp *api;
  AvatarTestHttp *s3;
  AvatarClient   *client;
  GBytes         *bytes;
  /* The storage's script. */
  guint           expired_left;
  guint           failures_left;
  guint           failure_status;
  const char     *failure_body;
  const char     *redirect_to;
  gboolean        pause;
  GPtrArray      *paused;
  guint           tickets;
  /* An error answer streamed in chunks, when its total is set. */
  AvatarTestStream  answer;
  /* Body bytes the client handed to its connection for PUTs. */
  guint64         written;
  /* Objects are written once: a PUT once this is set gets 412. */
  gboolean        stored;
  /* The next PUT is stored, and its answer lost with its connection. */
  gboolean        lose_stored_answer;
  /* The upload put_bytes() ran last. */
  AvatarUpload   *upload;
} Fixture;

#define ANSWER_START "<Error><Code>InvalidRequest</Code><Message>Far too much to say.</Message><Padding>"

static void
api_handler (AvatarTestHttp          *http,
             SoupServerMessage       *msg,
             const AvatarTestRequest *request,
             gpointer                 user_data)
{
  Fixture *fixture = user_data;
  g_autofree char *json = NULL;

  if (!g_str_equal (request->path, "/users/me/avatar"))
    {
      avatar_test_respond (msg, 404, NULL, NULL);
      return;
    }

  fixture->tickets++;
  json = g_strdup_printf ("{\"uploadUrl\":\"%s/s3/bucket/k%u?X-Amz-Signature=abc\","
                          "\"assetKey\":\"k%u\",\"cdnUrl\":\"%s/cdn/k%u/original.webp\"}",
                          avatar_test_http_get_url (fixture->s3), fixture->tickets,
                          fixture->tickets,
                          avatar_test_http_get_url (fixture->s3), fixture->tickets);
  avatar_test_respond_json (msg, 200, json);
}

static void
s3_handler (AvatarTestHttp          *http,
            SoupServerMessage       *msg,
            const AvatarTestRequest *request,
            gpointer                 user_data)
{
  Fixture *fixture = user_data;

  if (fixture->pause)
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (fixture->paused, g_object_ref (msg));
      return;
    }

  if (fixture->answer.total > 0)
    {
      avatar_test_respond_streamed (msg, SOUP_STATUS_BAD_REQUEST, "application/xml",
                                    ANSWER_START, &fixture->answer);
      return;
    }

  if (fixture->redirect_to != NULL)
    {
      soup_server_message_set_redirect (msg, 307, fixture->redirect_to);
      return;
    }

  if (fixture->expired_left > 0)
    {
      fixture->expired_left--;
      avatar_test_respond (msg, 403, "application/xml", EXPIRED_XML);
      return;
    }

  if (fixture->failures_left > 0)
    {
      fixture->failures_left--;
      avatar_test_respond (msg, fixture->failure_status, "application/xml", fixture->failure_body);
      return;
    }

  if (fixture->stored)
    {
      avatar_test_respond (msg, 412, "application/xml", PRECONDITION_XML);
      return;
    }

  if (fixture->lose_stored_answer)
    {
      g_autoptr(GIOStream) connection = soup_server_message_steal_connection (msg);

      fixture->lose_stored_answer = FALSE;
      fixture->stored = TRUE;
      g_io_stream_close (connection, NULL, NULL);
      return;
    }

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", "\"etag\"");
  avatar_test_respond (msg, 200, NULL, NULL);
}

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint8 *payload;
  gsize size = GPOINTER_TO_SIZE (data) ? GPOINTER_TO_SIZE (data) : 200000;

  fixture->api = avatar_test_http_new (api_handler, fixture);
  fixture->s3 = avatar_test_http_new (s3_handler, fixture);
  fixture->paused = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->client = avatar_client_new (avatar_test_http_get_url (fixture->api), "test-app", &error);
  g_assert_no_error (error);
  avatar_client_set_tokens (fixture->client, "secret-access", "secret-refresh");

  payload = g_malloc (size);
  for (gsize i = 0; i < size; i++)
    payload[i] = (guint8) (i * 7 + i / 251);
  fixture->bytes = g_bytes_new_take (payload, size);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  g_clear_object (&fixture->upload);
  g_clear_object (&fixture->client);
  for (guint i = 0; i < fixture->paused->len; i++)
    soup_server_message_unpause (g_ptr_array_index (fixture->paused, i));
  g_ptr_array_unref (fixture->paused);
  g_clear_pointer (&fixture->api, avatar_test_http_free);
  g_clear_pointer (&fixture->s3, avatar_test_http_free);
  g_clear_pointer (&fixture->bytes, g_bytes_unref);
}

static AvatarTicket *
first_ticket (Fixture    *fixture,
              const char *content_type)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  AvatarTicket *ticket;

  avatar_client_request_upload_async (fixture->client, content_type, NULL,
                                      avatar_test_store_result, &result);
  ticket = avatar_client_request_upload_finish (fixture->client, avatar_test_wait_result (&result), &error);
  g_assert_no_error (error);

  return ticket;
}

static AvatarTicket *
run_upload (Fixture       *fixture,
            AvatarUpload  *upload,
            AvatarTicket  *ticket,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  avatar_upload_run_async (upload, ticket, cancellable, avatar_test_store_result, &result);

  return avatar_upload_run_finish (upload, avatar_test_wait_result (&result), error);
}

/* Puts the fixture's bytes, of @content_type, to the URL of a fresh ticket
 * for that type, through a new fixture->upload. Returns the ticket used. */
static AvatarTicket *
put_bytes (Fixture     *fixture,
           const char  *content_type,
           GError     **error)
{
  g_autoptr(AvatarTicket) ticket = first_ticket (fixture, content_type);

  g_clear_object (&fixture->upload);
  fixture->upload = avatar_upload_new (fixture->client, fixture->bytes, content_type);

  return run_upload (fixture, fixture->upload, ticket, NULL, error);
}

static void
assert_put_clean (Fixture                 *fixture,
                  const AvatarTestRequest *request,
                  const char              *content_type)
{
  g_assert_cmpstr (request->method, ==, "PUT");
  g_assert_cmpstr (soup_message_headers_get_one (request->headers, "Content-Type"), ==, content_type);
  g_assert_cmpint (soup_message_headers_get_content_length (request->headers), ==,
                   g_bytes_get_size (fixture->bytes));
  g_assert_cmpint (soup_message_headers_get_encoding (request->headers), ==, SOUP_ENCODING_CONTENT_LENGTH);
  g_assert_null (soup_message_headers_get_one (request->headers, "Authorization"));
  g_assert_null (soup_message_headers_get_one (request->headers, "x-app-id"));
  g_assert_true (g_bytes_equal (request->body, fixture->bytes));
}

typedef struct
{
  guint   notifications;
  double  last_fraction;
  gboolean monotonic;
} Progress;

static void
fraction_cb (AvatarUpload *upload,
             GParamSpec   *pspec,
             Progress     *progress)
{
  double fraction = avatar_upload_get_fraction (upload);

  if (fraction < progress->last_fraction)
    progress->monotonic = FALSE;
  progress->last_fraction = fraction;
  progress->notifications++;
}

static void
test_put (Fixture       *fixture,
          gconstpointer  data)
{
  g_autoptr(AvatarUpload) upload = NULL;
  g_autoptr(AvatarTicket) ticket = first_ticket (fixture, "image/png");
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;
  Progress progress = { 0, 0.0, TRUE };
  gint64 start;
  double seconds;

  upload = avatar_upload_new (fixture->client, fixture->bytes, "image/png");
  g_assert_cmpuint (avatar_upload_get_bytes_total (upload), ==, g_bytes_get_size (fixture->bytes));
  g_signal_connect (upload, "notify::fraction", G_CALLBACK (fraction_cb), &progress);

  start = g_get_monotonic_time ();
  used = run_upload (fixture, upload, ticket, NULL, &error);
  seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_assert_no_error (error);
  g_assert_cmpstr (used->asset_key, ==, "k1");

  g_assert_cmpuint (avatar_test_http_count (fixture->s3, "PUT", NULL), ==, 1);
  assert_put_clean (fixture, g_ptr_array_index (avatar_test_http_get_requests (fixture->s3), 0), "image/png");
  g_assert_cmpstr (avatar_test_http_last (fixture->s3, "/s3/bucket/k1")->query, ==, "X-Amz-Signature=abc");

  /* The end is always reported, and the rest at about 30 a second. */
  g_assert_cmpuint (avatar_upload_get_bytes_sent (upload), ==, g_bytes_get_size (fixture->bytes));
  g_assert_cmpfloat (progress.last_fraction, ==, 1.0);
  g_assert_true (progress.monotonic);
  g_assert_cmpuint (progress.notifications, >=, 1);
  g_assert_cmpfloat (progress.notifications, <=, 3 + seconds * 31);
}

static void
put_wrote_body_data_cb (SoupMessage *msg,
                        guint        chunk_size,
                        Fixture     *fixture)
{
  fixture->written += chunk_size;
}

static void
request_queued_cb (SoupSession *session,
                   SoupMessage *msg,
                   Fixture     *fixture)
{
  if (g_str_equal (soup_message_get_method (msg), SOUP_METHOD_PUT))
    g_signal_connect (msg, "wrote-body-data", G_CALLBACK (put_wrote_body_data_cb), fixture);
}

static gboolean
set_flag_cb (gpointer user_data)
{
  gboolean *flag = user_data;

  *flag = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
wake_up_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main context for a while, for what should not happen. */
static void
watch_for (guint ms)
{
  gboolean over = FALSE;

  g_timeout_add (ms, set_flag_cb, &over);
  avatar_test_wait_flag (&over);
}

/* Until the client handed over @written bytes and the server holds the body. */
static void
wait_written_and_held (Fixture *fixture,
                       guint64  written)
{
  gint64 deadline = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  guint wake_up = g_timeout_add (100, wake_up_cb, NULL);

  while (fixture->written < written || avatar_test_http_get_held (fixture->s3) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (wake_up);
}

static void
wait_bytes_sent (AvatarUpload *upload,
                 guint64       bytes_sent)
{
  gint64 deadline = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  guint wake_up = g_timeout_add (100, wake_up_cb, NULL);

  while (avatar_upload_get_bytes_sent (upload) < bytes_sent)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (wake_up);
}

/* Bytes handed to the connection are not bytes the server received: with
 * a server that has stopped reading, most of the body sits in the client's
 * send buffer, and the progress says only what reached the server. */
static void
test_progress_acknowledged (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(AvatarUpload) upload = NULL;
  g_autoptr(AvatarTicket) ticket = first_ticket (fixture, "image/png");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;
  Progress progress = { 0, 0.0, TRUE };
  guint64 total = g_bytes_get_size (fixture->bytes);
  guint64 reached;
  SoupServerMessage *msg;

  avatar_test_http_hold_bodies (fixture->s3);
  g_signal_connect (avatar_client_get_session (fixture->client), "request-queued",
                    G_CALLBACK (request_queued_cb), fixture);
  upload = avatar_upload_new (fixture->client, fixture->bytes, "image/png");
  g_signal_connect (upload, "notify::fraction", G_CALLBACK (fraction_cb), &progress);
  avatar_upload_run_async (upload, ticket, NULL, avatar_test_store_result, &result);

  /* Far more handed over than the server can have been given (the send
   * buffer on loopback grows well past this)... */
  wait_written_and_held (fixture, total / 4);
  watch_for (300);

  /* ...and the progress tells what the server took in: what it read, and
   * at most its small receive buffer besides. */
  g_test_message ("Handed over %" G_GUINT64_FORMAT ", server read %" G_GUINT64_FORMAT
                  ", reported %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT,
                  fixture->written, avatar_test_http_get_body_read (fixture->s3),
                  avatar_upload_get_bytes_sent (upload), total);
  g_assert_cmpuint (avatar_upload_get_bytes_sent (upload), <=,
                    avatar_test_http_get_body_read (fixture->s3) + 256 * 1024);
  g_assert_cmpfloat (progress.last_fraction, <, 0.5);
  g_assert_null (result);

  /* The server reads it all but keeps its answer: the progress keeps
   * moving after the last write, up to the whole body. */
  fixture->pause = TRUE;
  avatar_test_http_release (fixture->s3);
  wait_bytes_sent (upload, total);
  reached = avatar_upload_get_bytes_sent (upload);
  g_assert_cmpuint (reached, ==, total);
  g_assert_cmpuint (fixture->paused->len, ==, 1);
  g_assert_null (result);

  /* And the answer ends it at 100 %. */
  msg = g_ptr_array_index (fixture->paused, 0);
  avatar_test_respond (msg, 200, NULL, NULL);
  soup_server_message_unpause (msg);
  g_ptr_array_set_size (fixture->paused, 0);
  used = avatar_upload_run_finish (upload, avatar_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (used);
  assert_put_clean (fixture, avatar_test_http_last (fixture->s3, "/s3/bucket/k1"), "image/png");
  g_assert_cmpfloat (progress.last_fraction, ==, 1.0);
  g_assert_true (progress.monotonic);

  g_signal_handlers_disconnect_by_func (avatar_client_get_session (fixture->client),
                                        request_queued_cb, fixture);
}

static void
test_ticket_content_type (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(AvatarUpload) upload = NULL;
  g_autoptr(AvatarTicket) ticket = first_ticket (fixture, "image/png");
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;

  /* The URL is signed for the ticket's type: that one goes out. */
  g_free (ticket->content_type);
  ticket->content_type = g_strdup ("image/webp");
  upload = avatar_upload_new (fixture->client, fixture->bytes, "image/png");
  used = run_upload (fixture, upload, ticket, NULL, &error);
  g_assert_no_error (error);
  assert_put_clean (fixture, g_ptr_array_index (avatar_test_http_get_requests (fixture->s3), 0), "image/webp");
}

/* Stored under the first ticket's URL, without a fresh one, and the
 * progress ends at 100 %. */
static void
assert_stored_with_first_ticket (Fixture            *fixture,
                                 const AvatarTicket *used)
{
  g_assert_nonnull (used);
  g_assert_cmpstr (used->asset_key, ==, "k1");
  g_assert_cmpuint (fixture->tickets, ==, 1);
  g_assert_cmpfloat (avatar_upload_get_fraction (fixture->upload), ==, 1.0);
}

static void
test_retry_5xx (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *requests;

  fixture->failures_left = 2;
  fixture->failure_status = 503;
  fixture->failure_body = SLOW_DOWN_XML;
  used = put_bytes (fixture, "image/jpeg", &error);
  g_assert_no_error (error);
  assert_stored_with_first_ticket (fixture, used);

  /* Every try carries the whole body again. */
  requests = avatar_test_http_get_requests (fixture->s3);
  g_assert_cmpuint (requests->len, ==, 3);
  for (guint i = 0; i < requests->len; i++)
    assert_put_clean (fixture, g_ptr_array_index (requests, i), "image/jpeg");
}

/* The storage kept the first PUT but its answer never came: the retry to
 * the same URL meets 412, which says the picture is there. */
static void
test_retry_stored_answer_lost (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;

  fixture->lose_stored_answer = TRUE;
  used = put_bytes (fixture, "image/jpeg", &error);
  g_assert_no_error (error);
  assert_stored_with_first_ticket (fixture, used);
  g_assert_true (fixture->stored);
  g_assert_cmpuint (avatar_test_http_count (fixture->s3, "PUT", NULL), ==, 2);
}

/* On the first try, 412 means the key holds something this upload did not
 * send: that stays an error. */
static void
test_precondition_failed_first (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;

  fixture->stored = TRUE;
  used = put_bytes (fixture, "image/jpeg", &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_UPLOAD_REJECTED);
  g_assert_nonnull (strstr (error->message, "PreconditionFailed"));
  g_assert_null (used);
  g_assert_cmpuint (avatar_test_http_count (fixture->s3, "PUT", NULL), ==, 1);
}

static void
test_retry_gives_up (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;

  fixture->failures_left = 100;
  fixture->failure_status = 500;
  fixture->failure_body = "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>";
  used = put_bytes (fixture, "image/jpeg", &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_UPLOAD_REJECTED);
  g_assert_nonnull (strstr (error->message, "InternalError"));
  g_assert_nonnull (strstr (error->message, "We encountered an internal error."));
  g_assert_cmpuint (avatar_test_http_count (fixture->s3, "PUT", NULL), ==, AVATAR_RETRY_MAX_TRIES);
}

static void
test_rejected (Fixture       *fixture,
               gconstpointer  data)
{
  static const struct {
    guint status;
    const char *body;
    const char *code;
    const char *message;
  } cases[] = {
    { 400, TOO_LARGE_XML, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size" },
    { 403, SIGNATURE_XML, "SignatureDoesNotMatch", "does not match" },
    { 405, "<Error><Code>MethodNotAllowed</Code></Error>", "MethodNotAllowed", NULL },
    { 400, "not xml at all", NULL, "400 Bad Request" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(AvatarTicket) used = NULL;
      g_autoptr(GError) error = NULL;
      guint puts = avatar_test_http_count (fixture->s3, "PUT", NULL);
      guint tickets = fixture->tickets;

      fixture->failures_left = 1;
      fixture->failure_status = cases[i].status;
      fixture->failure_body = cases[i].body;
      used = put_bytes (fixture, "image/png", &error);
      g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_UPLOAD_REJECTED);
      g_assert_null (used);
      if (cases[i].code != NULL)
        g_assert_nonnull (strstr (error->message, cases[i].code));
      if (cases[i].message != NULL)
        g_assert_nonnull (strstr (error->message, cases[i].message));

      /* Neither repeated nor renewed: one PUT, with the one ticket. */
      g_assert_cmpuint (avatar_test_http_count (fixture->s3, "PUT", NULL), ==, puts + 1);
      g_assert_cmpuint (fixture->tickets, ==, tickets + 1);
      fixture->failures_left = 0;
    }
}

/* An answer far longer than any S3 error is not read to its end: what
 * came first explains the error, and the rest is not waited for. */
static void
assert_long_answer_cut (Fixture  *fixture,
                        gboolean  announced)
{
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;

  fixture->answer.total = 256 * 1024 * 1024;
  fixture->answer.announce_length = announced;
  used = put_bytes (fixture, "image/png", &error);

  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_UPLOAD_REJECTED);
  g_assert_null (used);
  g_assert_nonnull (strstr (error->message, "InvalidRequest"));
  g_assert_nonnull (strstr (error->message, "Far too much to say."));
  g_assert_cmpuint (avatar_test_http_count (fixture->s3, "PUT", NULL), ==, 1);

  /* The server queued what was read plus what the sockets' buffers hold,
   * far from the whole answer. */
  g_assert_cmpuint (fixture->answer.queued, <, 32 * 1024 * 1024);
}

static void
test_long_answer_chunked (Fixture       *fixture,
                          gconstpointer  data)
{
  assert_long_answer_cut (fixture, FALSE);
}

static void
test_long_answer_with_length (Fixture       *fixture,
                              gconstpointer  data)
{
  assert_long_answer_cut (fixture, TRUE);
}

static void
test_expired_renewed (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;
  const AvatarTestRequest *renewal;
  g_autoptr(JsonNode) body = NULL;

  fixture->expired_left = 1;
  used = put_bytes (fixture, "image/gif", &error);
  g_assert_no_error (error);

  /* A fresh ticket for the same type, and its URL used from the start. */
  g_assert_cmpstr (used->asset_key, ==, "k2");
  g_assert_cmpstr (used->content_type, ==, "image/gif");
  g_assert_cmpuint (fixture->tickets, ==, 2);
  renewal = avatar_test_http_last (fixture->api, "/users/me/avatar");
  body = json_from_string (g_bytes_get_data (renewal->body, NULL), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "contentType"), ==, "image/gif");

  g_assert_cmpuint (avatar_test_http_count (fixture->s3, "PUT", "/s3/bucket/k1"), ==, 1);
  g_assert_cmpuint (avatar_test_http_count (fixture->s3, "PUT", "/s3/bucket/k2"), ==, 1);
  assert_put_clean (fixture, avatar_test_http_last (fixture->s3, "/s3/bucket/k2"), "image/gif");
}

static void
test_expired_twice (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;

  fixture->expired_left = 5;
  used = put_bytes (fixture, "image/png", &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_URL_EXPIRED);
  g_assert_null (used);
  /* One fresh URL, not an endless chase. */
  g_assert_cmpuint (fixture->tickets, ==, 2);
  g_assert_cmpuint (avatar_test_http_count (fixture->s3, "PUT", NULL), ==, 2);
}

static void
test_redirect_not_followed (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = g_strconcat (avatar_test_http_get_url (fixture->api), "/steal", NULL);

  fixture->redirect_to = target;
  used = put_bytes (fixture, "image/png", &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_UPLOAD_REJECTED);
  g_assert_cmpuint (avatar_test_http_count (fixture->api, NULL, "/steal"), ==, 0);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(AvatarUpload) upload = NULL;
  g_autoptr(AvatarTicket) ticket = first_ticket (fixture, "image/png");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;

  fixture->pause = TRUE;
  upload = avatar_upload_new (fixture->client, fixture->bytes, "image/png");
  avatar_upload_run_async (upload, ticket, cancellable, avatar_test_store_result, &result);
  while (avatar_test_http_count (fixture->s3, "PUT", NULL) == 0)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);

  used = avatar_upload_run_finish (upload, avatar_test_wait_result (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (used);
}

static void
test_insecure_ticket (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(AvatarUpload) upload = NULL;
  g_autoptr(AvatarTicket) used = NULL;
  g_autoptr(GError) error = NULL;
  AvatarTicket ticket = {
    .upload_url = (char *) "http://s3.example.com/bucket/k",
    .asset_key = (char *) "k",
    .cdn_url = (char *) "https://cdn.example.com/k/original.webp",
    .content_type = (char *) "image/png",
  };

  upload = avatar_upload_new (fixture->client, fixture->bytes, "image/png");
  used = run_upload (fixture, upload, &ticket, NULL, &error);
  g_assert_error (error, AVATAR_ERROR, AVATAR_ERROR_INSECURE_URL);
}

static void
add_test (const char *path,
          gsize       size,
          void      (*test) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, GSIZE_TO_POINTER (size), setup, test, teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_test ("/upload/put", 3 * 1024 * 1024, test_put);
  add_test ("/upload/progress/acknowledged", 4 * 1024 * 1024, test_progress_acknowledged);
  add_test ("/upload/ticket-content-type", 0, test_ticket_content_type);
  add_test ("/upload/retry/5xx-then-success", 0, test_retry_5xx);
  add_test ("/upload/retry/gives-up", 0, test_retry_gives_up);
  add_test ("/upload/retry/stored-answer-lost", 0, test_retry_stored_answer_lost);
  add_test ("/upload/precondition-failed-first", 0, test_precondition_failed_first);
  add_test ("/upload/rejected", 0, test_rejected);
  add_test ("/upload/long-answer/chunked", 0, test_long_answer_chunked);
  add_test ("/upload/long-answer/with-length", 0, test_long_answer_with_length);
  add_test ("/upload/expired/renewed", 0, test_expired_renewed);
  add_test ("/upload/expired/twice", 0, test_expired_twice);
  add_test ("/upload/redirect-not-followed", 0, test_redirect_not_followed);
  add_test ("/upload/cancel", 0, test_cancel);
  add_test ("/upload/insecure-ticket", 0, test_insecure_ticket);

  return g_test_run ();
}
