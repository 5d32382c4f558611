/* test-cli-exit.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How the avatar-upload command fails: its exit codes, one sentence on
 * stderr and nothing on stdout, against avatar-devserver and, where the
 * timing of a signal matters, a scripted API on a loopback port.
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "avatar-test-cli.h"
#include "avatar-test-images.h"

/* Runs the command to its end, which must fail with @status: nothing on
 * stdout, one sentence on stderr. */
static void
run_failing (const char * const *env,
             const char * const *args,
             int                 status)
{
  AvatarTestCliRun run = { 0, };

  avatar_test_cli_run (&run, env, args);
  avatar_test_cli_assert_failed (&run, status);
  avatar_test_cli_run_clear (&run);
}

static void
test_upload_invalid (AvatarTestCliFixture *fixture,
                     gconstpointer         data)
{
  g_auto(GStrv) env = avatar_test_cli_server_env (fixture);
  g_autoptr(GBytes) text = g_bytes_new_static ("GIF89a but nothing else", 23);
  g_autofree char *path = avatar_test_cli_write_file (fixture, "broken.gif", text);
  const char *args[] = { path, NULL };

  run_failing ((const char * const *) env, args, 2);
}

static void
test_usage (AvatarTestCliFixture *fixture,
            gconstpointer         data)
{
  g_auto(GStrv) env = avatar_test_cli_server_env (fixture);
  const char *no_file[] = { NULL };
  const char *two_files[] = { fixture->picture, fixture->picture, NULL };
  const char *bad_crop[] = { "--crop", "1,2", fixture->picture, NULL };
  const char *negative_crop[] = { "--crop", "0,0,-5", fixture->picture, NULL };
  const char *outside_crop[] = { "--crop", "100,100,100", fixture->picture, NULL };
  const char *two_modes[] = { "--check", "--profile", fixture->picture, NULL };
  const char *bad_timeout[] = { "--timeout", "0", fixture->picture, NULL };
  const char *unknown[] = { "--frobnicate", fixture->picture, NULL };
  const char *insecure[] = { "--server", "http://example.com", "--profile", NULL };
  const char * const *cases[] = {
    no_file, two_files, bad_crop, negative_crop, outside_crop, two_modes, bad_timeout, unknown, insecure,
  };
  const char *args[] = { "--profile", NULL };
  AvatarTestCliRun run = { 0, };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      run_failing ((const char * const *) env, cases[i], 1);
    }

  /* Settings missing altogether. */
  avatar_test_cli_run (&run, NULL, args);
  g_assert_cmpint (run.status, ==, 1);
  avatar_test_assert_one_sentence (run.err);
  avatar_test_cli_run_clear (&run);
}

static void
test_auth_failure (AvatarTestCliFixture *fixture,
                   gconstpointer         data)
{
  g_auto(GStrv) env = avatar_test_cli_server_env_with_tokens (fixture, "expired", "revoked");
  const char *args[] = { fixture->picture, NULL };

  run_failing ((const char * const *) env, args, 4);
}

static void
test_network_failure (AvatarTestCliFixture *fixture,
                      gconstpointer         data)
{
  g_autoptr(AvatarTestHttp) gone = avatar_test_http_new (NULL, NULL);
  g_auto(GStrv) env = avatar_test_cli_api_env (gone);
  const char *args[] = { fixture->picture, NULL };

  /* Nothing listens there any more. */
  g_clear_pointer (&gone, avatar_test_http_free);

  run_failing ((const char * const *) env, args, 3);
}

/* A processing that never ends, or one that fails: the latter is told as
 * such, long before the deadline. */
typedef struct
{
  const char *fault;
  const char *timeout;
  int         status;
  const char *says;
} ProcessingFault;

static const ProcessingFault processing_hangs = { "{\"processing\": \"hang\"}", "1", 5, NULL };
static const ProcessingFault processing_fails = { "{\"processing\": \"fail\"}", "600", 6, "could not process" };

static void
test_processing_fault (AvatarTestCliFixture *fixture,
                       gconstpointer         data)
{
  const ProcessingFault *fault = data;
  g_auto(GStrv) env = avatar_test_cli_server_env (fixture);
  const char *args[] = { "--timeout", fault->timeout, fixture->picture, NULL };
  AvatarTestCliRun run = { 0, };

  avatar_test_server_set_fault (fixture->server, fault->fault);
  avatar_test_cli_run (&run, (const char * const *) env, args);
  avatar_test_cli_assert_failed (&run, fault->status);
  if (fault->says != NULL)
    g_assert_nonnull (strstr (run.err, fault->says));
  avatar_test_cli_run_clear (&run);
}

/* Each kind of failure, against a scripted API --------------------------- */

static void
failing_handler (AvatarTestHttp          *http,
                 SoupServerMessage       *msg,
                 const AvatarTestRequest *request,
                 gpointer                 user_data)
{
  const char *mode = user_data;
  const char *base = avatar_test_http_get_url (http);

  if (g_str_equal (mode, "server-error") && g_str_equal (request->path, "/users/me"))
    avatar_test_respond_json (msg, 400, "{\"error\": {\"code\": \"bad_request\", "
                                        "\"message\": \"The request was refused\\non two lines \\u001b[2J\"}}");
  else if (g_str_equal (mode, "not-json") && g_str_equal (request->path, "/users/me"))
    avatar_test_respond (msg, 200, "application/json", "this is not json");
  else if (g_str_equal (mode, "insecure-ticket") && g_str_equal (request->path, "/users/me/avatar"))
    avatar_test_respond_json (msg, 200, "{\"uploadUrl\": \"http://s3.example.com/b/k?X-Amz-Signature=5ec1e7\", "
                                        "\"assetKey\": \"k\", \"cdnUrl\": \"https://cdn.example.com/k/original.webp\"}");
  else if (g_str_equal (mode, "rejected") && g_str_equal (request->path, "/users/me/avatar"))
    {
      g_autofree char *json = g_strdup_printf ("{\"uploadUrl\": \"%s/s3/k?X-Amz-Signature=5ec1e7\", "
                                               "\"assetKey\": \"k\", \"cdnUrl\": \"%s/cdn/k/original.webp\"}",
                                               base, base);

      avatar_test_respond_json (msg, 200, json);
    }
  else if (g_str_equal (mode, "rejected") && g_str_equal (request->path, "/s3/k"))
    avatar_test_respond (msg, 403, "application/xml",
                         "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
  else
    avatar_test_respond (msg, 404, NULL, NULL);
}

/* Every failure ends with its exit code and one line on stderr, whatever
 * the service put in its message, and nothing on stdout. */
static void
test_service_errors (AvatarTestCliFixture *fixture,
                     gconstpointer         data)
{
  static const struct {
    const char *mode;
    gboolean    upload;
    const char *expected;
  } cases[] = {
    { "server-error", FALSE, "The request was refused on two lines" },
    { "not-json", FALSE, NULL },
    { "insecure-ticket", TRUE, NULL },
    { "rejected", TRUE, "AccessDenied" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(AvatarTestHttp) api = avatar_test_http_new (failing_handler, (gpointer) cases[i].mode);
      g_auto(GStrv) env = avatar_test_cli_api_env (api);
      const char *profile[] = { "--profile", NULL };
      const char *upload[] = { fixture->picture, NULL };
      AvatarTestCliRun run = { 0, };

      avatar_test_cli_run (&run, (const char * const *) env, cases[i].upload ? upload : profile);
      avatar_test_cli_assert_failed (&run, 3);
      g_assert_null (strchr (run.err, '\033'));
      g_assert_null (strstr (run.err, "5ec1e7"));
      if (cases[i].expected != NULL && strstr (run.err, cases[i].expected) == NULL)
        g_error ("“%s” does not say “%s”", run.err, cases[i].expected);
      avatar_test_cli_run_clear (&run);
    }
}

/* A file that cannot be read, and one declaring far too many pixels. */
static void
test_unusable_files (AvatarTestCliFixture *fixture,
                     gconstpointer         data)
{
  g_auto(GStrv) env = avatar_test_cli_server_env (fixture);
  g_autoptr(GBytes) bomb = avatar_test_png_declaring_size (100000, 100000);
  g_autofree char *bomb_path = avatar_test_cli_write_file (fixture, "bomb.png", bomb);
  g_autofree char *missing_path = g_build_filename (fixture->dir, "missing.png", NULL);
  const char *paths[] = { bomb_path, missing_path };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      const char *args[] = { paths[i], NULL };

      run_failing ((const char * const *) env, args, 2);
    }
}

/* Interrupting, against a scripted API whose processing never ends -------- */

static void
endless_handler (AvatarTestHttp          *http,
                 SoupServerMessage       *msg,
                 const AvatarTestRequest *request,
                 gpointer                 user_data)
{
  if (g_str_equal (request->path, "/users/me/avatar"))
    {
      g_autofree char *json = g_strdup_printf ("{\"uploadUrl\":\"%s/s3/k\",\"assetKey\":\"k\","
                                               "\"cdnUrl\":\"%s/cdn/k/original.webp\"}",
                                               avatar_test_http_get_url (http),
                                               avatar_test_http_get_url (http));

      avatar_test_respond_json (msg, 200, json);
    }
  else if (g_str_equal (request->path, "/users/me"))
    avatar_test_respond_json (msg, 200, "{\"id\":\"u\",\"username\":\"ada\",\"avatarUrl\":null}");
  else
    avatar_test_respond (msg, 200, NULL, NULL);
}

static gboolean
polling_started (gpointer data)
{
  return avatar_test_http_count (data, "GET", "/users/me") > 0;
}

/* Starts the command on @args against @api, and once @ready (@api) holds,
 * sends it @signal_number; returns when it ended. */
static void
run_interrupted (AvatarTestCliRun   *run,
                 AvatarTestHttp     *api,
                 const char * const *args,
                 gboolean          (*ready) (gpointer data),
                 int                 signal_number)
{
  g_auto(GStrv) env = avatar_test_cli_api_env (api);

  avatar_test_cli_start (run, (const char * const *) env, args);
  g_assert_true (avatar_test_wait_until (ready, api, 60000));
  g_subprocess_send_signal (run->process, signal_number);
  avatar_test_wait_flag (&run->done);
}

static void
interrupt_polling (AvatarTestCliFixture *fixture,
                   int                   signal_number)
{
  g_autoptr(AvatarTestHttp) api = avatar_test_http_new (endless_handler, NULL);
  const char *args[] = { "--timeout", "600", fixture->picture, NULL };
  AvatarTestCliRun run = { 0, };

  run_interrupted (&run, api, args, polling_started, signal_number);

  /* The PUT was answered: the picture is the service's now. */
  avatar_test_cli_assert_failed (&run, 130);
  g_assert_nonnull (strstr (run.err, "The picture was sent."));
  avatar_test_cli_run_clear (&run);
}

static void
test_interrupted (AvatarTestCliFixture *fixture,
                  gconstpointer         data)
{
  interrupt_polling (fixture, GPOINTER_TO_INT (data));
}

/* The interrupt lands at any point of a poll: while it is sent, while its
 * answer comes in, or in the pause between two. libsoup 3.4 to 3.6.5 get
 * the second wrong, in about one run in six on a busy machine, with a
 * critical on exit. */
static void
test_interrupted_repeatedly (AvatarTestCliFixture *fixture,
                             gconstpointer         data)
{
  for (guint i = 0; i < 12; i++)
    interrupt_polling (fixture, i % 2 ? SIGTERM : SIGINT);
}

static gboolean
body_held (gpointer data)
{
  return avatar_test_http_get_held (data) > 0;
}

/* Before the PUT is answered, an interrupt stops it: nothing was sent. */
static void
test_interrupted_uploading (AvatarTestCliFixture *fixture,
                            gconstpointer         data)
{
  g_autoptr(AvatarTestHttp) api = avatar_test_http_new (endless_handler, NULL);
  g_autoptr(GBytes) noise = avatar_test_noise_png_new (700, FALSE, 0);
  g_autofree char *picture = avatar_test_cli_write_file (fixture, "noise.png", noise);
  const char *args[] = { picture, NULL };
  AvatarTestCliRun run = { 0, };

  avatar_test_http_hold_bodies (api);
  run_interrupted (&run, api, args, body_held, GPOINTER_TO_INT (data));

  g_assert_cmpint (run.status, ==, 130);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_cmpstr (run.err, ==, "Interrupted.\n");
  g_assert_cmpuint (avatar_test_http_count (api, "GET", "/users/me"), ==, 0);
  avatar_test_http_release (api);
  avatar_test_cli_run_clear (&run);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  avatar_test_cli_add ("/cli/exit/invalid-image", NULL, test_upload_invalid);
  avatar_test_cli_add ("/cli/exit/usage", NULL, test_usage);
  avatar_test_cli_add ("/cli/exit/auth", NULL, test_auth_failure);
  avatar_test_cli_add ("/cli/exit/service-errors", NULL, test_service_errors);
  avatar_test_cli_add ("/cli/exit/unusable-files", NULL, test_unusable_files);
  avatar_test_cli_add ("/cli/exit/network", NULL, test_network_failure);
  avatar_test_cli_add ("/cli/exit/processing-timeout", &processing_hangs, test_processing_fault);
  avatar_test_cli_add ("/cli/exit/interrupted", GINT_TO_POINTER (SIGINT), test_interrupted);
  avatar_test_cli_add ("/cli/exit/terminated", GINT_TO_POINTER (SIGTERM), test_interrupted);
  avatar_test_cli_add ("/cli/exit/interrupted-repeatedly", NULL, test_interrupted_repeatedly);
  avatar_test_cli_add ("/cli/exit/interrupted-uploading", GINT_TO_POINTER (SIGINT), test_interrupted_uploading);
  avatar_test_cli_add ("/cli/exit/terminated-uploading", GINT_TO_POINTER (SIGTERM), test_interrupted_uploading);
  avatar_test_cli_add ("/cli/exit/processing-failed", &processing_fails, test_processing_fault);

  return g_test_run ();
}
