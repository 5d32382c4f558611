/* avatar-server-json.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The JSON bodies of the devserver's REST API and /_dev/ routes. */

#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Adds the member @name with @value, or null if @value is %NULL. */
void        avatar_server_json_add_string            (JsonBuilder        *builder,
                                                      const char         *name,
                                                      const char         *value);
void        avatar_server_json_add_int               (JsonBuilder        *builder,
                                                      const char         *name,
                                                      gint64              value);
/* Answers with what @builder has built. */
void        avatar_server_respond_json               (SoupServerMessage  *msg,
                                                      guint               status,
                                                      JsonBuilder        *builder);
void        avatar_server_respond_error              (SoupServerMessage  *msg,
                                                      guint               status,
                                                      const char         *code,
                                                      const char         *message);
void        avatar_server_respond_method_not_allowed (SoupServerMessage  *msg,
                                                      const char         *allow);
void        avatar_server_respond_not_found          (SoupServerMessage  *msg);
/* Logs @error and answers 500 without saying more. */
void        avatar_server_respond_internal_error     (SoupServerMessage  *msg,
                                                      GError             *error);
/* Returns: (transfer full) (nullable): the request's body as a JSON object,
 * or %NULL with an error response set. */
JsonObject *avatar_server_read_json_object           (SoupServerMessage  *msg);
/* Returns: (nullable): @name's value if it is a string. */
const char *avatar_server_get_string_member          (JsonObject         *object,
                                                      const char         *name);
/* Refuses a body over AVATAR_MAX_API_BODY (64 KiB) from its
 * Content-Length, before it is read. */
void        avatar_server_api_early_handler          (SoupServer         *server,
                                                      SoupServerMessage  *msg,
                                                      const char         *path,
                                                      GHashTable         *query,
                                                      gpointer            user_data);

G_END_DECLS
