/* avatar-http-guard.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What stands between a client's socket and libsoup's HTTP/1 parser.
 *
 * libsoup 3.2 reads a request head before any handler runs, and what it
 * does with a few malformed heads cannot be changed from a handler: two
 * different Content-Length headers are taken as the last one, a negative
 * or 20-digit one as a body that never ends, and an unknown
 * Transfer-Encoding or a Content-Length with trailing characters leaks the
 * request path (fixed in later libsoup).  So the guard reads each head
 * whole, checks it, and only then hands it on; a bad head is answered here
 * with a short response and the connection closed.  Bodies pass through as
 * they come, their framing followed so that the next head is found.
 *
 * The guard also keeps the time: a head must be complete within the header
 * timeout of its first byte, and a connection on which a request is
 * expected or being read must not stay silent longer than the idle
 * timeout.  Time spent while libsoup itself does not read (a handler that
 * paused the message, a response being written) does not count. */

#include "config.h"

#include <string.h>

#include "avatar-http-guard.h"

#define READ_BLOCK 8192
/* A chunk-size line or a trailer line longer than this is not HTTP. */
#define MAX_LINE 4096
/* How long a refused client gets to read the refusal before the socket is
 * closed under it. */
#define LINGER_S 2

/* The input side */

typedef enum
{
  STATE_HEAD,
  STATE_BODY,
  STATE_CHUNK_SIZE,
  STATE_CHUNK_DATA,
  STATE_CHUNK_END,
  STATE_TRAILER,
  STATE_REFUSED,
  STATE_CLOSED,
} GuardState;

#define AVATAR_TYPE_GUARD_INPUT (avatar_guard_input_get_type ())

G_DECLARE_FINAL_TYPE (AvatarGuardInput, avatar_guard_input, AVATAR, GUARD_INPUT, GFilterInputStream)

struct _AvatarGuardInput
{
  GFilterInputStream  parent_instance;

  /* Not owned: the guard owns this stream and outlives it in use. */
  GSocket            *socket;
  GOutputStream      *output;
  guint               header_timeout_s;
  guint               idle_timeout_s;

  GuardState          state;
  GByteArray         *head;
  GByteArray         *line;
  GByteArray         *ready;
  gsize               ready_pos;
  guint64             remaining;
  gboolean            eof;

  GSource            *deadline;
  GSource            *idle;
};

static void avatar_guard_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AvatarGuardInput, avatar_guard_input, G_TYPE_FILTER_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      avatar_guard_input_pollable_init))

static void
clear_source (GSource **source)
{
  if (*source)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
cut (AvatarGuardInput *self)
{
  clear_source (&self->deadline);
  clear_source (&self->idle);
  self->state = STATE_CLOSED;
  if (self->socket)
    g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
}

static gboolean
timer_expired (gpointer data)
{
  AvatarGuardInput *self = data;

  if (self->state == STATE_HEAD)
    g_message ("Closing a connection that did not send a request in time");
  cut (self);

  return G_SOURCE_REMOVE;
}

static void
arm (AvatarGuardInput  *self,
     GSource          **source,
     guint              seconds)
{
  clear_source (source);
  *source = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (*source, timer_expired, self, NULL);
  g_source_attach (*source, g_main_context_get_thread_default ());
}

/* Answers a refused head and stops reading requests: the client reads the
 * answer, then the end of the stream. */
static void
refuse (AvatarGuardInput *self,
        guint             status)
{
  const char *reason = status == 431 ? "Request Header Fields Too Large"
                       : status == 501 ? "Not Implemented" : "Bad Request";
  g_autofree char *response = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                                               "Connection: close\r\n"
                                               "Content-Length: 0\r\n"
                                               "\r\n", status, reason);

  g_message ("Refusing a request with status %u: its head is malformed", status);

  /* A few bytes into an empty send buffer: this does not block. */
  g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->output),
                                              response, strlen (response), NULL, NULL);
  g_socket_shutdown (self->socket, FALSE, TRUE, NULL);

  self->state = STATE_REFUSED;
  g_byte_array_set_size (self->head, 0);
  clear_source (&self->idle);
  arm (self, &self->deadline, LINGER_S);
}

static void
pass (AvatarGuardInput *self,
      const guint8     *data,
      gsize             len)
{
  g_byte_array_append (self->ready, data, (guint) len);
}

/* Collects a line of a chunked body into self->line and passes it on;
 * returns how many bytes it took and whether the line is complete.  A line
 * that grows too long closes the connection. */
static gsize
take_line (AvatarGuardInput *self,
           const guint8     *data,
           gsize             len,
           gboolean         *complete)
{
  const guint8 *eol = memchr (data, '\n', len);
  gsize taken = eol ? (gsize) (eol - data) + 1 : len;

  g_byte_array_append (self->line, data, (guint) taken);
  pass (self, data, taken);
  *complete = eol != NULL;
  if (!*complete && self->line->len > MAX_LINE)
    self->state = STATE_CLOSED;

  return taken;
}

static gboolean
line_is_empty (GByteArray *line)
{
  return line->len == 1 || (line->len == 2 && line->data[0] == '\r');
}

static gboolean
parse_chunk_size (GByteArray *line,
                  guint64    *size)
{
  guint64 value = 0;
  guint digits = 0;

  for (guint i = 0; i < line->len && g_ascii_isxdigit (line->data[i]); i++)
    {
      /* 2^40 bytes is more than any request here; stop before overflow. */
      if (++digits > 10)
        return FALSE;
      value = value * 16 + (guint64) g_ascii_xdigit_value (line->data[i]);
    }

  *size = value;

  return digits > 0;
}

/* Where a head ends: an LF followed by an empty line, as libsoup reads it. */
static gssize
find_head_end (GByteArray *head,
               gsize       from)
{
  for (gsize i = from > 2 ? from - 2 : 0; i < head->len; i++)
    {
      if (head->data[i] != '\n')
        continue;
      if (i + 1 < head->len && head->data[i + 1] == '\n')
        return (gssize) (i + 2);
      if (i + 2 < head->len && head->data[i + 1] == '\r' && head->data[i + 2] == '\n')
        return (gssize) (i + 3);
    }

  return -1;
}

static void
head_complete (AvatarGuardInput *self,
               gsize             head_len)
{
  AvatarHttpBody body;
  guint64 length;
  guint status = avatar_http_check_head ((const char *) self->head->data, head_len, &body, &length);

  clear_source (&self->deadline);

  if (status != 0)
    {
      refuse (self, status);
      return;
    }

  pass (self, self->head->data, head_len);
  g_byte_array_remove_range (self->head, 0, (guint) head_len);

  switch (body)
    {
    case AVATAR_HTTP_BODY_LENGTH:
      self->state = STATE_BODY;
      self->remaining = length;
      break;
    case AVATAR_HTTP_BODY_CHUNKED:
      self->state = STATE_CHUNK_SIZE;
      g_byte_array_set_size (self->line, 0);
      break;
    case AVATAR_HTTP_BODY_NONE:
    default:
      self->state = STATE_HEAD;
      break;
    }
}

/* A head that the end of the stream cut short goes to libsoup, which says
 * what it thinks of it; but libsoup 3.6 reads the header lines it got as a
 * head, so they pass the same check as a whole one first. */
static void
head_cut_short (AvatarGuardInput *self)
{
  AvatarHttpBody body;
  guint64 length;
  guint status = avatar_http_check_head ((const char *) self->head->data, self->head->len, &body, &length);

  if (status != 0)
    refuse (self, status);
  else
    pass (self, self->head->data, self->head->len);
}

static void feed (AvatarGuardInput *self,
                  const guint8     *data,
                  gsize             len);

/* STATE_HEAD: collects a head until it is complete, then checks it. */
static gsize
feed_head (AvatarGuardInput *self,
           const guint8     *data,
           gsize             len)
{
  gsize before = self->head->len;
  gsize taken = 0;
  gssize end;

  /* Empty lines before a request line are skipped, as libsoup
   * would, so that heads are cut where libsoup cuts them. */
  if (before == 0)
    {
      while (taken < len && (data[taken] == '\r' || data[taken] == '\n'))
        taken++;
      if (taken == len)
        return taken;
      arm (self, &self->deadline, self->header_timeout_s);
    }

  g_byte_array_append (self->head, data + taken, (guint) (len - taken));
  end = find_head_end (self->head, before);
  if (end >= 0)
    {
      /* What came after the head goes round again. */
      g_autoptr(GByteArray) rest = g_byte_array_new ();

      g_byte_array_append (rest, self->head->data + end, self->head->len - (guint) end);
      g_byte_array_set_size (self->head, (guint) end);
      head_complete (self, (gsize) end);
      if (self->state != STATE_REFUSED && rest->len > 0)
        feed (self, rest->data, rest->len);
    }
  else if (self->head->len > AVATAR_HTTP_MAX_HEAD)
    {
      clear_source (&self->deadline);
      refuse (self, 431);
    }

  return len;
}

/* STATE_BODY and STATE_CHUNK_DATA: passes self->remaining bytes on, then
 * goes to @next. */
static gsize
feed_data (AvatarGuardInput *self,
           const guint8     *data,
           gsize             len,
           GuardState        next)
{
  gsize taken = (gsize) MIN ((guint64) len, self->remaining);

  pass (self, data, taken);
  self->remaining -= taken;
  if (self->remaining == 0)
    self->state = next;

  return taken;
}

/* STATE_CHUNK_SIZE: the line that gives the size of the next chunk. */
static gsize
feed_chunk_size (AvatarGuardInput *self,
                 const guint8     *data,
                 gsize             len)
{
  gboolean complete;
  gsize taken = take_line (self, data, len, &complete);
  guint64 size;

  if (!complete)
    return taken;

  if (!parse_chunk_size (self->line, &size))
    {
      /* libsoup fails the body; nothing after it is a request. */
      self->state = STATE_CLOSED;
      return taken;
    }
  self->remaining = size;
  self->state = size > 0 ? STATE_CHUNK_DATA : STATE_TRAILER;
  g_byte_array_set_size (self->line, 0);

  return taken;
}

/* STATE_CHUNK_END and STATE_TRAILER: the line that ends a chunk, or the
 * trailer lines up to the empty one that ends the body. */
static gsize
feed_chunk_line (AvatarGuardInput *self,
                 const guint8     *data,
                 gsize             len)
{
  gboolean complete;
  gsize taken = take_line (self, data, len, &complete);

  if (!complete)
    return taken;

  if (self->state == STATE_CHUNK_END)
    self->state = STATE_CHUNK_SIZE;
  else if (line_is_empty (self->line))
    self->state = STATE_HEAD;
  g_byte_array_set_size (self->line, 0);

  return taken;
}

/* Takes bytes from the head buffer (what followed the last head) and
 * @data through the framing; what may reach libsoup goes to self->ready. */
static void
feed (AvatarGuardInput *self,
      const guint8     *data,
      gsize             len)
{
  while (len > 0)
    {
      gsize taken;

      switch (self->state)
        {
        case STATE_HEAD:
          taken = feed_head (self, data, len);
          break;
        case STATE_BODY:
          taken = feed_data (self, data, len, STATE_HEAD);
          break;
        case STATE_CHUNK_SIZE:
          taken = feed_chunk_size (self, data, len);
          break;
        case STATE_CHUNK_DATA:
          taken = feed_data (self, data, len, STATE_CHUNK_END);
          break;
        case STATE_CHUNK_END:
        case STATE_TRAILER:
          taken = feed_chunk_line (self, data, len);
          break;
        case STATE_REFUSED:
        case STATE_CLOSED:
        default:
          /* Read and dropped. */
          taken = len;
          break;
        }

      data += taken;
      len -= taken;
    }
}

static gsize
take_ready (AvatarGuardInput *self,
            void             *buffer,
            gsize             count)
{
  gsize n = MIN (count, self->ready->len - self->ready_pos);

  memcpy (buffer, self->ready->data + self->ready_pos, n);
  self->ready_pos += n;
  if (self->ready_pos == self->ready->len)
    {
      g_byte_array_set_size (self->ready, 0);
      self->ready_pos = 0;
    }

  return n;
}

static gboolean
has_ready (AvatarGuardInput *self)
{
  return self->ready->len > self->ready_pos;
}

/* The end as libsoup sees it: a refused or cut connection ends here even
 * while its socket still delivers bytes. */
static gboolean
at_end (AvatarGuardInput *self)
{
  return self->eof || self->state == STATE_CLOSED;
}

/* Reads from the socket until something may be handed on or it would
 * block.  Returns what a read returns. */
static gssize
guarded_read (AvatarGuardInput  *self,
              void              *buffer,
              gsize              count,
              gboolean           blocking,
              GCancellable      *cancellable,
              GError           **error)
{
  GInputStream *base = G_FILTER_INPUT_STREAM (self)->base_stream;
  guint8 block[READ_BLOCK];

  while (TRUE)
    {
      g_autoptr(GError) local_error = NULL;
      gssize n;

      if (has_ready (self))
        return (gssize) take_ready (self, buffer, count);
      if (at_end (self))
        return 0;

      if (blocking)
        n = g_input_stream_read (base, block, sizeof block, cancellable, &local_error);
      else
        n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (base), block, sizeof block,
                                                      cancellable, &local_error);

      if (n < 0)
        {
          /* Waiting for the client: the idle clock runs, unless the head
           * clock already does. */
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) &&
              self->idle == NULL && self->deadline == NULL)
            arm (self, &self->idle, self->idle_timeout_s);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return -1;
        }

      clear_source (&self->idle);

      if (n == 0)
        {
          clear_source (&self->deadline);
          if (self->state == STATE_HEAD && self->head->len > 0)
            head_cut_short (self);
          g_byte_array_set_size (self->head, 0);
          self->eof = TRUE;
          continue;
        }

      feed (self, block, (gsize) n);
    }
}

static gssize
avatar_guard_input_read (GInputStream  *stream,
                         void          *buffer,
                         gsize          count,
                         GCancellable  *cancellable,
                         GError       **error)
{
  return guarded_read (AVATAR_GUARD_INPUT (stream), buffer, count, TRUE, cancellable, error);
}

static gssize
avatar_guard_input_read_nonblocking (GPollableInputStream  *stream,
                                     void                  *buffer,
                                     gsize                  count,
                                     GError               **error)
{
  return guarded_read (AVATAR_GUARD_INPUT (stream), buffer, count, FALSE, NULL, error);
}

static gboolean
avatar_guard_input_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
avatar_guard_input_is_readable (GPollableInputStream *stream)
{
  AvatarGuardInput *self = AVATAR_GUARD_INPUT (stream);
  GInputStream *base = G_FILTER_INPUT_STREAM (self)->base_stream;

  return has_ready (self) || at_end (self) ||
         g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (base));
}

static GSource *
avatar_guard_input_create_source (GPollableInputStream *stream,
                                  GCancellable         *cancellable)
{
  AvatarGuardInput *self = AVATAR_GUARD_INPUT (stream);
  GInputStream *base = G_FILTER_INPUT_STREAM (self)->base_stream;
  g_autoptr(GSource) child = NULL;

  if (has_ready (self) || at_end (self))
    child = g_timeout_source_new (0);
  else
    child = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (base), NULL);

  return g_pollable_source_new_full (self, child, cancellable);
}

static void
avatar_guard_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = avatar_guard_input_can_poll;
  iface->is_readable = avatar_guard_input_is_readable;
  iface->create_source = avatar_guard_input_create_source;
  iface->read_nonblocking = avatar_guard_input_read_nonblocking;
}

static gboolean
avatar_guard_input_close (GInputStream  *stream,
                          GCancellable  *cancellable,
                          GError       **error)
{
  AvatarGuardInput *self = AVATAR_GUARD_INPUT (stream);

  clear_source (&self->deadline);
  clear_source (&self->idle);

  return G_INPUT_STREAM_CLASS (avatar_guard_input_parent_class)->close_fn (stream, cancellable, error);
}

static void
avatar_guard_input_finalize (GObject *object)
{
  AvatarGuardInput *self = AVATAR_GUARD_INPUT (object);

  clear_source (&self->deadline);
  clear_source (&self->idle);
  g_byte_array_unref (self->head);
  g_byte_array_unref (self->line);
  g_byte_array_unref (self->ready);

  G_OBJECT_CLASS (avatar_guard_input_parent_class)->finalize (object);
}

static void
avatar_guard_input_class_init (AvatarGuardInputClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = avatar_guard_input_finalize;
  stream_class->read_fn = avatar_guard_input_read;
  stream_class->close_fn = avatar_guard_input_close;
}

static void
avatar_guard_input_init (AvatarGuardInput *self)
{
  self->head = g_byte_array_new ();
  self->line = g_byte_array_new ();
  self->ready = g_byte_array_new ();
}

/* The connection */

struct _AvatarHttpGuard
{
  GIOStream          parent_instance;

  GSocketConnection *connection;
  AvatarGuardInput  *input;
};

G_DEFINE_FINAL_TYPE (AvatarHttpGuard, avatar_http_guard, G_TYPE_IO_STREAM)

static GInputStream *
avatar_http_guard_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (AVATAR_HTTP_GUARD (stream)->input);
}

static GOutputStream *
avatar_http_guard_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (G_IO_STREAM (AVATAR_HTTP_GUARD (stream)->connection));
}

static gboolean
avatar_http_guard_close (GIOStream     *stream,
                         GCancellable  *cancellable,
                         GError       **error)
{
  AvatarHttpGuard *self = AVATAR_HTTP_GUARD (stream);

  g_input_stream_close (G_INPUT_STREAM (self->input), cancellable, NULL);

  /* Closing the connection closes the socket. */
  return g_io_stream_close (G_IO_STREAM (self->connection), cancellable, error);
}

/* Closing is quick and must stay on the main thread, where the timers are:
 * not GIOStream's default, which closes in a worker thread. */
static void
avatar_http_guard_close_async (GIOStream           *stream,
                               int                  io_priority,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;

  g_task_set_source_tag (task, avatar_http_guard_close_async);
  if (avatar_http_guard_close (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static gboolean
avatar_http_guard_close_finish (GIOStream     *stream,
                                GAsyncResult  *result,
                                GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
avatar_http_guard_finalize (GObject *object)
{
  AvatarHttpGuard *self = AVATAR_HTTP_GUARD (object);

  g_clear_object (&self->input);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (avatar_http_guard_parent_class)->finalize (object);
}

static void
avatar_http_guard_class_init (AvatarHttpGuardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->finalize = avatar_http_guard_finalize;
  stream_class->get_input_stream = avatar_http_guard_get_input_stream;
  stream_class->get_output_stream = avatar_http_guard_get_output_stream;
  stream_class->close_fn = avatar_http_guard_close;
  stream_class->close_async = avatar_http_guard_close_async;
  stream_class->close_finish = avatar_http_guard_close_finish;
}

static void
avatar_http_guard_init (AvatarHttpGuard *self)
{
}

AvatarHttpGuard *
avatar_http_guard_new (GSocketConnection *connection,
                       guint              header_timeout_s,
                       guint              idle_timeout_s)
{
  AvatarHttpGuard *self;
  GInputStream *base;

  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), NULL);
  g_return_val_if_fail (header_timeout_s > 0 && idle_timeout_s > 0, NULL);

  self = g_object_new (AVATAR_TYPE_HTTP_GUARD, NULL);
  self->connection = g_object_ref (connection);

  base = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  self->input = g_object_new (AVATAR_TYPE_GUARD_INPUT, "base-stream", base, NULL);
  self->input->socket = g_socket_connection_get_socket (connection);
  self->input->output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  self->input->header_timeout_s = header_timeout_s;
  self->input->idle_timeout_s = idle_timeout_s;

  /* A client that connects and sends nothing is idle from the start. */
  arm (self->input, &self->input->idle, idle_timeout_s);

  return self;
}

GSocket *
avatar_http_guard_get_socket (AvatarHttpGuard *self)
{
  g_return_val_if_fail (AVATAR_IS_HTTP_GUARD (self), NULL);

  return g_socket_connection_get_socket (self->connection);
}

void
avatar_http_guard_cut (AvatarHttpGuard *self)
{
  g_return_if_fail (AVATAR_IS_HTTP_GUARD (self));

  cut (self->input);
}
