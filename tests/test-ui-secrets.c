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

static void
test_application_account (void)
{
  g_autoptr (AvatarTestServer) server = avatar_test_server_start (NULL);
  g_autoptr (AvatarApplication) first = start_application ();
  g_autoptr (AvatarApplication) second = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;
  g_autofree char *stored_access = NULL;
  g_autofree char *stored_refresh = NULL;
  g_autofree char *refreshed = NULL;
  AvatarClient *client;
  ProfileWait wait = { 0 };

  avatar_test_server_login (server, "keyring_user", &access_token, &refresh_token, NULL);

  /* Signing in with "remember" stores the pair under the server's address. */
  g_assert_true (avatar_application_set_account (first, server->base_url, server->app_id,
                                                 access_token, refresh_token, TRUE, &error));
  g_assert_no_error (error);
  wait_until_stored (server->base_url, access_token);
  g_clear_object (&first);

  /* The next start signs in with them. */
  second = start_application ();
  g_assert_true (avatar_test_ui_wait_until (has_client, second, WAIT_MS));
  client = avatar_application_get_client (second);
  g_assert_cmpstr (avatar_client_get_base_url (client), ==, server->base_url);
  stored_access = avatar_client_dup_access_token (client);
  g_assert_cmpstr (stored_access, ==, access_token);

  /* An expired token is refreshed, and the new pair replaces the old one. */
  avatar_test_server_set_fault (server, "{\"expireAccessTokens\": true}");
  wait.client = client;
  avatar_client_get_profile_async (client, NULL, profile_cb, &wait);
  g_assert_true (avatar_test_ui_wait_until (profile_done, &wait, WAIT_MS));
  g_assert_true (wait.ok);
  refreshed = avatar_client_dup_access_token (client);
  g_assert_cmpstr (refreshed, !=, access_token);
  wait_until_stored (server->base_url, refreshed);

  /* Signing out forgets them. */
  avatar_application_sign_out (second);
  g_assert_null (avatar_application_get_client (second));
  wait_until_stored (server->base_url, NULL);
  lookup_stored (server->base_url, &stored_access, &stored_refresh);
  g_assert_null (stored_refresh);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secrets/store-and-lookup", test_store_and_lookup);
  g_test_add_func ("/secrets/application-account", test_application_account);

  return g_test_run ();
}
