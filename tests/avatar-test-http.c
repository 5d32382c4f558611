/* avatar-test-http.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gnetworking.h>

#include "avatar-test-http.h"

/* Long enough for a loaded machine running with sanitizers. */
#define WAIT_BOUND_US (90 * G_USEC_PER_SEC)

/* The receive buffer of connections accepted while holding: the kernel
 * doubles it for its own bookkeeping, and takes no more than that. */
#define HOLD_RECEIVE_BUFFER (32 * 1024)

struct _AvatarTestHttp
{
  SoupServer        *server;
  char              *url;
  GPtrArray         *requests;
  AvatarTestHandler  handler;
  gpointer           user_data;
  gboolean           holding;
  GPtrArray         *held;
  guint64            body_read;
};

static void
request_free (AvatarTestRequest *request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->query);
  g_clear_pointer (&request->headers, soup_message_headers_unref);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request);
}

static void
copy_header (const char *name,
             const char *value,
             gpointer    user_data)
{
  soup_message_headers_append (user_data, name, value);
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  AvatarTestHttp *http = user_data;
  AvatarTestRequest *request = g_new0 (AvatarTestRequest, 1);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  GUri *uri = soup_server_message_get_uri (msg);

  request->method = g_strdup (soup_server_message_get_method (msg));
  request->path = g_strdup (path);
  request->query = g_strdup (g_uri_get_query (uri));
  request->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_foreach (soup_server_message_get_request_headers (msg), copy_header,
                                request->headers);
  request->body = soup_message_body_flatten (body);
  g_ptr_array_add (http->requests, request);

  http->handler (http, msg, request, http->user_data);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              AvatarTestHttp    *http)
{
  http->body_read += g_bytes_get_size (chunk);

  if (http->holding && !g_ptr_array_find (http->held, msg, NULL))
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (http->held, g_object_ref (msg));
    }
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    AvatarTestHttp    *http)
{
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), http);
}

AvatarTestHttp *
avatar_test_http_new (AvatarTestHandler handler,
                      gpointer          user_data)
{
  AvatarTestHttp *http = g_new0 (AvatarTestHttp, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  GUri *uri;

  http->handler = handler;
  http->user_data = user_data;
  http->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);
  http->held = g_ptr_array_new_with_free_func (g_object_unref);
  http->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (http->server, NULL, server_cb, http, NULL);
  g_signal_connect (http->server, "request-started", G_CALLBACK (request_started_cb), http);
  soup_server_listen_local (http->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (http->server);
  g_assert_nonnull (uris);
  uri = uris->data;
  http->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uri));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  return http;
}

void
avatar_test_http_free (AvatarTestHttp *http)
{
  avatar_test_http_release (http);
  g_signal_handlers_disconnect_by_func (http->server, request_started_cb, http);
  soup_server_disconnect (http->server);
  g_clear_object (&http->server);
  g_ptr_array_unref (http->held);
  g_ptr_array_unref (http->requests);
  g_free (http->url);
  g_free (http);
}

const char *
avatar_test_http_get_url (AvatarTestHttp *http)
{
  return http->url;
}

GPtrArray *
avatar_test_http_get_requests (AvatarTestHttp *http)
{
  return http->requests;
}

guint
avatar_test_http_count (AvatarTestHttp *http,
                        const char     *method,
                        const char     *path)
{
  guint count = 0;

  for (guint i = 0; i < http->requests->len; i++)
    {
      AvatarTestRequest *request = g_ptr_array_index (http->requests, i);

      if ((method == NULL || g_str_equal (method, request->method)) &&
          (path == NULL || g_str_equal (path, request->path)))
        count++;
    }

  return count;
}

const AvatarTestRequest *
avatar_test_http_last (AvatarTestHttp *http,
                       const char     *path)
{
  for (guint i = http->requests->len; i > 0; i--)
    {
      AvatarTestRequest *request = g_ptr_array_index (http->requests, i - 1);

      if (g_str_equal (path, request->path))
        return request;
    }

  return NULL;
}

void
avatar_test_http_hold_bodies (AvatarTestHttp *http)
{
  GSList *listeners = soup_server_get_listeners (http->server);
  g_autoptr(GError) error = NULL;

  /* Accepted connections inherit the listener's receive buffer, and a
   * fixed one is not grown by the kernel's autotuning. */
  for (GSList *l = listeners; l != NULL; l = l->next)
    {
      g_socket_set_option (l->data, SOL_SOCKET, SO_RCVBUF, HOLD_RECEIVE_BUFFER, &error);
      g_assert_no_error (error);
    }
  g_slist_free (listeners);

  http->holding = TRUE;
}

void
avatar_test_http_release (AvatarTestHttp *http)
{
  g_autoptr(GPtrArray) held = g_steal_pointer (&http->held);

  http->holding = FALSE;
  http->held = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < held->len; i++)
    soup_server_message_unpause (g_ptr_array_index (held, i));
}

guint
avatar_test_http_get_held (AvatarTestHttp *http)
{
  return http->held->len;
}

guint64
avatar_test_http_get_body_read (AvatarTestHttp *http)
{
  return http->body_read;
}

void
avatar_test_respond (SoupServerMessage *msg,
                     guint              status,
                     const char        *content_type,
                     const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  if (body != NULL)
    soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, body, strlen (body));
}

void
avatar_test_respond_json (SoupServerMessage *msg,
                          guint              status,
                          const char        *json)
{
  avatar_test_respond (msg, status, "application/json", json);
}

#define STREAM_CHUNK_SIZE (256 * 1024)

static const guint8 stream_chunk[STREAM_CHUNK_SIZE];

static void
stream_queue_next (SoupServerMessage *msg,
                   AvatarTestStream  *stream)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  gsize size = MIN (STREAM_CHUNK_SIZE, stream->total - stream->queued);

  if (size == 0)
    {
      soup_message_body_complete (body);
      return;
    }

  soup_message_body_append (body, SOUP_MEMORY_STATIC, stream_chunk, size);
  stream->queued += size;
}

static void
stream_wrote_chunk_cb (SoupServerMessage *msg,
                       AvatarTestStream  *stream)
{
  stream_queue_next (msg, stream);
}

void
avatar_test_respond_streamed (SoupServerMessage *msg,
                              guint              status,
                              const char        *content_type,
                              const char        *start,
                              AvatarTestStream  *stream)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_set_content_type (headers, content_type, NULL);
  if (stream->announce_length)
    soup_message_headers_set_content_length (headers, (goffset) stream->total);
  else
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);

  soup_message_body_set_accumulate (body, FALSE);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (stream_wrote_chunk_cb), stream);

  if (start != NULL)
    {
      soup_message_body_append (body, SOUP_MEMORY_STATIC, start, strlen (start));
      stream->queued = strlen (start);
    }
  else
    {
      stream_queue_next (msg, stream);
    }
}

void
avatar_test_store_result (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static gboolean
wake_up_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

GAsyncResult *
avatar_test_wait_result (GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_BOUND_US;
  guint wake_up = g_timeout_add (100, wake_up_cb, NULL);

  while (*slot == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (wake_up);

  return *slot;
}

void
avatar_test_wait_flag (gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_BOUND_US;
  guint wake_up = g_timeout_add (100, wake_up_cb, NULL);

  while (!*flag)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (wake_up);
}

void
avatar_test_http_wait_request (AvatarTestHttp *http,
                               const char     *method,
                               const char     *path)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_BOUND_US;
  guint wake_up = g_timeout_add (100, wake_up_cb, NULL);

  while (avatar_test_http_count (http, method, path) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (wake_up);
}

static void
count_signal_cb (guint *count)
{
  (*count)++;
}

void
avatar_test_count_signal (gpointer    instance,
                          const char *detailed_signal,
                          guint      *count)
{
  g_signal_connect_swapped (instance, detailed_signal, G_CALLBACK (count_signal_cb), count);
}
