/* avatar-keyring.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "avatar-keyring.h"

const SecretSchema *
avatar_keyring_get_schema (void)
{
  static const SecretSchema schema = {
    BASE_APP_ID ".Token", SECRET_SCHEMA_NONE,
    {
      { "server-url", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

char *
avatar_keyring_lookup (const char    *server_url,
                       const char    *kind,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_return_val_if_fail (server_url != NULL && kind != NULL, NULL);

  return secret_password_lookup_sync (avatar_keyring_get_schema (), cancellable, error,
                                      "server-url", server_url, "kind", kind, NULL);
}

gboolean
avatar_keyring_store (const char    *server_url,
                      const char    *kind,
                      const char    *token,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autofree char *label = NULL;

  g_return_val_if_fail (server_url != NULL && kind != NULL, FALSE);

  if (token == NULL || token[0] == '\0')
    {
      GError *local_error = NULL;

      /* FALSE without an error only means that nothing was stored. */
      secret_password_clear_sync (avatar_keyring_get_schema (), cancellable, &local_error,
                                  "server-url", server_url, "kind", kind, NULL);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      return TRUE;
    }

  /* Translators: the name of a stored password; %s is a server address. */
  label = g_strdup_printf (g_str_equal (kind, AVATAR_KEYRING_KIND_ACCESS)
                           ? _("Avatar Uploader access token for %s")
                           : _("Avatar Uploader refresh token for %s"),
                           server_url);

  return secret_password_store_sync (avatar_keyring_get_schema (), SECRET_COLLECTION_DEFAULT, label, token,
                                     cancellable, error,
                                     "server-url", server_url, "kind", kind, NULL);
}
