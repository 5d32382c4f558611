/* avatar-test-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Runs avatar-upload for the tests of the command line, with the settings
 * each test gives and no keyring. */

#include "config.h"

#include <string.h>

#include "avatar-test-cli.h"
#include "avatar-test-images.h"

void
avatar_test_cli_run_clear (AvatarTestCliRun *run)
{
  g_clear_object (&run->process);
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
  run->done = FALSE;
  run->status = -1;
}

static void
communicated_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  AvatarTestCliRun *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &run->out, &run->err, &error);
  g_assert_no_error (error);

  if (g_subprocess_get_if_exited (run->process))
    {
      run->status = g_subprocess_get_exit_status (run->process);
    }
  else
    {
      run->status = 128 + g_subprocess_get_term_sig (run->process);
      /* A crash or a sanitizer's abort: what it said, for the log. */
      g_printerr ("avatar-upload died of signal %d; it wrote:\n%s\n", run->status - 128, run->err);
    }
  run->done = TRUE;
}

void
avatar_test_cli_start (AvatarTestCliRun   *run,
                       const char * const *env,
                       const char * const *args)
{
  avatar_test_cli_start_full (run, env, args, -1);
}

void
avatar_test_cli_start_full (AvatarTestCliRun   *run,
                            const char * const *env,
                            const char * const *args,
                            int                 stderr_fd)
{
  const char *cli = g_getenv ("AVATAR_UPLOAD_CLI");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (cli);

  launcher = g_subprocess_launcher_new (stderr_fd == -1
                                        ? G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE
                                        : G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  if (stderr_fd != -1)
    g_subprocess_launcher_take_stderr_fd (launcher, stderr_fd);
  g_subprocess_launcher_unsetenv (launcher, "AVATAR_SERVER");
  g_subprocess_launcher_unsetenv (launcher, "AVATAR_APP_ID");
  g_subprocess_launcher_unsetenv (launcher, "AVATAR_TOKEN");
  g_subprocess_launcher_unsetenv (launcher, "AVATAR_REFRESH_TOKEN");
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  /* No keyring: the tokens are the ones each test gives. */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }

  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  run->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (run->process, NULL, NULL, communicated_cb, run);
}

void
avatar_test_cli_run (AvatarTestCliRun   *run,
                     const char * const *env,
                     const char * const *args)
{
  avatar_test_cli_start (run, env, args);
  avatar_test_wait_flag (&run->done);
}

JsonObject *
avatar_test_cli_parse_output (AvatarTestCliRun *run)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;

  root = json_from_string (run->out, &error);
  g_assert_no_error (error);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_object_ref (json_node_get_object (root));
}

void
avatar_test_assert_one_sentence (const char *text)
{
  g_assert_nonnull (text);
  g_assert_cmpuint (strlen (text), >, 2);
  g_assert_true (g_str_has_suffix (text, ".\n"));
  g_assert_true (strchr (text, '\n') == text + strlen (text) - 1);
}

JsonObject *
avatar_test_cli_run_json (AvatarTestCliRun   *run,
                          const char * const *env,
                          const char * const *args)
{
  avatar_test_cli_run (run, env, args);
  g_assert_cmpint (run->status, ==, 0);

  return avatar_test_cli_parse_output (run);
}

void
avatar_test_cli_assert_failed (AvatarTestCliRun *run,
                               int               status)
{
  g_assert_cmpint (run->status, ==, status);
  g_assert_cmpstr (run->out, ==, "");
  avatar_test_assert_one_sentence (run->err);
}

char **
avatar_test_cli_server_env_with_tokens (AvatarTestCliFixture *fixture,
                                        const char           *access_token,
                                        const char           *refresh_token)
{
  char **env = g_new0 (char *, 1);

  env = g_environ_setenv (env, "AVATAR_SERVER", fixture->server->base_url, TRUE);
  env = g_environ_setenv (env, "AVATAR_APP_ID", fixture->server->app_id, TRUE);
  if (access_token != NULL)
    env = g_environ_setenv (env, "AVATAR_TOKEN", access_token, TRUE);
  if (refresh_token != NULL)
    env = g_environ_setenv (env, "AVATAR_REFRESH_TOKEN", refresh_token, TRUE);

  return env;
}

char **
avatar_test_cli_server_env (AvatarTestCliFixture *fixture)
{
  return avatar_test_cli_server_env_with_tokens (fixture, fixture->server->access_token,
                                                 fixture->server->refresh_token);
}

char **
avatar_test_cli_api_env (AvatarTestHttp *api)
{
  char **env = g_new0 (char *, 4);

  env[0] = g_strconcat ("AVATAR_SERVER=", avatar_test_http_get_url (api), NULL);
  env[1] = g_strdup ("AVATAR_APP_ID=app");
  env[2] = g_strdup ("AVATAR_TOKEN=t");

  return env;
}

char *
avatar_test_cli_write_file (AvatarTestCliFixture *fixture,
                            const char           *name,
                            GBytes               *bytes)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture->dir, name, NULL);

  g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);

  return path;
}

void
avatar_test_cli_setup (AvatarTestCliFixture *fixture,
                       gconstpointer         data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = avatar_test_image_new ("png", 160, 120);

  fixture->server = avatar_test_server_start (NULL);
  fixture->dir = g_dir_make_tmp ("avatar-cli-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->picture = avatar_test_cli_write_file (fixture, "picture.png", png);
}

void
avatar_test_cli_teardown (AvatarTestCliFixture *fixture,
                          gconstpointer         data)
{
  g_clear_pointer (&fixture->server, avatar_test_server_stop);
  avatar_test_remove_dir (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->picture);
}

void
avatar_test_cli_add (const char        *path,
                     gconstpointer      data,
                     AvatarTestCliFunc  func)
{
  g_test_add (path, AvatarTestCliFixture, data, avatar_test_cli_setup, func, avatar_test_cli_teardown);
}
