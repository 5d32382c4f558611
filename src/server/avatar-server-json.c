/* avatar-server-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The JSON bodies of the REST API and the /_dev/ routes: reading a request's object within the
 * size limit, and writing responses and errors. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "avatar-server-private.h"

/* Responses */

/* Adds the member @name to the object @builder is building, with the
 * string @value, or null if @value is %NULL. */
void
avatar_server_json_add_string (JsonBuilder *builder,
                               const char  *name,
                               const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
avatar_server_json_add_int (JsonBuilder *builder,
                            const char  *name,
                            gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

/* Answers with what @builder has built. */
void
avatar_server_respond_json (SoupServerMessage *msg,
                            guint              status,
                            JsonBuilder       *builder)
{
  g_autoptr(JsonNode) node = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (node, FALSE);
  gsize len = strlen (text);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                     g_steal_pointer (&text), len);
}

void
avatar_server_respond_error (SoupServerMessage *msg,
                             guint              status,
                             const char        *code,
                             const char        *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  avatar_server_json_add_string (builder, "code", code);
  avatar_server_json_add_string (builder, "message", message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  avatar_server_respond_json (msg, status, builder);
}

void
avatar_server_respond_method_not_allowed (SoupServerMessage *msg,
                                          const char        *allow)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
  avatar_server_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                               _("This address does not accept that method."));
}

void
avatar_server_respond_not_found (SoupServerMessage *msg)
{
  avatar_server_respond_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", _("There is nothing at this address."));
}

void
avatar_server_respond_internal_error (SoupServerMessage *msg,
                                      GError            *error)
{
  g_warning ("Internal error: %s", error->message);
  avatar_server_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                               _("The service ran into a problem. Try again later."));
}

/* Requests */

JsonObject *
avatar_server_read_json_object (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) bytes = NULL;
  JsonNode *root;

  /* A body of unknown length that grew too large was not kept. */
  if (GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "avatar-body-size")) > AVATAR_MAX_API_BODY ||
      (bytes = soup_message_body_flatten (body)) == NULL ||
      g_bytes_get_size (bytes) > AVATAR_MAX_API_BODY)
    {
      avatar_server_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                                   _("The request body is larger than 64 KiB."));
      return NULL;
    }

  if (!g_utf8_validate (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL) ||
      !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      avatar_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                   _("The request body must be a JSON object."));
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

const char *
avatar_server_get_string_member (JsonObject *object,
                                 const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);

  return NULL;
}

/* Counts a body of unknown length and stops keeping it once it is too
 * large; the handler then answers 413. */
static void
api_body_chunk (SoupServerMessage *msg,
                GBytes            *chunk,
                gpointer           user_data)
{
  gsize total = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "avatar-body-size"));

  total += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), "avatar-body-size", GSIZE_TO_POINTER (total));
  if (total > AVATAR_MAX_API_BODY)
    soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
}

/* Refuses a large API body from its Content-Length, before it is read. */
void
avatar_server_api_early_handler (SoupServer        *server,
                                 SoupServerMessage *msg,
                                 const char        *path,
                                 GHashTable        *query,
                                 gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    {
      g_signal_connect (msg, "got-chunk", G_CALLBACK (api_body_chunk), NULL);
      return;
    }

  if (soup_message_headers_get_content_length (headers) > AVATAR_MAX_API_BODY)
    {
      avatar_server_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                                   _("The request body is larger than 64 KiB."));
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
    }
}
