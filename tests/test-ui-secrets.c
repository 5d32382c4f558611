/* test-ui-secrets.c
 *
 * Tokens in the Secret Service: stored per server, restored on start-up,
 * replaced after a refresh, forgotten on sign-out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gtk/gtk.h>

#include "avatar-application.h"
#include "avatar-secrets.h"
#include "avatar-test-broadway.h"
#include "avatar-test-server.h"

#define WAIT_MS 60000

typedef struct
{
  AvatarSecrets *secrets;
  const char    *server_url;
  gboolean       done;
  gboolean       found;
  char          *access_token;
  char          *refresh_token;
} Lookup;

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&lookup->access_token, g_free);
  g_clear_pointer (&lookup->refresh_token, g_free);
  lookup->found = avatar_secrets_lookup_finish (AVATAR_SECRETS (object), result,
                                                &lookup->access_token, &lookup->refresh_token,
                                                &error);
  g_assert_no_error (error);
  lookup->done = TRUE;
}

static gboolean
lookup_done (gpointer data)
{
  return ((Lookup *) data)->done;
}

/* What a fresh start would find in the keyring for @server_url. */
static void
lookup_stored (const char  *server_url,
               char       **access_token,
               char       **refresh_token)
{
  g_autoptr (AvatarSecrets) secrets = avatar_secrets_new ();
  Lookup lookup = { secrets, server_url, FALSE, FALSE, NULL, NULL };

  avatar_secrets_lookup_async (secrets, server_url, NULL, lookup_cb, &lookup);
  g_assert_true (avatar_test_ui_wait_until (lookup_done, &lookup, WAIT_MS));
  g_assert_true (lookup.found);
  g_assert_true (avatar_secrets_get_available (secrets));

  *access_token = lookup.access_token;
  *refresh_token = lookup.refresh_token;
}

typedef struct
{
  const char *server_url;
  const char *access_token;
} StoredWait;

/* Storing runs in a worker thread; the keyring has it once a lookup sees it. */
static gboolean
is_stored (gpointer data)
{
  StoredWait *wait = data;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  lookup_stored (wait->server_url, &access_token, &refresh_token);

  return g_strcmp0 (access_token, wait->access_token) == 0;
}

static void
wait_until_stored (const char *server_url,
                   const char *access_token)
{
  StoredWait wait = { server_url, access_token };

  g_assert_true (avatar_test_ui_wait_until (is_stored, &wait, WAIT_MS));
}

static void
test_store_and_lookup (void)
{
  g_autoptr (AvatarSecrets) secrets = avatar_secrets_new ();
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  avatar_secrets_store (secrets, "https://one.example.com", "access-one", "refresh-one");
  avatar_secrets_store (secrets, "https://two.example.com", "access-two", "refresh-two");
  wait_until_stored ("https://one.example.com", "access-one");
  wait_until_stored ("https://two.example.com", "access-two");

  /* Each server has its own pair. */
  lookup_stored ("https://one.example.com", &access_token, &refresh_token);
  g_assert_cmpstr (access_token, ==, "access-one");
  g_assert_cmpstr (refresh_token, ==, "refresh-one");
  g_clear_pointer (&access_token, g_free);
  g_clear_pointer (&refresh_token, g_free);

  /* Removing them leaves nothing behind. */
  avatar_secrets_store (secrets, "https://one.example.com", NULL, NULL);
  wait_until_stored ("https://one.example.com", NULL);
  lookup_stored ("https://one.example.com", &access_token, &refresh_token);
  g_assert_null (access_token);
  g_assert_null (refresh_token);
  g_clear_pointer (&access_token, g_free);

  lookup_stored ("https://two.example.com", &access_token, &refresh_token);
  g_assert_cmpstr (access_token, ==, "access-two");
}

static AvatarApplication *
start_application (void)
{
  g_autoptr (GError) error = NULL;
  AvatarApplication *app = avatar_application_new ();

  g_application_set_flags (G_APPLICATION (app),
                           g_application_get_flags (G_APPLICATION (app)) | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  return app;
}

static gboolean
has_client (gpointer data)
{
  return avatar_application_get_client (data) != NULL;
}

typedef struct
{
  AvatarClient *client;
  gboolean      done;
  gboolean      ok;
} ProfileWait;

static void
profile_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  ProfileWait *wait = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AvatarProfile) profile = avatar_client_get_profile_finish (AVATAR_CLIENT (object), result, &error);

  g_assert_no_error (error);
  wait->ok = profile != NULL;
  wait->done = TRUE;
}

static gboolean
profile_done (gpointer data)
{
  return ((ProfileWait *) data)->done;
}

/* A second start of the application, in a process of its own as in real
 * life; the first one left the server and app ID in the settings and the
 * tokens in the keyring. */
static void
test_application_restart (void)
{
  g_autoptr (AvatarApplication) app = start_application ();
  const char *server_url = g_getenv ("AVATAR_TEST_SERVER_URL");
  const char *access_token = g_getenv ("AVATAR_TEST_ACCESS_TOKEN");
  g_autofree char *restored = NULL;
  g_autofree char *refreshed = NULL;
  g_autofree char *stored_access = NULL;
  g_autofree char *stored_refresh = NULL;
  AvatarClient *client;
  ProfileWait wait = { 0 };

  /* It signs in with what was stored. */
  g_assert_true (avatar_test_ui_wait_until (has_client, app, WAIT_MS));
  client = avatar_application_get_client (app);
  g_assert_cmpstr (avatar_client_get_base_url (client), ==, server_url);
  restored = avatar_client_dup_access_token (client);
  g_assert_cmpstr (restored, ==, access_token);

  /* The server expired that token: it is refreshed, and the new pair
   * replaces the old one in the keyring. */
  wait.client = client;
  avatar_client_get_profile_async (client, NULL, profile_cb, &wait);
  g_assert_true (avatar_test_ui_wait_until (profile_done, &wait, WAIT_MS));
  g_assert_true (wait.ok);
  refreshed = avatar_client_dup_access_token (client);
  g_assert_cmpstr (refreshed, !=, access_token);
  wait_until_stored (server_url, refreshed);

  /* Signing out forgets them. */
  avatar_application_sign_out (app);
  g_assert_null (avatar_application_get_client (app));
  wait_until_stored (server_url, NULL);
  lookup_stored (server_url, &stored_access, &stored_refresh);
  g_assert_null (stored_refresh);
}

static void
test_application_account (void)
{
  g_autoptr (AvatarTestServer) server = NULL;
  g_autoptr (AvatarApplication) app = NULL;
  g_autoptr (GSettings) settings = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;

  if (g_test_subprocess ())
    {
      test_application_restart ();
      return;
    }

  server = avatar_test_server_start (NULL);
  app = start_application ();
  avatar_test_server_login (server, "keyring_user", &access_token, &refresh_token, NULL);

  /* Signing in with "remember" keeps the server and app ID in the settings
   * and the pair in the keyring, under the server's address. */
  g_assert_true (avatar_application_set_account (app, server->base_url, server->app_id,
                                                 access_token, refresh_token, TRUE, &error));
  g_assert_no_error (error);
  wait_until_stored (server->base_url, access_token);
  settings = g_settings_new (BASE_APP_ID);
  g_assert_cmpstr (g_settings_get_string (settings, "server-url"), ==, server->base_url);
  g_settings_sync ();

  avatar_test_server_set_fault (server, "{\"expireAccessTokens\": true}");

  g_setenv ("AVATAR_TEST_SERVER_URL", server->base_url, TRUE);
  g_setenv ("AVATAR_TEST_ACCESS_TOKEN", access_token, TRUE);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  /* Settings on disk, in the private home of run-with-keyring.sh, so that
   * a second process sees what the first one saved. */
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secrets/store-and-lookup", test_store_and_lookup);
  g_test_add_func ("/secrets/application-account", test_application_account);


  return g_test_run ();
}
