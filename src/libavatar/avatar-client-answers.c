/* avatar-client-answers.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the service hands out, read apart from any exchange: the boxed
 * types of its answers, its JSON documents and error bodies, and the
 * checks on the addresses in them.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "avatar-client-private.h"
#include "avatar-error.h"
#include "avatar-redact.h"

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

GUri *
avatar_client_parse_url (const char  *url,
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
  g_autoptr(GUri) uri = avatar_client_parse_url (url, error);

  return uri != NULL;
}

/* Error answers ---------------------------------------------------------- */

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

/* The code from {"error": {"code", "message"}}, when the body has one. */
char *
avatar_client_dup_server_code (GBytes *body)
{
  return dup_server_error_member (body, "code");
}

/* JSON answers ----------------------------------------------------------- */

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

/* A string member of an answer, read into a record at @offset. */
typedef struct
{
  const char *name;
  gsize       offset;
  gboolean    nullable;   /* JSON null is read as NULL */
  gboolean    is_url;     /* checked as avatar_client_check_url () does */
} Member;

static const Member profile_members[] = {
  { "id",        G_STRUCT_OFFSET (AvatarProfile, id),         FALSE, FALSE },
  { "username",  G_STRUCT_OFFSET (AvatarProfile, username),   FALSE, FALSE },
  { "avatarUrl", G_STRUCT_OFFSET (AvatarProfile, avatar_url), TRUE,  TRUE },
};

static const Member ticket_members[] = {
  { "uploadUrl", G_STRUCT_OFFSET (AvatarTicket, upload_url), FALSE, TRUE },
  { "assetKey",  G_STRUCT_OFFSET (AvatarTicket, asset_key),  FALSE, FALSE },
  { "cdnUrl",    G_STRUCT_OFFSET (AvatarTicket, cdn_url),    FALSE, TRUE },
};

typedef struct
{
  char *access_token;
  char *refresh_token;
} Tokens;

static const Member tokens_members[] = {
  { "accessToken",  G_STRUCT_OFFSET (Tokens, access_token),  FALSE, FALSE },
  { "refreshToken", G_STRUCT_OFFSET (Tokens, refresh_token), FALSE, FALSE },
};

/* Reads @members from the JSON object in @body into @record, then checks
 * the URLs among them; on failure, what was read is left in @record for
 * its owner to free. */
static gboolean
read_answer (GBytes        *body,
             const Member  *members,
             guint          n_members,
             gpointer       record,
             GError       **error)
{
  g_autoptr(JsonNode) root = parse_json_object (body, error);
  JsonObject *object;

  if (root == NULL)
    return FALSE;

  object = json_node_get_object (root);
  for (guint i = 0; i < n_members; i++)
    {
      if (!read_string_member (object, members[i].name, members[i].nullable,
                               &G_STRUCT_MEMBER (char *, record, members[i].offset), error))
        return FALSE;
    }

  for (guint i = 0; i < n_members; i++)
    {
      const char *url = G_STRUCT_MEMBER (char *, record, members[i].offset);

      if (members[i].is_url && url != NULL && !avatar_client_check_url (url, error))
        return FALSE;
    }

  return TRUE;
}

AvatarProfile *
avatar_client_parse_profile (GBytes  *body,
                             GError **error)
{
  g_autoptr(AvatarProfile) profile = g_new0 (AvatarProfile, 1);

  if (!read_answer (body, profile_members, G_N_ELEMENTS (profile_members), profile, error))
    return NULL;

  return g_steal_pointer (&profile);
}

AvatarTicket *
avatar_client_parse_ticket (GBytes      *body,
                            const char  *content_type,
                            GError     **error)
{
  g_autoptr(AvatarTicket) ticket = g_new0 (AvatarTicket, 1);

  ticket->content_type = g_strdup (content_type);
  if (!read_answer (body, ticket_members, G_N_ELEMENTS (ticket_members), ticket, error))
    return NULL;

  return g_steal_pointer (&ticket);
}

gboolean
avatar_client_parse_tokens (GBytes  *body,
                            char   **access_token,
                            char   **refresh_token,
                            GError **error)
{
  Tokens tokens = { NULL, NULL };

  if (!read_answer (body, tokens_members, G_N_ELEMENTS (tokens_members), &tokens, error))
    {
      g_free (tokens.access_token);
      g_free (tokens.refresh_token);
      return FALSE;
    }

  *access_token = tokens.access_token;
  *refresh_token = tokens.refresh_token;
  return TRUE;
}
