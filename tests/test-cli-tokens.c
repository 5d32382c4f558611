/* test-cli-tokens.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * avatar-upload keeps the tokens the service rotates: in the keyring item
 * the app uses, or in the private file the user named, so that the next
 * run works. Run inside run-with-keyring.sh, with a throw-away keyring.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "avatar-keyring.h"
#include "avatar-test-http.h"
#include "avatar-test-server.h"

typedef struct
{
  AvatarTestServer *server;
  char             *dir;
} Fixture;

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  fixture->server = avatar_test_server_start (NULL);
  fixture->dir = g_dir_make_tmp ("avatar-cli-tokens-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  avatar_keyring_store (fixture->server->base_url, AVATAR_KEYRING_KIND_ACCESS, NULL, NULL, &error);
  g_assert_no_error (error);
  avatar_keyring_store (fixture->server->base_url, AVATAR_KEYRING_KIND_REFRESH, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&fixture->server, avatar_test_server_stop);
  avatar_test_remove_dir (fixture->dir);
  g_free (fixture->dir);
}

/* Runs `avatar-upload --profile` with only the service's address and
 * app id in the environment, and @env on top; the exit status. */
static int
run_profile (Fixture            *fixture,
             const char * const *env,
             const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_unsetenv (launcher, "AVATAR_TOKEN");
  g_subprocess_launcher_unsetenv (launcher, "AVATAR_REFRESH_TOKEN");
  g_subprocess_launcher_unsetenv (launcher, "AVATAR_TOKEN_FILE");
  g_subprocess_launcher_setenv (launcher, "AVATAR_SERVER", fixture->server->base_url, TRUE);
  g_subprocess_launcher_setenv (launcher, "AVATAR_APP_ID", fixture->server->app_id, TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);

  g_ptr_array_add (argv, (gpointer) g_getenv ("AVATAR_UPLOAD_CLI"));
  g_ptr_array_add (argv, (gpointer) "--profile");
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);

  return g_subprocess_get_exit_status (process);
}

static char *
keyring_token (Fixture    *fixture,
               const char *kind)
{
  g_autoptr(GError) error = NULL;
  char *token = avatar_keyring_lookup (fixture->server->base_url, kind, NULL, &error);

  g_assert_no_error (error);
  return token;
}

/* A refresh rotates both tokens; the next run, given no token at all,
 * finds the new pair where the app would. */
static void
test_keyring (Fixture       *fixture,
              gconstpointer  data)
{
  const char *env[] = { "AVATAR_REFRESH_TOKEN", fixture->server->refresh_token, NULL };
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;
  g_autofree char *rotated = NULL;

  g_assert_cmpint (run_profile (fixture, env, NULL), ==, 0);

  access_token = keyring_token (fixture, AVATAR_KEYRING_KIND_ACCESS);
  refresh_token = keyring_token (fixture, AVATAR_KEYRING_KIND_REFRESH);
  g_assert_nonnull (access_token);
  g_assert_nonnull (refresh_token);
  g_assert_cmpstr (refresh_token, !=, fixture->server->refresh_token);

  /* Expired again: the stored refresh token renews it once more. */
  avatar_test_server_set_fault (fixture->server, "{\"expireAccessTokens\": true}");
  g_assert_cmpint (run_profile (fixture, NULL, NULL), ==, 0);
  rotated = keyring_token (fixture, AVATAR_KEYRING_KIND_REFRESH);
  g_assert_cmpstr (rotated, !=, refresh_token);
}

static void
read_pair (const char  *path,
           char       **access_token,
           char       **refresh_token)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  *access_token = g_strdup (json_object_get_string_member (object, "accessToken"));
  *refresh_token = g_strdup (json_object_get_string_member (object, "refreshToken"));
}

/* With --token-file, the pair lives in that private file, and the keyring
 * is left alone. */
static void
test_token_file (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "tokens.json", NULL);
  const char *env[] = { "AVATAR_TOKEN", fixture->server->access_token,
                        "AVATAR_REFRESH_TOKEN", fixture->server->refresh_token, NULL };
  const char *args[] = { "--token-file", path, NULL };
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;
  g_autofree char *rotated_access = NULL;
  g_autofree char *rotated_refresh = NULL;

  /* Named for the first time: it starts with the tokens given. */
  g_assert_cmpint (run_profile (fixture, env, args), ==, 0);
  read_pair (path, &access_token, &refresh_token);
  g_assert_cmpstr (refresh_token, ==, fixture->server->refresh_token);

  /* A refresh rewrites it; the stale variables no longer count. */
  avatar_test_server_set_fault (fixture->server, "{\"expireAccessTokens\": true}");
  g_assert_cmpint (run_profile (fixture, env, args), ==, 0);
  read_pair (path, &rotated_access, &rotated_refresh);
  g_assert_cmpstr (rotated_refresh, !=, refresh_token);
  g_assert_cmpstr (rotated_access, !=, access_token);

  avatar_test_server_set_fault (fixture->server, "{\"expireAccessTokens\": true}");
  g_assert_cmpint (run_profile (fixture, NULL, args), ==, 0);

  g_assert_null (keyring_token (fixture, AVATAR_KEYRING_KIND_REFRESH));
}

/* A token file others can read is refused. */
static void
test_token_file_private (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "open.json", NULL);
  const char *args[] = { "--token-file", path, NULL };
  g_autoptr(GError) error = NULL;

  g_file_set_contents_full (path, "{\"accessToken\": \"a\", \"refreshToken\": \"r\"}", -1,
                            G_FILE_SET_CONTENTS_NONE, 0644, &error);
  g_assert_no_error (error);
  g_assert_cmpint (run_profile (fixture, NULL, args), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cli-tokens/keyring", Fixture, NULL, setup, test_keyring, teardown);
  g_test_add ("/cli-tokens/token-file", Fixture, NULL, setup, test_token_file, teardown);
  g_test_add ("/cli-tokens/token-file-private", Fixture, NULL, setup, test_token_file_private, teardown);

  return g_test_run ();
}
