/* avatar-upload.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#if defined(__linux__)
# include <sys/ioctl.h>
# include <linux/sockios.h>
#endif

#include "avatar-client-private.h"
#include "avatar-error.h"
#include "avatar-retry.h"
#include "avatar-upload-private.h"

/* Progress is sampled, and notified, about 30 times a second at most. */
#define SAMPLE_INTERVAL_MS (1000 / 30 + 1)

/* S3 answers a PUT with an empty body or a short XML error: no more than
 * this is read of any answer, however long it claims or turns out to be. */
#define MAX_ANSWER_SIZE    (64 * 1024)
#define READ_CHUNK_SIZE    (16 * 1024)

struct _AvatarUpload
{
  GObject       parent_instance;

  AvatarClient *client;
  GBytes       *bytes;
  char         *content_type;

  guint64       bytes_sent;
  guint64       bytes_total;
  gboolean      running;

  /* The try in progress: the body bytes handed to the connection, and its
   * socket, whose send queue tells how many of them the peer has not
   * acknowledged yet. */
  gboolean      measuring;
  guint64       written;
  GSocket      *socket;
  guint         sample_id;
};

G_DEFINE_FINAL_TYPE (AvatarUpload, avatar_upload, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BYTES_SENT,
  PROP_BYTES_TOTAL,
  PROP_FRACTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  AvatarTicket *ticket;
  guint         failures;
  gboolean      renewed;
  SoupMessage  *msg;
  gint64        started_us;
  /* The exchange in progress: cancelled with the task, or to drop the
   * rest of an answer longer than MAX_ANSWER_SIZE, since closing the
   * stream would first read all of it. */
  GCancellable *exchange;
  GCancellable *caller_cancellable;
  gulong        caller_cancelled_id;
  GInputStream *stream;
  GByteArray   *answer;
} Run;

static void
run_end_exchange (Run *run)
{
  if (run->caller_cancelled_id != 0)
    {
      g_cancellable_disconnect (run->caller_cancellable, run->caller_cancelled_id);
      run->caller_cancelled_id = 0;
    }

  g_clear_object (&run->stream);
  g_clear_pointer (&run->answer, g_byte_array_unref);
  g_clear_object (&run->exchange);
}

static void
run_free (Run *run)
{
  run_end_exchange (run);
  g_clear_object (&run->caller_cancellable);
  g_clear_pointer (&run->ticket, avatar_ticket_free);
  g_clear_object (&run->msg);
  g_free (run);
}

static void run_send (GTask *task);

/* Progress --------------------------------------------------------------- */

static void
upload_set_bytes_sent (AvatarUpload *self,
                       guint64       bytes_sent)
{
  bytes_sent = MIN (bytes_sent, self->bytes_total);
  if (self->bytes_sent == bytes_sent)
    return;

  self->bytes_sent = bytes_sent;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_SENT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
}

/* How many of the written bytes the peer has acknowledged, as far as can
 * be told. The kernel takes a whole body into its send buffer long before
 * a slow link carries it, so the written count alone runs far ahead. */
static guint64
upload_measure_acknowledged (AvatarUpload *self)
{
#ifdef SIOCOUTQ
  if (self->socket != NULL)
    {
      int unacknowledged = 0;

      /* The connection ended: only the answer can say more now. */
      if (g_socket_is_closed (self->socket))
        return self->bytes_sent;

      /* Everything in the queue counts as body, although under TLS it is
       * ciphertext with record headers and tags (22 to 29 bytes a 16 KiB
       * record with today's ciphers), and the request headers wait there
       * too at first: this errs low by that overhead, well under 1 % of
       * what is queued, and never reports bytes the peer does not have. */
      if (ioctl (g_socket_get_fd (self->socket), SIOCOUTQ, &unacknowledged) == 0)
        return self->written - MIN ((guint64) MAX (unacknowledged, 0), self->written);
    }
#endif

  return self->written;
}

static void
upload_sample (AvatarUpload *self)
{
  guint64 acknowledged = upload_measure_acknowledged (self);

  /* Never a step back within a try, for a wobble in the overhead. */
  upload_set_bytes_sent (self, MAX (acknowledged, self->bytes_sent));
}

static gboolean
sample_cb (gpointer user_data)
{
  AvatarUpload *self = user_data;

  upload_sample (self);

  /* Sampled again after the next write, if everything is acknowledged. */
  if (self->bytes_sent < MIN (self->written, self->bytes_total))
    return G_SOURCE_CONTINUE;

  self->sample_id = 0;
  return G_SOURCE_REMOVE;
}

static void
upload_stop_sampling (AvatarUpload *self)
{
  g_clear_handle_id (&self->sample_id, g_source_remove);
}

/* A try starts over from nothing: the bytes of an earlier one may never
 * have arrived, or went to an address that expired. */
static void
upload_begin_try (AvatarUpload *self)
{
  upload_stop_sampling (self);
  g_clear_object (&self->socket);
  self->written = 0;
  self->measuring = TRUE;
  upload_set_bytes_sent (self, 0);
}

static void
upload_end_try (AvatarUpload *self)
{
  upload_stop_sampling (self);
  g_clear_object (&self->socket);
  self->measuring = FALSE;
}

static void
network_event_cb (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  AvatarUpload       *self)
{
  /* The plain connection, also when TLS is later stacked on it. */
  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection))
    g_set_object (&self->socket, g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)));
}

static void
wrote_body_data_cb (SoupMessage  *msg,
                    guint         chunk_size,
                    AvatarUpload *self)
{
  if (!self->measuring)
    return;

  self->written += chunk_size;

  /* The timer paces the notifications, and keeps them coming after the
   * last write while the peer is still taking the rest in. */
  if (self->sample_id == 0)
    self->sample_id = g_timeout_add (SAMPLE_INTERVAL_MS, sample_cb, self);
}

static void
got_headers_cb (SoupMessage  *msg,
                AvatarUpload *self)
{
  if (!self->measuring)
    return;

  /* The answer came: on success the whole body counts, and an error
   * leaves the progress where it was. */
  upload_sample (self);
  upload_end_try (self);
}

/* The body --------------------------------------------------------------- */

static void
upload_set_body (AvatarUpload *self,
                 SoupMessage  *msg,
                 const char   *content_type)
{
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (self->bytes);

  /* A stream with a known length goes out with Content-Length: a
   * presigned PUT refuses chunked bodies. */
  soup_message_set_request_body (msg, content_type, stream, (gssize) g_bytes_get_size (self->bytes));
}

static void
restarted_cb (SoupMessage  *msg,
              AvatarUpload *self)
{
  const char *content_type = soup_message_headers_get_content_type (soup_message_get_request_headers (msg), NULL);
  g_autofree char *type = g_strdup (content_type);

  /* A restarted message would otherwise go out with an empty body. */
  upload_set_body (self, msg, type);
  upload_begin_try (self);
}

/* The run ---------------------------------------------------------------- */

/* FALSE when no further try is allowed, or the server asks for too long a pause. */
static gboolean
run_retry_later (GTask      *task,
                 const char *retry_after)
{
  Run *run = g_task_get_task_data (task);

  if (run->failures + 1 >= AVATAR_RETRY_MAX_TRIES)
    return FALSE;

  run->failures++;

  return avatar_retry_later (task, run->failures, retry_after, run_send);
}

static void
run_renewed_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  AvatarTicket *ticket;

  ticket = avatar_client_request_upload_finish (AVATAR_CLIENT (source), result, &error);
  if (ticket == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("Uploading again to a fresh URL");
  avatar_ticket_free (run->ticket);
  run->ticket = ticket;
  run->failures = 0;
  run_send (task);
}

static void
run_renew (GTask *task)
{
  AvatarUpload *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);

  run->renewed = TRUE;
  avatar_client_request_upload_async (self->client, self->content_type,
                                      g_task_get_cancellable (task),
                                      run_renewed_cb, g_object_ref (task));
}

/* No answer came: a passing failure is tried again, any other ends the
 * run. Takes @answer_error. */
static void
run_handle_no_answer (GTask  *task,
                      GError *answer_error)
{
  g_autoptr(GError) error = answer_error;

  if (avatar_retry_error_is_transient (error) && run_retry_later (task, NULL))
    return;

  error = avatar_client_wrap_error (g_steal_pointer (&error));
  if (g_error_matches (error, AVATAR_ERROR, AVATAR_ERROR_NETWORK))
    {
      g_autoptr(GError) network_error = g_steal_pointer (&error);

      error = g_error_new (AVATAR_ERROR, AVATAR_ERROR_NETWORK,
                           _("The upload was interrupted: %s"), network_error->message);
    }
  g_task_return_error (task, g_steal_pointer (&error));
}

/* The storage has the picture: the whole body counts. */
static void
run_return_stored (GTask *task)
{
  AvatarUpload *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);

  upload_set_bytes_sent (self, self->bytes_total);
  g_task_return_pointer (task, avatar_ticket_copy (run->ticket),
                         (GDestroyNotify) avatar_ticket_free);
}

/* Judges the answer to the PUT; takes @answer_body and @answer_error. */
static void
run_handle_answer (GTask  *task,
                   GBytes *answer_body,
                   GError *answer_error)
{
  AvatarUpload *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = g_steal_pointer (&run->msg);
  g_autoptr(GBytes) body = answer_body;
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;
  guint status;

  run_end_exchange (run);
  upload_end_try (self);
  avatar_client_log_exchange (msg, run->started_us, answer_error);

  if (body == NULL)
    {
      run_handle_no_answer (task, answer_error);
      return;
    }

  status = soup_message_get_status (msg);

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      run_return_stored (task);
      return;
    }

  avatar_upload_parse_s3_error (body, &code, &message);
  g_debug ("  storage error: %s: %s", code ? code : "-", message ? message : "-");

  /* Objects are written once: a PUT to a key that holds one is refused
   * with 412. The presigned URL is this ticket's alone, and only this
   * upload holds it, so a 412 to a repeat of the same body to the same URL
   * means that an earlier try stored it and its answer was lost. On the
   * first try to a URL, 412 stays an error: nothing of ours is there. */
  if (status == SOUP_STATUS_PRECONDITION_FAILED && run->failures > 0)
    {
      g_debug ("  an earlier try stored the picture");
      run_return_stored (task);
      return;
    }

  if (status == SOUP_STATUS_FORBIDDEN && avatar_upload_s3_error_is_expiry (code, message))
    {
      if (!run->renewed)
        run_renew (task);
      else
        g_task_return_new_error (task, AVATAR_ERROR, AVATAR_ERROR_URL_EXPIRED,
                                 _("The upload address expired, and so did a fresh one; check that this computer’s clock is right."));
      return;
    }

  if (avatar_retry_status_is_transient (status) &&
      run_retry_later (task, soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                           "Retry-After")))
    return;

  g_task_return_error (task, avatar_upload_s3_error_new (msg, code, message));
}

/* Reading the answer ----------------------------------------------------- */

static void run_read_more (GTask *task);

static void
run_read_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  gsize size;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      run_handle_answer (task, NULL, error);
      return;
    }

  size = g_bytes_get_size (chunk);
  g_byte_array_append (run->answer, g_bytes_get_data (chunk, NULL),
                       MIN (size, MAX_ANSWER_SIZE - run->answer->len));

  if (size == 0 || run->answer->len >= MAX_ANSWER_SIZE)
    {
      /* The status decides; what was read of the body is enough to
       * explain an error. The rest is not waited for. */
      if (size != 0)
        g_cancellable_cancel (run->exchange);

      run_handle_answer (task, g_byte_array_free_to_bytes (g_steal_pointer (&run->answer)), NULL);
      return;
    }

  run_read_more (task);
}

static void
run_read_more (GTask *task)
{
  Run *run = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (run->stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   run->exchange, run_read_cb, g_object_ref (task));
}

static void
run_sent_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  GError *error = NULL;

  run->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (run->stream == NULL)
    {
      run_handle_answer (task, NULL, error);
      return;
    }

  run->answer = g_byte_array_new ();
  run_read_more (task);
}

static void
forward_cancel_cb (GCancellable *caller_cancellable,
                   GCancellable *exchange)
{
  g_cancellable_cancel (exchange);
}

static void
run_send (GTask *task)
{
  AvatarUpload *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  const char *content_type;
  g_autoptr(GUri) uri = NULL;

  g_assert (run->msg == NULL);

  /* Exactly the type the URL was signed for. */
  content_type = run->ticket->content_type != NULL ? run->ticket->content_type : self->content_type;
  uri = g_uri_parse (run->ticket->upload_url, SOUP_HTTP_URI_FLAGS, NULL);
  g_assert (uri != NULL);

  run->msg = soup_message_new_from_uri (SOUP_METHOD_PUT, uri);
  /* A connection of its own, so that its socket is known (a reused one
   * announces nothing) and its send queue holds this body alone. */
  soup_message_add_flags (run->msg, SOUP_MESSAGE_NO_REDIRECT | SOUP_MESSAGE_NEW_CONNECTION);
  upload_set_body (self, run->msg, content_type);

  g_signal_connect_object (run->msg, "restarted", G_CALLBACK (restarted_cb), self, 0);
  g_signal_connect_object (run->msg, "network-event", G_CALLBACK (network_event_cb), self, 0);
  g_signal_connect_object (run->msg, "wrote-body-data", G_CALLBACK (wrote_body_data_cb), self, 0);
  g_signal_connect_object (run->msg, "got-headers", G_CALLBACK (got_headers_cb), self, 0);
  /* The presigned URL is the only credential the storage gets. */
  avatar_client_guard_message (self->client, run->msg);

  upload_begin_try (self);

  run->exchange = g_cancellable_new ();
  if (run->caller_cancellable != NULL)
    run->caller_cancelled_id = g_cancellable_connect (run->caller_cancellable,
                                                      G_CALLBACK (forward_cancel_cb),
                                                      run->exchange, NULL);

  run->started_us = g_get_monotonic_time ();
  soup_session_send_async (avatar_client_get_session (self->client), run->msg,
                           G_PRIORITY_DEFAULT, run->exchange,
                           run_sent_cb, g_object_ref (task));
}

static void
run_completed_cb (AvatarUpload *self)
{
  self->running = FALSE;
}

void
avatar_upload_run_async (AvatarUpload        *self,
                         const AvatarTicket  *ticket,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Run *run;

  g_return_if_fail (AVATAR_IS_UPLOAD (self));
  g_return_if_fail (ticket != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (!self->running);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, avatar_upload_run_async);
  g_task_set_check_cancellable (task, FALSE);

  if (!avatar_client_check_url (ticket->upload_url, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_error (task, avatar_error_new_cancelled ());
      return;
    }

  run = g_new0 (Run, 1);
  run->ticket = avatar_ticket_copy (ticket);
  run->caller_cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);

  self->running = TRUE;
  g_signal_connect_object (task, "notify::completed", G_CALLBACK (run_completed_cb),
                           self, G_CONNECT_SWAPPED);

  run_send (task);
}

AvatarTicket *
avatar_upload_run_finish (AvatarUpload  *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (AVATAR_IS_UPLOAD (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == avatar_upload_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The object ------------------------------------------------------------- */

static void
avatar_upload_finalize (GObject *object)
{
  AvatarUpload *self = (AvatarUpload *)object;

  upload_end_try (self);
  g_clear_object (&self->client);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_clear_pointer (&self->content_type, g_free);

  G_OBJECT_CLASS (avatar_upload_parent_class)->finalize (object);
}

static void
avatar_upload_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  AvatarUpload *self = AVATAR_UPLOAD (object);

  switch (prop_id)
    {
    case PROP_BYTES_SENT:
      g_value_set_uint64 (value, self->bytes_sent);
      break;

    case PROP_BYTES_TOTAL:
      g_value_set_uint64 (value, self->bytes_total);
      break;

    case PROP_FRACTION:
      g_value_set_double (value, avatar_upload_get_fraction (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_upload_class_init (AvatarUploadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = avatar_upload_finalize;
  object_class->get_property = avatar_upload_get_property;

  properties[PROP_BYTES_SENT] =
    g_param_spec_uint64 ("bytes-sent", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_BYTES_TOTAL] =
    g_param_spec_uint64 ("bytes-total", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL,
                         0.0, 1.0, 0.0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
avatar_upload_init (AvatarUpload *self)
{
}

AvatarUpload *
avatar_upload_new (AvatarClient *client,
                   GBytes       *bytes,
                   const char   *content_type)
{
  AvatarUpload *self;

  g_return_val_if_fail (AVATAR_IS_CLIENT (client), NULL);
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (content_type != NULL, NULL);

  self = g_object_new (AVATAR_TYPE_UPLOAD, NULL);
  self->client = g_object_ref (client);
  self->bytes = g_bytes_ref (bytes);
  self->content_type = g_strdup (content_type);
  self->bytes_total = g_bytes_get_size (bytes);

  return self;
}

guint64
avatar_upload_get_bytes_sent (AvatarUpload *self)
{
  g_return_val_if_fail (AVATAR_IS_UPLOAD (self), 0);

  return self->bytes_sent;
}

guint64
avatar_upload_get_bytes_total (AvatarUpload *self)
{
  g_return_val_if_fail (AVATAR_IS_UPLOAD (self), 0);

  return self->bytes_total;
}

double
avatar_upload_get_fraction (AvatarUpload *self)
{
  g_return_val_if_fail (AVATAR_IS_UPLOAD (self), 0.0);

  if (self->bytes_total == 0)
    return 0.0;

  return (double) self->bytes_sent / (double) self->bytes_total;
}
