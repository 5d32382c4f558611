/* avatar-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "avatar-client-private.h"
#include "avatar-error.h"
#include "avatar-redact.h"
#include "avatar-retry.h"

#define DEFAULT_TIMEOUT_S        30
#define IDLE_TIMEOUT_S           60
#define MAX_REDIRECTS            5
#define MAX_CONNS_PER_HOST       6
#define MAX_LOGGED_BODY          512
#define READ_CHUNK_SIZE          (64 * 1024)
/* The API answers with small JSON documents; a body this large is not one. */
#define API_MAX_BODY             (1024 * 1024)
/* The largest file the CDN can rightly serve. "raw" is the upload itself,
 * at most 5 MiB, but "original.webp" is the upload re-encoded at its full
 * dimensions, and a well-compressed 5 MiB JPEG or GIF can grow well beyond
 * 5 MiB as WebP. 16 MiB leaves room for that while a broken or hostile
 * server cannot make the client hold more than that in memory. */
#define FETCH_MAX_BODY           (16 * 1024 * 1024)

struct _AvatarClient
{
  GObject      parent_instance;

  char        *base_url;   /* without a trailing slash */
  GUri        *base_uri;
  char        *app_id;

  GMutex       token_lock;
  char        *access_token;
  char        *refresh_token;

  SoupSession *session;
  guint        timeout_s;

  /* Non-NULL while a refresh is in flight: the callers waiting for it. */
  GPtrArray   *refresh_waiters;
};

G_DEFINE_FINAL_TYPE (AvatarClient, avatar_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_APP_ID,
  PROP_TIMEOUT,
  N_PROPS
};

enum {
  TOKENS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Boxed types ------------------------------------------------------------ */

AvatarProfile *
avatar_profile_copy (const AvatarProfile *profile)
{
  AvatarProfile *copy;

  g_return_val_if_fail (profile != NULL, NULL);

  copy = g_new0 (AvatarProfile, 1);
  copy->id = g_strdup (profile->id);
  copy->username = g_strdup (profile->username);
  copy->avatar_url = g_strdup (profile->avatar_url);

  return copy;
}

void
avatar_profile_free (AvatarProfile *profile)
{
  if (profile == NULL)
    return;

  g_free (profile->id);
  g_free (profile->username);
  g_free (profile->avatar_url);
  g_free (profile);
}

G_DEFINE_BOXED_TYPE (AvatarProfile, avatar_profile, avatar_profile_copy, avatar_profile_free)

AvatarTicket *
avatar_ticket_copy (const AvatarTicket *ticket)
{
  AvatarTicket *copy;

  g_return_val_if_fail (ticket != NULL, NULL);

  copy = g_new0 (AvatarTicket, 1);
  copy->upload_url = g_strdup (ticket->upload_url);
  copy->asset_key = g_strdup (ticket->asset_key);
  copy->cdn_url = g_strdup (ticket->cdn_url);
  copy->content_type = g_strdup (ticket->content_type);

  return copy;
}

void
avatar_ticket_free (AvatarTicket *ticket)
{
  if (ticket == NULL)
    return;

  g_free (ticket->upload_url);
  g_free (ticket->asset_key);
  g_free (ticket->cdn_url);
  g_free (ticket->content_type);
  g_free (ticket);
}

G_DEFINE_BOXED_TYPE (AvatarTicket, avatar_ticket, avatar_ticket_copy, avatar_ticket_free)

/* URLs ------------------------------------------------------------------- */

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autofree char *bare = NULL;
  char *zone;

  if (host == NULL || *host == '\0')
    return FALSE;

  /* RFC 6761 would keep every *.localhost on this machine too, but only
   * "localhost" itself is resolved locally by every system resolver; a
   * subdomain may be asked of the network's DNS. */
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  if (host[0] == '[')
    bare = g_strndup (host + 1, strlen (host) - (g_str_has_suffix (host, "]") ? 2 : 1));
  else
    bare = g_strdup (host);

  zone = strchr (bare, '%');
  if (zone != NULL)
    *zone = '\0';

  address = g_inet_address_new_from_string (bare);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

static GUri *
parse_checked_url (const char  *url,
                   GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *shown = NULL;
  const char *scheme;
  const char *host;

  if (url != NULL)
    uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);

  shown = avatar_redact_url (url != NULL ? url : "");
  if (uri == NULL)
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("“%s” is not a valid web address."), shown);
      return NULL;
    }

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);

  if (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0)
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("“%s” is not an http or https address."), shown);
      return NULL;
    }

  if (host == NULL || *host == '\0')
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("“%s” does not name a server."), shown);
      return NULL;
    }

  if (g_ascii_strcasecmp (scheme, "http") == 0 && !host_is_loopback (host))
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_INSECURE_URL,
                   _("“%s” would send your picture or your sign-in unencrypted; only https addresses are allowed for other machines."),
                   shown);
      return NULL;
    }

  return g_steal_pointer (&uri);
}

gboolean
avatar_client_check_url (const char  *url,
                         GError     **error)
{
  g_autoptr(GUri) uri = parse_checked_url (url, error);

  return uri != NULL;
}

static int
effective_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;

  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

gboolean
avatar_client_is_api_origin (AvatarClient *self,
                             GUri         *uri)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), FALSE);

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return FALSE;

  return g_ascii_strcasecmp (g_uri_get_scheme (uri), g_uri_get_scheme (self->base_uri)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (uri), g_uri_get_host (self->base_uri)) == 0 &&
         effective_port (uri) == effective_port (self->base_uri);
}

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

/* The member @name of {"error": {"code", "message"}}, when the body has one. */
static char *
dup_server_error_member (GBytes     *body,
                         const char *name)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *object;
  JsonNode *node;
  const char *data;
  gsize size;

  if (body == NULL)
    return NULL;

  data = g_bytes_get_data (body, &size);
  if (data == NULL || size == 0 || !json_parser_load_from_data (parser, data, size, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  node = json_object_get_member (json_node_get_object (root), "error");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  object = json_node_get_object (node);
  node = json_object_get_member (object, name);
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  if (*json_node_get_string (node) == '\0')
    return NULL;

  return g_strdup (json_node_get_string (node));
}

/* The message from {"error": {"code", "message"}}, when the body has one. */
char *
avatar_client_dup_server_message (GBytes *body)
{
  return dup_server_error_member (body, "message");
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
  g_autofree char *server_code = dup_server_error_member (body, "code");
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

typedef enum
{
  REQUEST_NONE       = 0,
  /* x-app-id and Authorization; redirects only within the base origin. */
  REQUEST_API        = 1 << 0,
  /* May be repeated after any transient failure. */
  REQUEST_IDEMPOTENT = 1 << 1,
  /* The refresh itself: no Authorization, and no refresh on 401. */
  REQUEST_NO_BEARER  = 1 << 2,
} RequestFlags;

typedef struct
{
  char         *method;
  GUri         *uri;
  GBytes       *body;
  RequestFlags  flags;
  guint         failures;
  guint         redirects;
  gboolean      refreshed;
  char         *sent_token;
  SoupMessage  *msg;
  gint64        started_us;
  gsize         max_body;
  /* The body of the current answer, read in chunks up to max_body. */
  GInputStream *stream;
  GByteArray   *received;
  /* Cancelled to drop an answer that is too large, or when the caller's
   * cancellable is: cancelling the exchange closes its connection at once,
   * where closing the stream would first read the rest of the body. */
  GCancellable *cancellable;
  GCancellable *caller_cancellable;
  gulong        caller_cancelled_id;
} Request;

typedef struct
{
  guint   status;
  GBytes *body;
  char   *content_type;
  goffset content_length;   /* -1 when the answer did not say */
} Response;

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

static void
response_free (Response *response)
{
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response->content_type);
  g_free (response);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

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
  return (request->flags & REQUEST_IDEMPOTENT) != 0 || avatar_retry_error_is_unsent (error);
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
  return (request->flags & REQUEST_IDEMPOTENT) != 0 ||
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

  if ((request->flags & REQUEST_API) != 0 && !avatar_client_is_api_origin (self, target))
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

  if ((request->flags & REQUEST_API) != 0)
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
  g_autoptr(Response) response = NULL;
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
      (request->flags & REQUEST_API) != 0 &&
      (request->flags & REQUEST_NO_BEARER) == 0 &&
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

  response = g_new0 (Response, 1);
  response->status = status;
  response->body = g_steal_pointer (&body);
  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  response->content_type = g_strdup (content_type);
  response->content_length = -1;
  if (soup_message_headers_get_encoding (soup_message_get_response_headers (msg)) == SOUP_ENCODING_CONTENT_LENGTH)
    response->content_length = soup_message_headers_get_content_length (soup_message_get_response_headers (msg));

  g_task_return_pointer (task, g_steal_pointer (&response), (GDestroyNotify) response_free);
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

  if ((request->flags & REQUEST_API) != 0)
    {
      soup_message_headers_replace (headers, "Accept", "application/json");
      soup_message_headers_replace (headers, "x-app-id", self->app_id);

      if ((request->flags & REQUEST_NO_BEARER) == 0)
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
  soup_session_send_async (self->session, request->msg, G_PRIORITY_DEFAULT,
                           request->cancellable, request_sent_cb, g_object_ref (task));
}

static void
forward_cancel_cb (GCancellable *caller_cancellable,
                   GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

static void
client_request_async (AvatarClient        *self,
                      const char          *method,
                      GUri                *uri,
                      GBytes              *body,
                      RequestFlags         flags,
                      gsize                max_body,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Request *request;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, client_request_async);
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

static Response *
client_request_finish (AvatarClient  *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_assert (g_task_is_valid (result, self));

  return g_task_propagate_pointer (G_TASK (result), error);
}

static GUri *
client_api_uri (AvatarClient *self,
                const char   *path)
{
  g_autofree char *url = g_strconcat (self->base_url, path, NULL);

  return g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
}

/* JSON ------------------------------------------------------------------- */

static GBytes *
json_body_new (const char *member,
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

static JsonNode *
parse_json_object (GBytes  *body,
                   GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  const char *data;
  gsize size;

  data = g_bytes_get_data (body, &size);
  if (data == NULL || size == 0 ||
      !json_parser_load_from_data (parser, data, size, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("The service’s answer is not the JSON object the API describes."));
      return NULL;
    }

  return json_node_ref (root);
}

/* A string member, present and of the right type; NULL is accepted for
 * nullable members only. An empty string is as good as missing. */
static gboolean
read_string_member (JsonObject  *object,
                    const char  *member,
                    gboolean     nullable,
                    char       **value,
                    GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node != NULL && nullable && JSON_NODE_HOLDS_NULL (node))
    {
      *value = NULL;
      return TRUE;
    }

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING ||
      *json_node_get_string (node) == '\0')
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("The service’s answer could not be understood: “%s” is missing or has the wrong type."),
                   member);
      return FALSE;
    }

  *value = g_strdup (json_node_get_string (node));
  return TRUE;
}

AvatarProfile *
avatar_client_parse_profile (GBytes  *body,
                             GError **error)
{
  g_autoptr(JsonNode) root = parse_json_object (body, error);
  g_autoptr(AvatarProfile) profile = NULL;
  JsonObject *object;

  if (root == NULL)
    return NULL;

  object = json_node_get_object (root);
  profile = g_new0 (AvatarProfile, 1);

  if (!read_string_member (object, "id", FALSE, &profile->id, error) ||
      !read_string_member (object, "username", FALSE, &profile->username, error) ||
      !read_string_member (object, "avatarUrl", TRUE, &profile->avatar_url, error))
    return NULL;

  if (profile->avatar_url != NULL && !avatar_client_check_url (profile->avatar_url, error))
    return NULL;

  return g_steal_pointer (&profile);
}

AvatarTicket *
avatar_client_parse_ticket (GBytes      *body,
                            const char  *content_type,
                            GError     **error)
{
  g_autoptr(JsonNode) root = parse_json_object (body, error);
  g_autoptr(AvatarTicket) ticket = NULL;
  JsonObject *object;

  if (root == NULL)
    return NULL;

  object = json_node_get_object (root);
  ticket = g_new0 (AvatarTicket, 1);
  ticket->content_type = g_strdup (content_type);

  if (!read_string_member (object, "uploadUrl", FALSE, &ticket->upload_url, error) ||
      !read_string_member (object, "assetKey", FALSE, &ticket->asset_key, error) ||
      !read_string_member (object, "cdnUrl", FALSE, &ticket->cdn_url, error))
    return NULL;

  if (!avatar_client_check_url (ticket->upload_url, error) ||
      !avatar_client_check_url (ticket->cdn_url, error))
    return NULL;

  return g_steal_pointer (&ticket);
}

/* Refresh: one in flight, every caller waits for it ---------------------- */

typedef struct
{
  GTask   *task;
  GSource *cancelled;
} RefreshWaiter;

static void
refresh_waiter_complete (RefreshWaiter *waiter,
                         const GError  *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&waiter->task);

  if (waiter->cancelled != NULL)
    {
      g_source_destroy (waiter->cancelled);
      g_clear_pointer (&waiter->cancelled, g_source_unref);
    }
  g_free (waiter);

  if (error != NULL)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
refresh_waiter_cancelled_cb (GCancellable *cancellable,
                             gpointer      user_data)
{
  RefreshWaiter *waiter = user_data;
  AvatarClient *self = g_task_get_source_object (waiter->task);
  g_autoptr(GError) error = NULL;

  /* The refresh itself goes on: its result is good for everyone else. */
  g_ptr_array_remove (self->refresh_waiters, waiter);
  error = avatar_error_new_cancelled ();
  refresh_waiter_complete (waiter, error);

  return G_SOURCE_REMOVE;
}

static void
client_finish_refresh (AvatarClient *self,
                       const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->refresh_waiters);

  for (guint i = 0; i < waiters->len; i++)
    refresh_waiter_complete (g_ptr_array_index (waiters, i), error);
}

gboolean
avatar_client_parse_tokens (GBytes  *body,
                            char   **access_token,
                            char   **refresh_token,
                            GError **error)
{
  g_autoptr(JsonNode) root = parse_json_object (body, error);
  JsonObject *object;

  if (root == NULL)
    return FALSE;

  object = json_node_get_object (root);
  if (!read_string_member (object, "accessToken", FALSE, access_token, error))
    return FALSE;
  if (!read_string_member (object, "refreshToken", FALSE, refresh_token, error))
    {
      g_clear_pointer (access_token, g_free);
      return FALSE;
    }

  return TRUE;
}

static void
refresh_sent_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(AvatarClient) self = user_data;
  g_autoptr(Response) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  response = client_request_finish (self, result, &error);

  if (response == NULL)
    {
      /* A refusal means the sign-in is over; a network or server failure
       * is reported as such, since signing in again would not help. */
      if (g_error_matches (error, AVATAR_ERROR, AVATAR_ERROR_AUTH))
        {
          g_clear_error (&error);
          g_set_error (&error, AVATAR_ERROR, AVATAR_ERROR_AUTH,
                       _("Your sign-in has expired; sign in again."));
        }
      client_finish_refresh (self, error);
      return;
    }

  if (!avatar_client_parse_tokens (response->body, &access_token, &refresh_token, &error))
    {
      client_finish_refresh (self, error);
      return;
    }

  g_debug ("The service issued new tokens");

  g_mutex_lock (&self->token_lock);
  g_free (self->access_token);
  self->access_token = g_steal_pointer (&access_token);
  g_free (self->refresh_token);
  self->refresh_token = g_steal_pointer (&refresh_token);
  g_mutex_unlock (&self->token_lock);

  g_signal_emit (self, signals[TOKENS_CHANGED], 0);

  client_finish_refresh (self, NULL);
}

static void
client_start_refresh (AvatarClient *self)
{
  g_autofree char *refresh_token = avatar_client_dup_refresh_token (self);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GUri) uri = NULL;

  if (refresh_token == NULL)
    {
      g_autoptr(GError) error = g_error_new (AVATAR_ERROR, AVATAR_ERROR_AUTH,
                                             _("Your sign-in has expired; sign in again."));

      client_finish_refresh (self, error);
      return;
    }

  body = json_body_new ("refreshToken", json_node_init_string (json_node_alloc (), refresh_token));
  uri = client_api_uri (self, "/auth/refresh");

  /* Not tied to any caller's cancellable: the new tokens are worth having
   * even when the call that needed them was cancelled. A refresh that was
   * processed invalidates the old refresh token, so it is only repeated
   * when the server surely did not process it. */
  client_request_async (self, "POST", uri, body,
                        REQUEST_API | REQUEST_NO_BEARER, API_MAX_BODY,
                        NULL, refresh_sent_cb, g_object_ref (self));
}

void
avatar_client_refresh_async (AvatarClient        *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  RefreshWaiter *waiter;
  gboolean start;

  g_return_if_fail (AVATAR_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  waiter = g_new0 (RefreshWaiter, 1);
  waiter->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (waiter->task, avatar_client_refresh_async);
  g_task_set_check_cancellable (waiter->task, FALSE);

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_autoptr(GError) error = avatar_error_new_cancelled ();

      refresh_waiter_complete (waiter, error);
      return;
    }

  if (cancellable != NULL)
    {
      waiter->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_static_name (waiter->cancelled, "[avatar] refresh waiter cancelled");
      g_source_set_callback (waiter->cancelled, G_SOURCE_FUNC (refresh_waiter_cancelled_cb),
                             waiter, NULL);
      g_source_attach (waiter->cancelled, g_task_get_context (waiter->task));
    }

  start = self->refresh_waiters == NULL;
  if (start)
    self->refresh_waiters = g_ptr_array_new ();
  g_ptr_array_add (self->refresh_waiters, waiter);

  if (start)
    client_start_refresh (self);
}

gboolean
avatar_client_refresh_finish (AvatarClient  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == avatar_client_refresh_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Profile calls ---------------------------------------------------------- */

static void
profile_call_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(Response) response = NULL;
  g_autoptr(GError) error = NULL;
  AvatarProfile *profile;

  response = client_request_finish (AVATAR_CLIENT (source), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  profile = avatar_client_parse_profile (response->body, &error);
  if (profile == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, profile, (GDestroyNotify) avatar_profile_free);
}

/* GET /users/me, or a PATCH of it with @patch_member set to true. Both are
 * idempotent: repeating them leaves the same state. */
static void
profile_call_async (AvatarClient        *self,
                    const char          *patch_member,
                    gpointer             source_tag,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GUri) uri = NULL;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_check_cancellable (task, FALSE);

  if (patch_member != NULL)
    body = json_body_new (patch_member, json_node_init_boolean (json_node_alloc (), TRUE));

  uri = client_api_uri (self, "/users/me");
  client_request_async (self, body != NULL ? "PATCH" : "GET", uri, body,
                        REQUEST_API | REQUEST_IDEMPOTENT, API_MAX_BODY,
                        cancellable, profile_call_cb, g_steal_pointer (&task));
}

static AvatarProfile *
profile_call_finish (AvatarClient  *self,
                     GAsyncResult  *result,
                     gpointer       source_tag,
                     GError       **error)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
avatar_client_get_profile_async (AvatarClient        *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (AVATAR_IS_CLIENT (self));

  profile_call_async (self, NULL, avatar_client_get_profile_async,
                      cancellable, callback, user_data);
}

AvatarProfile *
avatar_client_get_profile_finish (AvatarClient  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return profile_call_finish (self, result, avatar_client_get_profile_async, error);
}

void
avatar_client_remove_avatar_async (AvatarClient        *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (AVATAR_IS_CLIENT (self));

  profile_call_async (self, "removeAvatar", avatar_client_remove_avatar_async,
                      cancellable, callback, user_data);
}

AvatarProfile *
avatar_client_remove_avatar_finish (AvatarClient  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return profile_call_finish (self, result, avatar_client_remove_avatar_async, error);
}

void
avatar_client_confirm_avatar_async (AvatarClient        *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (AVATAR_IS_CLIENT (self));

  profile_call_async (self, "confirmAvatar", avatar_client_confirm_avatar_async,
                      cancellable, callback, user_data);
}

AvatarProfile *
avatar_client_confirm_avatar_finish (AvatarClient  *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return profile_call_finish (self, result, avatar_client_confirm_avatar_async, error);
}

/* Upload tickets --------------------------------------------------------- */

static void
request_upload_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(Response) response = NULL;
  g_autoptr(GError) error = NULL;
  AvatarTicket *ticket;

  response = client_request_finish (AVATAR_CLIENT (source), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  ticket = avatar_client_parse_ticket (response->body, g_task_get_task_data (task), &error);
  if (ticket == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, ticket, (GDestroyNotify) avatar_ticket_free);
}

void
avatar_client_request_upload_async (AvatarClient        *self,
                                    const char          *content_type,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GUri) uri = NULL;

  g_return_if_fail (AVATAR_IS_CLIENT (self));
  g_return_if_fail (content_type != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, avatar_client_request_upload_async);
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, g_strdup (content_type), g_free);

  body = json_body_new ("contentType", json_node_init_string (json_node_alloc (), content_type));
  uri = client_api_uri (self, "/users/me/avatar");

  /* Repeating this POST is safe: a ticket whose answer was lost is never
   * uploaded to, so it is never promoted, and the newest ticket is the one
   * this call returns. */
  client_request_async (self, "POST", uri, body,
                        REQUEST_API | REQUEST_IDEMPOTENT, API_MAX_BODY,
                        cancellable, request_upload_cb, g_steal_pointer (&task));
}

AvatarTicket *
avatar_client_request_upload_finish (AvatarClient  *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == avatar_client_request_upload_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Public GETs ------------------------------------------------------------ */

static void
fetch_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Response *response;

  response = client_request_finish (AVATAR_CLIENT (source), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, response, (GDestroyNotify) response_free);
}

static void
public_request_async (AvatarClient        *self,
                      const char          *method,
                      const char          *url,
                      gpointer             source_tag,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_check_cancellable (task, FALSE);

  uri = parse_checked_url (url, &error);
  if (uri == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  client_request_async (self, method, uri, NULL, REQUEST_IDEMPOTENT, FETCH_MAX_BODY,
                        cancellable, fetch_cb, g_steal_pointer (&task));
}

void
avatar_client_fetch_async (AvatarClient        *self,
                           const char          *url,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (AVATAR_IS_CLIENT (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  public_request_async (self, "GET", url, avatar_client_fetch_async, cancellable, callback, user_data);
}

GBytes *
avatar_client_fetch_finish (AvatarClient  *self,
                            GAsyncResult  *result,
                            char         **content_type,
                            GError       **error)
{
  g_autoptr(Response) response = NULL;

  g_return_val_if_fail (AVATAR_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == avatar_client_fetch_async, NULL);

  response = g_task_propagate_pointer (G_TASK (result), error);
  if (response == NULL)
    return NULL;

  if (content_type != NULL)
    *content_type = g_steal_pointer (&response->content_type);

  return g_steal_pointer (&response->body);
}

void
avatar_client_head_async (AvatarClient        *self,
                          const char          *url,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (AVATAR_IS_CLIENT (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  public_request_async (self, "HEAD", url, avatar_client_head_async, cancellable, callback, user_data);
}

gboolean
avatar_client_head_finish (AvatarClient  *self,
                           GAsyncResult  *result,
                           char         **content_type,
                           goffset       *content_length,
                           GError       **error)
{
  g_autoptr(Response) response = NULL;

  g_return_val_if_fail (AVATAR_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == avatar_client_head_async, FALSE);

  response = g_task_propagate_pointer (G_TASK (result), error);
  if (response == NULL)
    return FALSE;

  if (content_type != NULL)
    *content_type = g_steal_pointer (&response->content_type);
  if (content_length != NULL)
    *content_length = response->content_length;

  return TRUE;
}

/* The object ------------------------------------------------------------- */

static void
avatar_client_finalize (GObject *object)
{
  AvatarClient *self = (AvatarClient *)object;

  /* Every call holds a reference, so no refresh can be waited for now. */
  g_assert (self->refresh_waiters == NULL);

  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->base_uri, g_uri_unref);
  g_clear_pointer (&self->app_id, g_free);
  g_clear_pointer (&self->access_token, g_free);
  g_clear_pointer (&self->refresh_token, g_free);
  g_clear_object (&self->session);
  g_mutex_clear (&self->token_lock);

  G_OBJECT_CLASS (avatar_client_parent_class)->finalize (object);
}

static void
avatar_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  AvatarClient *self = AVATAR_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;

    case PROP_APP_ID:
      g_value_set_string (value, self->app_id);
      break;

    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout_s);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_client_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  AvatarClient *self = AVATAR_CLIENT (object);

  switch (prop_id)
    {
    case PROP_TIMEOUT:
      avatar_client_set_timeout (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
avatar_client_class_init (AvatarClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = avatar_client_finalize;
  object_class->get_property = avatar_client_get_property;
  object_class->set_property = avatar_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_APP_ID] =
    g_param_spec_string ("app-id", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * AvatarClient:timeout:
   *
   * Seconds a connection attempt, or a wait for the next bytes of an
   * answer, may take before the call fails.
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL,
                       1, G_MAXUINT, DEFAULT_TIMEOUT_S,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * AvatarClient::tokens-changed:
   *
   * The service issued a new access and refresh token pair; the previous
   * refresh token no longer works, so the new pair should be stored.
   */
  signals[TOKENS_CHANGED] =
    g_signal_new ("tokens-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
avatar_client_init (AvatarClient *self)
{
  g_mutex_init (&self->token_lock);
  self->timeout_s = DEFAULT_TIMEOUT_S;

  self->session = soup_session_new_with_options ("timeout", self->timeout_s,
                                                 "idle-timeout", IDLE_TIMEOUT_S,
                                                 /* The variants of an avatar are fetched all at once. */
                                                 "max-conns-per-host", MAX_CONNS_PER_HOST,
                                                 "user-agent", "avatar-uploader/" PACKAGE_VERSION,
                                                 NULL);
  /* 401 is handled here, by refreshing the bearer token. */
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_AUTH_MANAGER);
  /* No feature is left in the session: libsoup 3.4 to 3.6.5 finish a
   * message twice when its send is cancelled after the answer's headers
   * came in but before the send returned (fixed in 3.6.6), and unqueueing
   * it again drops a reference to every feature of the session that it
   * does not hold. The feature is then freed while the session still lists
   * it, and freeing the session fails (a critical on exit). The content
   * decoder is the only other default feature, and nothing here needs it:
   * the service and the CDN answer with JSON and pictures, sent as they are
   * when no Accept-Encoding asks otherwise. */
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_CONTENT_DECODER);
}

AvatarClient *
avatar_client_new (const char  *base_url,
                   const char  *app_id,
                   GError     **error)
{
  g_autoptr(AvatarClient) self = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *trimmed = NULL;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (app_id != NULL, NULL);

  uri = parse_checked_url (base_url, error);
  if (uri == NULL)
    return NULL;

  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("The service address must not have a query or a fragment."));
      return NULL;
    }

  trimmed = g_strdup (base_url);
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';

  self = g_object_new (AVATAR_TYPE_CLIENT, NULL);
  self->base_url = g_steal_pointer (&trimmed);
  self->base_uri = g_steal_pointer (&uri);
  self->app_id = g_strdup (app_id);

  return g_steal_pointer (&self);
}

const char *
avatar_client_get_base_url (AvatarClient *self)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), NULL);

  return self->base_url;
}

const char *
avatar_client_get_app_id (AvatarClient *self)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), NULL);

  return self->app_id;
}

SoupSession *
avatar_client_get_session (AvatarClient *self)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), NULL);

  return self->session;
}

guint
avatar_client_get_timeout (AvatarClient *self)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), 0);

  return self->timeout_s;
}

void
avatar_client_set_timeout (AvatarClient *self,
                           guint         timeout_s)
{
  g_return_if_fail (AVATAR_IS_CLIENT (self));
  g_return_if_fail (timeout_s > 0);

  if (self->timeout_s == timeout_s)
    return;

  self->timeout_s = timeout_s;
  g_object_set (self->session, "timeout", timeout_s, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

void
avatar_client_set_tokens (AvatarClient *self,
                          const char   *access_token,
                          const char   *refresh_token)
{
  g_return_if_fail (AVATAR_IS_CLIENT (self));

  g_mutex_lock (&self->token_lock);
  g_free (self->access_token);
  self->access_token = g_strdup (access_token);
  g_free (self->refresh_token);
  self->refresh_token = g_strdup (refresh_token);
  g_mutex_unlock (&self->token_lock);
}

char *
avatar_client_dup_access_token (AvatarClient *self)
{
  char *token;

  g_return_val_if_fail (AVATAR_IS_CLIENT (self), NULL);

  g_mutex_lock (&self->token_lock);
  token = g_strdup (self->access_token);
  g_mutex_unlock (&self->token_lock);

  return token;
}

char *
avatar_client_dup_refresh_token (AvatarClient *self)
{
  char *token;

  g_return_val_if_fail (AVATAR_IS_CLIENT (self), NULL);

  g_mutex_lock (&self->token_lock);
  token = g_strdup (self->refresh_token);
  g_mutex_unlock (&self->token_lock);

  return token;
}
