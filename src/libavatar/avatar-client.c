/* avatar-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AvatarClient: the object and the API's calls. Each call sends one
 * request through the engine in avatar-request.c and reads its answer with
 * avatar-client-answers.c; the tokens and their refresh are in
 * avatar-client-tokens.c.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "avatar-client-private.h"
#include "avatar-error.h"
#include "avatar-request.h"

#define DEFAULT_TIMEOUT_S        30
#define IDLE_TIMEOUT_S           60
#define MAX_CONNS_PER_HOST       6
/* The largest file the CDN can rightly serve. "raw" is the upload itself,
 * at most 5 MiB, but "original.webp" is the upload re-encoded at its full
 * dimensions, and a well-compressed 5 MiB JPEG or GIF can grow well beyond
 * 5 MiB as WebP. 16 MiB leaves room for that while a broken or hostile
 * server cannot make the client hold more than that in memory. */
#define FETCH_MAX_BODY           (16 * 1024 * 1024)

G_DEFINE_FINAL_TYPE (AvatarClient, avatar_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_APP_ID,
  PROP_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  TOKENS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The API's origin ------------------------------------------------------- */

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

/* Calls ------------------------------------------------------------------ */

/* How a call reads what it returns from its answer: it takes @response,
 * and returns (transfer full) its result or %NULL with @error set. */
typedef struct
{
  gpointer       (*read) (AvatarResponse  *response,
                          const char      *content_type,
                          GError         **error);
  GDestroyNotify   free;
} AnswerReader;

static gpointer
read_profile (AvatarResponse  *response,
              const char      *content_type,
              GError         **error)
{
  g_autoptr(AvatarResponse) answer = response;

  return avatar_client_parse_profile (answer->body, error);
}

static gpointer
read_ticket (AvatarResponse  *response,
             const char      *content_type,
             GError         **error)
{
  g_autoptr(AvatarResponse) answer = response;

  return avatar_client_parse_ticket (answer->body, content_type, error);
}

static gpointer
read_response (AvatarResponse  *response,
               const char      *content_type,
               GError         **error)
{
  return response;
}

static const AnswerReader profile_reader = { read_profile, (GDestroyNotify) avatar_profile_free };
static const AnswerReader ticket_reader = { read_ticket, (GDestroyNotify) avatar_ticket_free };
static const AnswerReader response_reader = { read_response, (GDestroyNotify) avatar_response_free };

typedef struct
{
  const AnswerReader *reader;
  char               *content_type;   /* what a ticket is asked for */
} Call;

static void
call_free (Call *call)
{
  g_free (call->content_type);
  g_free (call);
}

static void
call_answered_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  AvatarResponse *response;
  GError *error = NULL;
  gpointer answer = NULL;

  response = avatar_request_finish (AVATAR_CLIENT (source), result, &error);
  if (response != NULL)
    answer = call->reader->read (response, call->content_type, &error);

  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, answer, call->reader->free);
}

/* The task of a call tagged @source_tag, which returns what @reader reads;
 * pass it to avatar_request_async () with call_answered_cb. */
static GTask *
call_task_new (AvatarClient        *self,
               const AnswerReader  *reader,
               const char          *content_type,
               gpointer             source_tag,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);
  /* A cancellation is reported by the engine, in the library's words. */
  g_task_set_check_cancellable (task, FALSE);
  call->reader = reader;
  call->content_type = g_strdup (content_type);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  return task;
}

static gpointer
call_finish (AvatarClient  *self,
             GAsyncResult  *result,
             gpointer       source_tag,
             GError       **error)
{
  g_return_val_if_fail (AVATAR_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Profile calls ---------------------------------------------------------- */

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
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GUri) uri = NULL;
  GTask *task;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = call_task_new (self, &profile_reader, NULL, source_tag, cancellable, callback, user_data);

  if (patch_member != NULL)
    body = avatar_request_json_body_new (patch_member, json_node_init_boolean (json_node_alloc (), TRUE));

  uri = avatar_request_api_uri (self, "/users/me");
  avatar_request_async (self, body != NULL ? "PATCH" : "GET", uri, body,
                        AVATAR_REQUEST_API | AVATAR_REQUEST_IDEMPOTENT, AVATAR_REQUEST_API_MAX_BODY,
                        cancellable, call_answered_cb, task);
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
  return call_finish (self, result, avatar_client_get_profile_async, error);
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
  return call_finish (self, result, avatar_client_remove_avatar_async, error);
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
  return call_finish (self, result, avatar_client_confirm_avatar_async, error);
}

/* Upload tickets --------------------------------------------------------- */

void
avatar_client_request_upload_async (AvatarClient        *self,
                                    const char          *content_type,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GUri) uri = NULL;
  GTask *task;

  g_return_if_fail (AVATAR_IS_CLIENT (self));
  g_return_if_fail (content_type != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = call_task_new (self, &ticket_reader, content_type, avatar_client_request_upload_async,
                        cancellable, callback, user_data);
  body = avatar_request_json_body_new ("contentType", json_node_init_string (json_node_alloc (), content_type));
  uri = avatar_request_api_uri (self, "/users/me/avatar");

  /* Repeating this POST is safe: a ticket whose answer was lost is never
   * uploaded to, so it is never promoted, and the newest ticket is the one
   * this call returns. */
  avatar_request_async (self, "POST", uri, body,
                        AVATAR_REQUEST_API | AVATAR_REQUEST_IDEMPOTENT, AVATAR_REQUEST_API_MAX_BODY,
                        cancellable, call_answered_cb, task);
}

AvatarTicket *
avatar_client_request_upload_finish (AvatarClient  *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return call_finish (self, result, avatar_client_request_upload_async, error);
}

/* Public GETs ------------------------------------------------------------ */

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

  g_return_if_fail (url != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = call_task_new (self, &response_reader, NULL, source_tag, cancellable, callback, user_data);

  uri = avatar_client_parse_url (url, &error);
  if (uri == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  avatar_request_async (self, method, uri, NULL, AVATAR_REQUEST_IDEMPOTENT, FETCH_MAX_BODY,
                        cancellable, call_answered_cb, g_steal_pointer (&task));
}

/* The answer of a public request, with its type stolen into @content_type
 * when that is not %NULL. */
static AvatarResponse *
public_request_finish (AvatarClient  *self,
                       GAsyncResult  *result,
                       gpointer       source_tag,
                       char         **content_type,
                       GError       **error)
{
  AvatarResponse *response = call_finish (self, result, source_tag, error);

  if (response != NULL && content_type != NULL)
    *content_type = g_steal_pointer (&response->content_type);

  return response;
}

void
avatar_client_fetch_async (AvatarClient        *self,
                           const char          *url,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (AVATAR_IS_CLIENT (self));

  public_request_async (self, "GET", url, avatar_client_fetch_async, cancellable, callback, user_data);
}

GBytes *
avatar_client_fetch_finish (AvatarClient  *self,
                            GAsyncResult  *result,
                            char         **content_type,
                            GError       **error)
{
  g_autoptr(AvatarResponse) response = NULL;

  response = public_request_finish (self, result, avatar_client_fetch_async, content_type, error);

  return response != NULL ? g_steal_pointer (&response->body) : NULL;
}

void
avatar_client_head_async (AvatarClient        *self,
                          const char          *url,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (AVATAR_IS_CLIENT (self));

  public_request_async (self, "HEAD", url, avatar_client_head_async, cancellable, callback, user_data);
}

gboolean
avatar_client_head_finish (AvatarClient  *self,
                           GAsyncResult  *result,
                           char         **content_type,
                           goffset       *content_length,
                           GError       **error)
{
  g_autoptr(AvatarResponse) response = NULL;

  response = public_request_finish (self, result, avatar_client_head_async, content_type, error);
  if (response == NULL)
    return FALSE;

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

void
avatar_client_emit_tokens_changed (AvatarClient *self)
{
  g_signal_emit (self, signals[TOKENS_CHANGED], 0);
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

  uri = avatar_client_parse_url (base_url, error);
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
