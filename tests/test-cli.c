/* test-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The avatar-upload command (its path in $AVATAR_UPLOAD_CLI) when it does
 * what it was asked: its JSON on stdout, its progress on a terminal, its
 * log, and its options, against avatar-devserver. Its failures and exit
 * codes are in test-cli-exit.c.
 */

#include "config.h"

#include <errno.h>
#include <pty.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "avatar-test-cli.h"
#include "avatar-test-images.h"

static void
test_upload (AvatarTestCliFixture *fixture,
             gconstpointer         data)
{
  g_auto(GStrv) env = avatar_test_cli_server_env (fixture);
  const char *args[] = { fixture->picture, NULL };
  static const char * const variants[] = { "44", "48", "60", "original", "raw" };
  static const char * const timings[] = { "prepareMs", "requestMs", "uploadMs", "processingMs", "variantsMs", "totalMs" };
  g_autoptr(JsonObject) output = NULL;
  JsonObject *object;
  AvatarTestCliRun run = { 0, };

  output = avatar_test_cli_run_json (&run, (const char * const *) env, args);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (output, "avatarUrl"), "/original.webp"));
  g_assert_nonnull (strstr (json_object_get_string_member (output, "avatarUrl"),
                            json_object_get_string_member (output, "assetKey")));

  object = json_object_get_object_member (output, "variants");
  g_assert_cmpuint (json_object_get_size (object), ==, G_N_ELEMENTS (variants));
  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      JsonObject *variant = json_object_get_object_member (object, variants[i]);
      int side = i < 3 ? atoi (variants[i]) : 120;

      g_assert_nonnull (variant);
      g_assert_true (g_str_has_prefix (json_object_get_string_member (variant, "url"), "http://127.0.0.1:"));
      g_assert_cmpint (json_object_get_int_member (variant, "width"), ==, side);
      g_assert_cmpint (json_object_get_int_member (variant, "height"), ==, side);
      g_assert_cmpint (json_object_get_int_member (variant, "bytes"), >, 0);
    }

  object = json_object_get_object_member (output, "timings");
  for (guint i = 0; i < G_N_ELEMENTS (timings); i++)
    {
      g_assert_true (json_object_has_member (object, timings[i]));
      g_assert_cmpint (json_object_get_int_member (object, timings[i]), >=, 0);
    }

  avatar_test_cli_run_clear (&run);
}

/* With debug logging on, the log goes to stderr, where no token or URL
 * signature shows: both are 64 hexadecimal digits, as no other value the
 * command could log is. */
static void
test_debug_log (AvatarTestCliFixture *fixture,
                gconstpointer         data)
{
  g_auto(GStrv) env = avatar_test_cli_server_env (fixture);
  const char *args[] = { fixture->picture, NULL };
  g_autoptr(GRegex) secret = g_regex_new ("[0-9a-fA-F]{64}", 0, 0, NULL);
  g_autoptr(JsonObject) output = NULL;
  AvatarTestCliRun run = { 0, };

  env = g_environ_setenv (env, "G_MESSAGES_DEBUG", "all", TRUE);
  /* The refresh's answer carries new tokens, and the PUT a signed URL. */
  avatar_test_server_set_fault (fixture->server, "{\"expireAccessTokens\": true}");

  output = avatar_test_cli_run_json (&run, (const char * const *) env, args);
  g_assert_nonnull (json_object_get_string_member (output, "avatarUrl"));

  g_assert_nonnull (strstr (run.err, "POST "));
  g_assert_nonnull (strstr (run.err, "/auth/refresh"));
  g_assert_nonnull (strstr (run.err, "PUT "));
  g_assert_nonnull (strstr (run.err, "X-Amz-Signature="));
  g_assert_null (strstr (run.err, fixture->server->access_token));
  g_assert_null (strstr (run.err, fixture->server->refresh_token));
  g_assert_null (strstr (run.err, "Bearer "));
  g_assert_false (g_regex_match (secret, run.err, 0, NULL));
  avatar_test_cli_run_clear (&run);
}

typedef struct
{
  GString *text;
  guint    watch;
} Terminal;

/* Reads what the command wrote to its terminal, until it closed it. */
static gboolean
terminal_readable_cb (int           fd,
                      GIOCondition  condition,
                      gpointer      user_data)
{
  Terminal *terminal = user_data;
  char buffer[4096];
  ssize_t size;

  while ((size = read (fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (terminal->text, buffer, size);

  if (size < 0 && errno == EAGAIN)
    return G_SOURCE_CONTINUE;

  terminal->watch = 0;
  return G_SOURCE_REMOVE;
}

/* On a terminal, stderr shows the progress; stdout still holds only the
 * JSON. */
static void
test_progress_on_terminal (AvatarTestCliFixture *fixture,
                           gconstpointer         data)
{
  g_auto(GStrv) env = avatar_test_cli_server_env (fixture);
  const char *args[] = { fixture->picture, NULL };
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(JsonObject) output = NULL;
  Terminal terminal = { text, 0 };
  int controller, device;
  AvatarTestCliRun run = { 0, };

  g_assert_cmpint (openpty (&controller, &device, NULL, NULL, NULL), ==, 0);
  g_assert_true (g_unix_set_fd_nonblocking (controller, TRUE, NULL));
  terminal.watch = g_unix_fd_add (controller, G_IO_IN | G_IO_HUP | G_IO_ERR, terminal_readable_cb, &terminal);

  avatar_test_cli_start_full (&run, (const char * const *) env, args, device);
  avatar_test_wait_flag (&run.done);
  if (terminal.watch != 0)
    {
      g_source_remove (terminal.watch);
      terminal.watch = 0;
      terminal_readable_cb (controller, G_IO_IN, &terminal);
    }
  close (controller);

  g_assert_cmpint (run.status, ==, 0);
  output = avatar_test_cli_parse_output (&run);
  g_assert_nonnull (json_object_get_string_member (output, "avatarUrl"));
  g_assert_nonnull (strstr (text->str, "Uploading"));
  g_assert_nonnull (strstr (text->str, "100 %"));
  g_assert_null (strstr (run.out, "Uploading"));
  avatar_test_cli_run_clear (&run);
}

static void
test_options_over_environment (AvatarTestCliFixture *fixture,
                               gconstpointer         data)
{
  const char *env[] = { "AVATAR_SERVER=https://unreachable.invalid", "AVATAR_TOKEN=wrong", NULL };
  const char *args[] = {
    "--server", fixture->server->base_url,
    "--app-id", fixture->server->app_id,
    "--token", fixture->server->access_token,
    "--profile",
    NULL
  };
  g_autoptr(JsonObject) output = NULL;
  AvatarTestCliRun run = { 0, };

  output = avatar_test_cli_run_json (&run, env, args);
  g_assert_cmpstr (json_object_get_string_member (output, "id"), ==, fixture->server->user_id);
  g_assert_true (json_object_has_member (output, "username"));
  g_assert_true (json_object_get_null_member (output, "avatarUrl"));

  avatar_test_cli_run_clear (&run);
}

static void
test_profile_and_remove (AvatarTestCliFixture *fixture,
                         gconstpointer         data)
{
  g_auto(GStrv) env = avatar_test_cli_server_env (fixture);
  const char *upload[] = { fixture->picture, NULL };
  const char *profile[] = { "--profile", NULL };
  const char *remove[] = { "--remove", NULL };
  g_autoptr(JsonObject) uploaded = NULL;
  g_autoptr(JsonObject) output = NULL;
  AvatarTestCliRun run = { 0, };

  uploaded = avatar_test_cli_run_json (&run, (const char * const *) env, upload);
  avatar_test_cli_run_clear (&run);

  output = avatar_test_cli_run_json (&run, (const char * const *) env, profile);
  g_assert_cmpstr (json_object_get_string_member (output, "avatarUrl"), ==,
                   json_object_get_string_member (uploaded, "avatarUrl"));
  g_clear_pointer (&output, json_object_unref);
  avatar_test_cli_run_clear (&run);

  output = avatar_test_cli_run_json (&run, (const char * const *) env, remove);
  g_assert_true (json_object_get_null_member (output, "avatarUrl"));
  avatar_test_cli_run_clear (&run);
}

static gboolean
changes_contain (JsonObject *output,
                 const char *change)
{
  JsonArray *changes = json_object_get_array_member (output, "changes");

  for (guint i = 0; i < json_array_get_length (changes); i++)
    if (g_str_equal (json_array_get_string_element (changes, i), change))
      return TRUE;

  return FALSE;
}

static void
test_check (AvatarTestCliFixture *fixture,
            gconstpointer         data)
{
  const char *plain[] = { "--check", fixture->picture, NULL };
  const char *cropped[] = { "--check", "--crop", "10,10,100", fixture->picture, NULL };
  g_autoptr(JsonObject) output = NULL;
  AvatarTestCliRun run = { 0, };

  /* No service is needed, and none is named. */
  output = avatar_test_cli_run_json (&run, NULL, plain);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_true (json_object_get_boolean_member (output, "valid"));
  g_assert_cmpstr (json_object_get_string_member (output, "sourceType"), ==, "image/png");
  g_assert_cmpint (json_object_get_int_member (output, "width"), ==, 160);
  g_assert_cmpint (json_object_get_int_member (output, "height"), ==, 120);
  g_assert_cmpint (json_object_get_int_member (output, "bytes"), >, 0);
  g_assert_true (g_strv_contains ((const char * const[]) { "image/jpeg", "image/png", "image/gif", "image/webp", NULL },
                                  json_object_get_string_member (output, "uploadType")));
  g_assert_cmpint (json_object_get_int_member (output, "uploadBytes"), >, 0);
  g_assert_false (json_object_get_boolean_member (output, "passthrough"));
  g_assert_nonnull (json_object_get_array_member (output, "changes"));
  g_assert_true (json_object_get_null_member (output, "error"));
  g_clear_pointer (&output, json_object_unref);
  avatar_test_cli_run_clear (&run);

  output = avatar_test_cli_run_json (&run, NULL, cropped);
  g_assert_true (changes_contain (output, "cropped"));
  avatar_test_cli_run_clear (&run);
}

/* A square upright JPEG with camera and GPS data: re-encoded without them
 * by default, sent as it is with --keep-metadata. */
static void
test_check_keep_metadata (AvatarTestCliFixture *fixture,
                          gconstpointer         data)
{
  g_autoptr(GdkPixbuf) pixbuf = avatar_test_pattern_new (96, 96, FALSE);
  g_autoptr(GBytes) jpeg = avatar_test_jpeg_with_exif_new (pixbuf, 1, TRUE);
  g_autofree char *path = avatar_test_cli_write_file (fixture, "camera.jpg", jpeg);
  const char *plain[] = { "--check", path, NULL };
  const char *kept[] = { "--check", "--keep-metadata", path, NULL };
  g_autoptr(JsonObject) output = NULL;
  AvatarTestCliRun run = { 0, };

  output = avatar_test_cli_run_json (&run, NULL, plain);
  g_assert_false (json_object_get_boolean_member (output, "passthrough"));
  g_assert_true (changes_contain (output, "metadata-removed"));
  g_clear_pointer (&output, json_object_unref);
  avatar_test_cli_run_clear (&run);

  output = avatar_test_cli_run_json (&run, NULL, kept);
  g_assert_true (json_object_get_boolean_member (output, "passthrough"));
  g_assert_false (changes_contain (output, "metadata-removed"));
  g_assert_cmpint (json_object_get_int_member (output, "uploadBytes"), ==, g_bytes_get_size (jpeg));
  avatar_test_cli_run_clear (&run);
}

/* --crop and --refresh-token on an upload: the avatar is the square asked
 * for, and an expired access token is renewed with the refresh token given. */
static void
test_upload_options (AvatarTestCliFixture *fixture,
                     gconstpointer         data)
{
  const char *args[] = {
    "--server", fixture->server->base_url,
    "--app-id", fixture->server->app_id,
    "--token", fixture->server->access_token,
    "--refresh-token", fixture->server->refresh_token,
    "--crop", "20,10,90",
    "--timeout", "60",
    fixture->picture,
    NULL
  };
  g_autoptr(JsonObject) output = NULL;
  JsonObject *original;
  AvatarTestCliRun run = { 0, };

  avatar_test_server_set_fault (fixture->server, "{\"expireAccessTokens\": true}");
  output = avatar_test_cli_run_json (&run, NULL, args);
  /* Without a keyring or a token file, the new pair cannot be kept: it says so. */
  g_assert_true (g_str_has_prefix (run.err, "The service gave new tokens, which could not be kept"));
  original = json_object_get_object_member (json_object_get_object_member (output, "variants"), "original");
  g_assert_cmpint (json_object_get_int_member (original, "width"), ==, 90);
  g_assert_cmpint (json_object_get_int_member (original, "height"), ==, 90);
  avatar_test_cli_run_clear (&run);
}

/* --check on @path, which is no usable picture: exit 2, one sentence on
 * stderr, and the JSON says it is not valid. */
static JsonObject *
run_check_refused (AvatarTestCliRun *run,
                   const char       *path)
{
  const char *args[] = { "--check", path, NULL };
  JsonObject *output;

  avatar_test_cli_run (run, NULL, args);
  g_assert_cmpint (run->status, ==, 2);
  avatar_test_assert_one_sentence (run->err);
  output = avatar_test_cli_parse_output (run);
  g_assert_false (json_object_get_boolean_member (output, "valid"));

  return output;
}

/* An animation whose third frame claims a height of 32768 in a 64 × 64
 * canvas is refused as damaged, with exit 2 and no critical on the way
 * (the tests run with G_DEBUG=fatal-criticals). */
static void
test_check_damaged_webp (AvatarTestCliFixture *fixture,
                         gconstpointer         data)
{
  g_autoptr(GBytes) webp = avatar_test_animated_webp_new (64, 3);
  g_autoptr(GBytes) damaged = avatar_test_webp_damage_frame_height (webp, 3, 0x7fff);
  g_autofree char *path = avatar_test_cli_write_file (fixture, "damaged.webp", damaged);
  g_autoptr(JsonObject) output = NULL;
  AvatarTestCliRun run = { 0, };

  output = run_check_refused (&run, path);
  g_assert_nonnull (strstr (run.err, "damaged.webp"));
  g_assert_nonnull (strstr (run.err, "damaged or incomplete"));
  g_assert_null (strstr (run.err, "CRITICAL"));
  avatar_test_cli_run_clear (&run);
}

static void
test_check_invalid (AvatarTestCliFixture *fixture,
                    gconstpointer         data)
{
  g_autoptr(GBytes) text = g_bytes_new_static ("just some words, not a picture\n", 31);
  g_autofree char *path = avatar_test_cli_write_file (fixture, "words.png", text);
  g_autoptr(JsonObject) output = NULL;
  AvatarTestCliRun run = { 0, };

  output = run_check_refused (&run, path);
  g_assert_true (json_object_get_null_member (output, "uploadType"));
  g_assert_cmpstr (json_object_get_string_member (output, "error"), !=, "");
  avatar_test_cli_run_clear (&run);
}

static void
test_refresh_only (AvatarTestCliFixture *fixture,
                   gconstpointer         data)
{
  g_auto(GStrv) env = avatar_test_cli_server_env_with_tokens (fixture, NULL, fixture->server->refresh_token);
  const char *args[] = { "--profile", NULL };
  g_autoptr(JsonObject) output = NULL;
  AvatarTestCliRun run = { 0, };

  /* A refresh token alone is enough: the first answer, 401, makes the
   * command refresh. */
  output = avatar_test_cli_run_json (&run, (const char * const *) env, args);
  g_assert_cmpstr (json_object_get_string_member (output, "id"), ==, fixture->server->user_id);
  avatar_test_cli_run_clear (&run);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  avatar_test_cli_add ("/cli/upload", NULL, test_upload);
  avatar_test_cli_add ("/cli/progress-on-terminal", NULL, test_progress_on_terminal);
  avatar_test_cli_add ("/cli/debug-log", NULL, test_debug_log);
  avatar_test_cli_add ("/cli/options-over-environment", NULL, test_options_over_environment);
  avatar_test_cli_add ("/cli/profile-and-remove", NULL, test_profile_and_remove);
  avatar_test_cli_add ("/cli/check", NULL, test_check);
  avatar_test_cli_add ("/cli/check-keep-metadata", NULL, test_check_keep_metadata);
  avatar_test_cli_add ("/cli/upload-options", NULL, test_upload_options);
  avatar_test_cli_add ("/cli/check-invalid", NULL, test_check_invalid);
  avatar_test_cli_add ("/cli/check-damaged-webp", NULL, test_check_damaged_webp);
  avatar_test_cli_add ("/cli/refresh-token-only", NULL, test_refresh_only);

  return g_test_run ();
}
