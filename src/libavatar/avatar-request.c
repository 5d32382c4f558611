/* avatar-request.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The request engine under AvatarClient: one exchange with retries,
 * redirects, the refresh on 401, a limit on the answer's size, and a
 * debug line per exchange; the API's headers kept on its origin; and the
 * address and JSON body of a request to the API.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "avatar-client-private.h"
#include "avatar-error.h"
#include "avatar-redact.h"
#include "avatar-request.h"
#include "avatar-retry.h"

#define MAX_REDIRECTS            5
#define MAX_LOGGED_BODY          512
#define READ_CHUNK_SIZE          (64 * 1024)

/* Logging and errors ----------------------------------------------------- */

void
avatar_client_log_exchange (SoupMessage  *msg,
                            gint64        started_us,
                            const GError *error)
{
  g_autofree char *url = NULL;
  g_autofree char *shown = NULL;
  gint64 elapsed_ms;

  url = g_uri_to_string (soup_message_get_uri (msg));
  shown = avatar_redact_url (url);
  elapsed_ms = (g_get_monotonic_time () - started_us) / 1000;

  if (error != NULL)
    g_debug ("%s %s failed after %" G_GINT64_FORMAT " ms: %s",
             soup_message_get_method (msg), shown, elapsed_ms, error->message);
  else
    g_debug ("%s %s -> %u %s (%" G_GINT64_FORMAT " ms)",
             soup_message_get_method (msg), shown,
             soup_message_get_status (msg),
             soup_message_get_reason_phrase (msg) ? soup_message_get_reason_phrase (msg) : "",
             elapsed_ms);
}

static void
log_error_body (GBytes *body)
{
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;
  gsize size;
  const char *data;

  if (body == NULL)
    return;

  data = g_bytes_get_data (body, &size);
  text = g_utf8_make_valid (data != NULL ? data : "", MIN (size, MAX_LOGGED_BODY));
  shown = avatar_redact_text (text);
  g_debug ("  answer: %s", shown);
}

GError *
avatar_client_wrap_error (GError *error)
{
  GError *wrapped;

  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == AVATAR_ERROR)
    return error;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;

  if (error->domain == G_TLS_ERROR)
    wrapped = g_error_new (AVATAR_ERROR, AVATAR_ERROR_NETWORK,
                           _("The secure connection to the service failed: %s."),
                           error->message);
  else
    wrapped = g_error_new (AVATAR_ERROR, AVATAR_ERROR_NETWORK,
                           _("The service could not be reached: %s."),
                           error->message);

  g_error_free (error);

  return wrapped;
}

static AvatarError
error_code_for_answer (guint       status,
                       const char *server_code)
{
  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
    case SOUP_STATUS_FORBIDDEN:
      return AVATAR_ERROR_AUTH;

    case SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE:
      return AVATAR_ERROR_TOO_LARGE;

    case SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE:
      return AVATAR_ERROR_UNSUPPORTED_TYPE;

    case SOUP_STATUS_BAD_REQUEST:
      /* What confirmAvatar tells of the newest upload. */
      if (g_strcmp0 (server_code, "processing_failed") == 0)
        return AVATAR_ERROR_PROCESSING_FAILED;
      if (g_strcmp0 (server_code, "still_processing") == 0)
        return AVATAR_ERROR_STILL_PROCESSING;
      return AVATAR_ERROR_SERVER;

    default:
      return avatar_retry_status_is_transient (status) ? AVATAR_ERROR_UNAVAILABLE
                                                       : AVATAR_ERROR_SERVER;
    }
}

static GError *
error_from_response (SoupMessage *msg,
                     GBytes      *body)
{
  g_autofree char *server_message = avatar_client_dup_server_message (body);
  g_autofree char *server_code = avatar_client_dup_server_code (body);
  guint status = soup_message_get_status (msg);
  const char *reason = soup_message_get_reason_phrase (msg);
  AvatarError code = error_code_for_answer (status, server_code);

  log_error_body (body);

  if (server_message != NULL)
    return g_error_new_literal (AVATAR_ERROR, code, server_message);

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (status);

  return g_error_new (AVATAR_ERROR, code,
                      _("The service answered “%u %s”. Try again later."),
                      status, reason != NULL ? reason : "");
}

/* Keeping the API's headers on its origin -------------------------------- */

static void
guard_starting_cb (SoupMessage  *msg,
                   AvatarClient *self)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  if (avatar_client_is_api_origin (self, soup_message_get_uri (msg)))
    return;

  if (soup_message_headers_get_one (headers, "Authorization") != NULL ||
      soup_message_headers_get_one (headers, "x-app-id") != NULL)
    g_debug ("Not sending the service's credentials to another origin");

  soup_message_headers_remove (headers, "Authorization");
  soup_message_headers_remove (headers, "x-app-id");
}

void
avatar_client_guard_message (AvatarClient *self,
                             SoupMessage  *msg)
{
  g_return_if_fail (AVATAR_IS_CLIENT (self));
  g_return_if_fail (SOUP_IS_MESSAGE (msg));

  g_signal_connect_object (msg, "starting", G_CALLBACK (guard_starting_cb), self, 0);
}

/* One exchange with retries, redirects and the refresh on 401 ------------ */

typedef struct
{
  char               *method;
  GUri               *uri;
  GBytes             *body;
  AvatarRequestFlags  flags;
  guint               failures;
  guint               redirects;
  gboolean            refreshed;
  char               *sent_token;
  SoupMessage        *msg;
  gint64              started_us;
  gsize               max_body;
  /* The body of the current answer, read in chunks up to max_body. */
  GInputStream       *stream;
  GByteArray         *received;
  /* Cancelled to drop an answer that is too large, or when the caller's
   * cancellable is: cancelling the exchange closes its connection at once,
   * where closing the stream would first read the rest of the body. */
  GCancellable       *cancellable;
  GCancellable       *caller_cancellable;
  gulong              caller_cancelled_id;
} Request;

static void
request_free (Request *request)
{
  g_free (request->method);
  g_clear_pointer (&request->uri, g_uri_unref);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request->sent_token);
  g_clear_object (&request->msg);
  g_clear_object (&request->stream);
  g_clear_pointer (&request->received, g_byte_array_unref);
  if (request->caller_cancellable != NULL)
    g_cancellable_disconnect (request->caller_cancellable, request->caller_cancelled_id);
  g_clear_object (&request->caller_cancellable);
  g_clear_object (&request->cancellable);
  g_free (request);
}

void
avatar_response_free (AvatarResponse *response)
{
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response->content_type);
  g_free (response);
}

static void request_send (GTask *task);

static void
request_restarted_cb (SoupMessage *msg,
                      GBytes      *body)
{
  /* Without this a restarted message goes out with an empty body. */
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
}

static gboolean
request_may_retry_error (Request      *request,
                         const GError *error)
{
  if (request->failures + 1 >= AVATAR_RETRY_MAX_TRIES)
    return FALSE;

  if (!avatar_retry_error_is_transient (error))
    return FALSE;

  /* A call that is not idempotent is only repeated when it surely never
   * reached the server. */
  return (request->flags & AVATAR_REQUEST_IDEMPOTENT) != 0 || avatar_retry_error_is_unsent (error);
}

static gboolean
request_may_retry_status (Request *request,
                          guint    status)
{
  if (request->failures + 1 >= AVATAR_RETRY_MAX_TRIES)
    return FALSE;

  if (!avatar_retry_status_is_transient (status))
    return FALSE;

  /* 429 and 503 say the request was not processed. */
  return (request->flags & AVATAR_REQUEST_IDEMPOTENT) != 0 ||
         status == AVATAR_HTTP_TOO_MANY_REQUESTS ||
         status == SOUP_STATUS_SERVICE_UNAVAILABLE;
}

/* FALSE when the server asked for a longer pause than is reasonable. */
static gboolean
request_retry_later (GTask      *task,
                     const char *retry_after)
{
  Request *request = g_task_get_task_data (task);

  request->failures++;
  g_debug ("%s failed %u times", request->method, request->failures);

  return avatar_retry_later (task, request->failures, retry_after, request_send);
}

static void
request_follow_redirect (GTask       *task,
                         SoupMessage *msg)
{
  AvatarClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *location = soup_message_headers_get_one (headers, "Location");
  guint status = soup_message_get_status (msg);
  g_autoptr(GUri) target = NULL;
  g_autoptr(GError) error = NULL;

  if (location != NULL)
    target = g_uri_parse_relative (request->uri, location, SOUP_HTTP_URI_FLAGS, NULL);

  if (target == NULL || request->redirects >= MAX_REDIRECTS ||
      (g_strcmp0 (request->method, "GET") != 0 &&
       status != SOUP_STATUS_TEMPORARY_REDIRECT && status != SOUP_STATUS_PERMANENT_REDIRECT))
    {
      g_task_return_new_error (task, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                               _("The service answered with a redirection that cannot be followed."));
      return;
    }

  if ((request->flags & AVATAR_REQUEST_API) != 0 && !avatar_client_is_api_origin (self, target))
    {
      g_task_return_new_error (task, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                               _("The service redirected the request to another server, which is not allowed."));
      return;
    }

  {
    g_autofree char *target_url = g_uri_to_string (target);

    if (!avatar_client_check_url (target_url, &error))
      {
        g_task_return_error (task, g_steal_pointer (&error));
        return;
      }
  }

  request->redirects++;
  g_clear_pointer (&request->uri, g_uri_unref);
  request->uri = g_steal_pointer (&target);
  request_send (task);
}

static void
request_refreshed_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!avatar_client_refresh_finish (AVATAR_CLIENT (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  request_send (task);
}

static void
request_refresh_and_repeat (GTask *task)
{
  AvatarClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  g_autofree char *current = avatar_client_dup_access_token (self);

  request->refreshed = TRUE;

  /* Another call refreshed the tokens while this one was on its way. */
  if (current != NULL && g_strcmp0 (current, request->sent_token) != 0)
    {
      request_send (task);
      return;
    }

  avatar_client_refresh_async (self, g_task_get_cancellable (task),
                               request_refreshed_cb, g_object_ref (task));
}

static GError *
body_too_large_error (Request *request)
{
  g_autofree char *limit = g_format_size (request->max_body);

  if ((request->flags & AVATAR_REQUEST_API) != 0)
    return g_error_new (AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                        _("The service sent an answer larger than %s, which is not a valid answer. Try again later."),
                        limit);

  return g_error_new (AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                      _("The service sent a file larger than %s, which is more than any avatar can be. "
                        "The download was stopped; try again later."),
                      limit);
}

/* Ends the exchange without reading the rest of the answer. */
static void
request_abandon_body (Request *request)
{
  g_cancellable_cancel (request->cancellable);
  g_clear_object (&request->stream);
  g_clear_pointer (&request->received, g_byte_array_unref);
}

static void
request_fail_too_large (GTask *task)
{
  Request *request = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = g_steal_pointer (&request->msg);
  g_autoptr(GError) error = body_too_large_error (request);

  request_abandon_body (request);
  avatar_client_log_exchange (msg, request->started_us, error);
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
request_handle_answer (GTask  *task,
                       GBytes *answer_body,
                       GError *answer_error)
{
  Request *request = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = g_steal_pointer (&request->msg);
  g_autoptr(GBytes) body = answer_body;
  g_autoptr(GError) error = answer_error;
  g_autoptr(AvatarResponse) response = NULL;
  const char *content_type;
  guint status;

  g_clear_object (&request->stream);
  g_clear_pointer (&request->received, g_byte_array_unref);

  avatar_client_log_exchange (msg, request->started_us, error);

  if (body == NULL)
    {
      if (request_may_retry_error (request, error) && request_retry_later (task, NULL))
        return;

      g_task_return_error (task, avatar_client_wrap_error (g_steal_pointer (&error)));
      return;
    }

  status = soup_message_get_status (msg);

  if (SOUP_STATUS_IS_REDIRECTION (status) && status != SOUP_STATUS_NOT_MODIFIED)
    {
      request_follow_redirect (task, msg);
      return;
    }

  if (status == SOUP_STATUS_UNAUTHORIZED &&
      (request->flags & AVATAR_REQUEST_API) != 0 &&
      (request->flags & AVATAR_REQUEST_NO_BEARER) == 0 &&
      !request->refreshed)
    {
      request_refresh_and_repeat (task);
      return;
    }

  if (request_may_retry_status (request, status))
    {
      const char *retry_after = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                              "Retry-After");

      if (request_retry_later (task, retry_after))
        return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_error (task, error_from_response (msg, body));
      return;
    }

  response = g_new0 (AvatarResponse, 1);
  response->status = status;
  response->body = g_steal_pointer (&body);
  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  response->content_type = g_strdup (content_type);
  response->content_length = -1;
  if (soup_message_headers_get_encoding (soup_message_get_response_headers (msg)) == SOUP_ENCODING_CONTENT_LENGTH)
    response->content_length = soup_message_headers_get_content_length (soup_message_get_response_headers (msg));

  g_task_return_pointer (task, g_steal_pointer (&response), (GDestroyNotify) avatar_response_free);
}

static void request_read_more (GTask *task);

static void
request_read_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  gsize size;

  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (chunk == NULL)
    {
      request_handle_answer (task, NULL, error);
      return;
    }

  size = g_bytes_get_size (chunk);
  if (size == 0)
    {
      GBytes *body = g_byte_array_free_to_bytes (g_steal_pointer (&request->received));

      request_handle_answer (task, body, NULL);
      return;
    }

  if (size > request->max_body - request->received->len)
    {
      request_fail_too_large (task);
      return;
    }

  g_byte_array_append (request->received, g_bytes_get_data (chunk, NULL), size);
  request_read_more (task);
}

static void
request_read_more (GTask *task)
{
  Request *request = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (request->stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   request->cancellable, request_read_cb, g_object_ref (task));
}

static gboolean
request_announces_too_much (Request *request)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (request->msg);

  return soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
         soup_message_headers_get_content_length (headers) > (goffset) request->max_body;
}

static void
request_sent_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  GError *error = NULL;

  request->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (request->stream == NULL)
    {
      request_handle_answer (task, NULL, error);
      return;
    }

  /* Refused before a byte of the body is read. */
  if (request_announces_too_much (request))
    {
      request_fail_too_large (task);
      return;
    }

  request->received = g_byte_array_new ();
  request_read_more (task);
}

static void
request_send (GTask *task)
{
  AvatarClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  SoupMessageHeaders *headers;

  g_assert (request->msg == NULL);

  request->msg = soup_message_new_from_uri (request->method, request->uri);
  /* Redirects are followed here, where their origin can be checked. */
  soup_message_add_flags (request->msg, SOUP_MESSAGE_NO_REDIRECT);

  if (request->body != NULL)
    {
      soup_message_set_request_body_from_bytes (request->msg, "application/json", request->body);
      g_signal_connect_data (request->msg, "restarted",
                             G_CALLBACK (request_restarted_cb),
                             g_bytes_ref (request->body),
                             (GClosureNotify) (void (*) (void)) g_bytes_unref, 0);
    }

  headers = soup_message_get_request_headers (request->msg);

  if ((request->flags & AVATAR_REQUEST_API) != 0)
    {
      soup_message_headers_replace (headers, "Accept", "application/json");
      soup_message_headers_replace (headers, "x-app-id", avatar_client_get_app_id (self));

      if ((request->flags & AVATAR_REQUEST_NO_BEARER) == 0)
        {
          g_clear_pointer (&request->sent_token, g_free);
          request->sent_token = avatar_client_dup_access_token (self);

          if (request->sent_token != NULL)
            {
              g_autofree char *authorization = g_strdup_printf ("Bearer %s", request->sent_token);

              soup_message_headers_replace (headers, "Authorization", authorization);
            }
        }
    }

  avatar_client_guard_message (self, request->msg);

  request->started_us = g_get_monotonic_time ();
  soup_session_send_async (avatar_client_get_session (self), request->msg, G_PRIORITY_DEFAULT,
                           request->cancellable, request_sent_cb, g_object_ref (task));
}

static void
forward_cancel_cb (GCancellable *caller_cancellable,
                   GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

void
avatar_request_async (AvatarClient        *self,
                      const char          *method,
                      GUri                *uri,
                      GBytes              *body,
                      AvatarRequestFlags   flags,
                      gsize                max_body,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Request *request;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, avatar_request_async);
  /* A cancellation is reported by the steps, in the library's words. */
  g_task_set_check_cancellable (task, FALSE);

  request = g_new0 (Request, 1);
  request->method = g_strdup (method);
  request->uri = g_uri_ref (uri);
  request->body = body != NULL ? g_bytes_ref (body) : NULL;
  request->flags = flags;
  request->max_body = max_body;
  request->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  if (cancellable != NULL)
    {
      request->caller_cancellable = g_object_ref (cancellable);
      request->caller_cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel_cb),
                                                            request->cancellable, NULL);
    }

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_error (task, avatar_error_new_cancelled ());
      return;
    }

  request_send (task);
}

AvatarResponse *
avatar_request_finish (AvatarClient  *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_assert (g_task_is_valid (result, self));

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Requests to the API ---------------------------------------------------- */

GUri *
avatar_request_api_uri (AvatarClient *self,
                        const char   *path)
{
  g_autofree char *url = g_strconcat (avatar_client_get_base_url (self), path, NULL);

  return g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
}

GBytes *
avatar_request_json_body_new (const char *member,
                              JsonNode   *value)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  char *data;
  gsize length;

  json_object_set_member (object, member, value);
  json_node_set_object (root, object);
  data = json_to_string (root, FALSE);
  length = strlen (data);

  return g_bytes_new_take (data, length);
}
