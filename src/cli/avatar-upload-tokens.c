/* avatar-upload-tokens.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Where avatar-upload finds its tokens, and where it keeps the ones the
 * service rotates: a private token file, or the keyring the app uses.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "avatar-keyring.h"
#include "avatar-upload-cli.h"

/* A token file holds {"accessToken", "refreshToken"}, readable by its owner
 * alone. FALSE with @error set when it exists but cannot be used; TRUE,
 * with nothing read, when it does not exist yet. */
static gboolean
read_token_file (const char  *path,
                 char       **access_token,
                 char       **refresh_token,
                 GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *contents = NULL;
  JsonObject *object;
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return TRUE;

  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   _("The token file %s can be read by others; make it private with “chmod 600”."), path);
      return FALSE;
    }

  if (!g_file_get_contents (path, &contents, NULL, error) ||
      !json_parser_load_from_data (parser, contents, -1, error))
    return FALSE;

  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("The token file %s does not hold “accessToken” and “refreshToken”."), path);
      return FALSE;
    }

  object = json_node_get_object (json_parser_get_root (parser));
  *access_token = g_strdup (json_object_get_string_member_with_default (object, "accessToken", NULL));
  *refresh_token = g_strdup (json_object_get_string_member_with_default (object, "refreshToken", NULL));

  return TRUE;
}

static gboolean
write_token_file (const char  *path,
                  const char  *access_token,
                  const char  *refresh_token,
                  GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  cli_add_string_or_null (builder, "accessToken", access_token);
  cli_add_string_or_null (builder, "refreshToken", refresh_token);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* The service rotated the tokens, and the old refresh token is dead: the
 * new pair goes where the next run looks, the token file or the keyring. */
void
cli_tokens_changed_cb (AvatarClient *client,
                       Cli          *cli)
{
  g_autofree char *access_token = avatar_client_dup_access_token (client);
  g_autofree char *refresh_token = avatar_client_dup_refresh_token (client);
  g_autoptr(GError) error = NULL;

  if (cli->token_file != NULL)
    write_token_file (cli->token_file, access_token, refresh_token, &error);
  else if (avatar_keyring_store (cli->server, AVATAR_KEYRING_KIND_ACCESS, access_token, NULL, &error))
    avatar_keyring_store (cli->server, AVATAR_KEYRING_KIND_REFRESH, refresh_token, NULL, &error);

  if (error != NULL)
    {
      cli_progress_end (cli);
      g_printerr (_("The service gave new tokens, which could not be kept (%s); "
                    "the next run needs --token-file or a keyring.\n"), error->message);
    }
}

/* Options first, then the token file, then the environment; the keyring
 * when none of them has a token. */
int
cli_find_tokens (Cli *cli)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file_access = NULL;
  g_autofree char *file_refresh = NULL;

  if (cli->token_file != NULL &&
      !read_token_file (cli->token_file, &file_access, &file_refresh, &error))
    return cli_usage_error (error->message);

  if (cli->token == NULL && cli->refresh_token == NULL && (file_access || file_refresh))
    {
      cli->token = g_steal_pointer (&file_access);
      cli->refresh_token = g_steal_pointer (&file_refresh);
    }

  cli->token = cli_setting (cli->token, "AVATAR_TOKEN");
  cli->refresh_token = cli_setting (cli->refresh_token, "AVATAR_REFRESH_TOKEN");

  if (cli->token == NULL && cli->refresh_token == NULL && cli->token_file == NULL)
    {
      /* No Secret Service is no error: there is just nothing stored. */
      cli->token = avatar_keyring_lookup (cli->server, AVATAR_KEYRING_KIND_ACCESS, NULL, NULL);
      cli->refresh_token = avatar_keyring_lookup (cli->server, AVATAR_KEYRING_KIND_REFRESH, NULL, NULL);
    }

  if (cli->token == NULL && cli->refresh_token == NULL)
    return cli_usage_error (_("No access token: pass --token-file, set AVATAR_TOKEN, or sign in with the app."));

  /* A token file named for the first time starts with the tokens given. */
  if (cli->token_file != NULL && !g_file_test (cli->token_file, G_FILE_TEST_EXISTS) &&
      !write_token_file (cli->token_file, cli->token, cli->refresh_token, &error))
    return cli_usage_error (error->message);

  return EXIT_DONE;
}
