/* avatar-devserver.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A self-contained stand-in for the avatar web service: REST API, S3
 * presigned uploads, processing and CDN on one loopback port. */

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>

#include "avatar-server.h"

typedef struct
{
  GMainLoop    *loop;
  AvatarServer *server;
  gboolean      stopping;
} Devserver;

static void
shutdown_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Devserver *devserver = user_data;
  g_autoptr(GError) error = NULL;

  if (!avatar_server_shutdown_finish (AVATAR_SERVER (source), result, &error))
    g_warning ("%s", error->message);

  g_main_loop_quit (devserver->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  Devserver *devserver = user_data;

  if (devserver->stopping)
    return G_SOURCE_CONTINUE;

  devserver->stopping = TRUE;
  g_message ("Shutting down: finishing the processing in progress");
  avatar_server_shutdown_async (devserver->server, shutdown_done, devserver);

  return G_SOURCE_CONTINUE;
}

/* The command line as given; main() fills in the defaults. */
typedef struct
{
  char     *address;
  char     *data_dir;
  char     *access_key;
  char     *secret_key;
  char     *bucket;
  char     *region;
  int       port;
  int       processing_delay_ms;
  int       token_lifetime_s;
  gboolean  faults;
  int       workers;
  int       header_timeout_s;
  int       idle_timeout_s;
} Arguments;

static void
arguments_clear (Arguments *args)
{
  g_clear_pointer (&args->address, g_free);
  g_clear_pointer (&args->data_dir, g_free);
  g_clear_pointer (&args->access_key, g_free);
  g_clear_pointer (&args->secret_key, g_free);
  g_clear_pointer (&args->bucket, g_free);
  g_clear_pointer (&args->region, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Arguments, arguments_clear)

/* Prints what is wrong and returns FALSE when a value is out of range. */
static gboolean
check_arguments (const Arguments *args)
{
  if (args->port < 0 || args->port > 65535 || args->processing_delay_ms < 0 || args->token_lifetime_s < 1)
    {
      g_printerr ("%s\n", _("The port must be 0–65535, the processing delay 0 or more, and the token lifetime at least one second."));
      return FALSE;
    }

  if (args->workers < 0 || args->workers > 256)
    {
      g_printerr ("%s\n", _("The number of workers must be 1–256."));
      return FALSE;
    }

  if (args->header_timeout_s < 1 || args->header_timeout_s > 3600 ||
      args->idle_timeout_s < 1 || args->idle_timeout_s > 3600)
    {
      g_printerr ("%s\n", _("The header and idle timeouts must be 1–3600 seconds."));
      return FALSE;
    }

  return TRUE;
}

/* Prints what is wrong and returns FALSE when the command line is. */
static gboolean
parse_arguments (int         *argc,
                 char      ***argv,
                 Arguments   *args)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "address", 0, 0, G_OPTION_ARG_STRING, &args->address, N_("IP address to listen on (default 127.0.0.1)"), N_("ADDRESS") },
    { "port", 0, 0, G_OPTION_ARG_INT, &args->port, N_("Port to listen on; 0 picks a free one"), N_("PORT") },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &args->data_dir, N_("Keep users, tokens and avatars in this directory"), N_("DIR") },
    { "processing-delay-ms", 0, 0, G_OPTION_ARG_INT, &args->processing_delay_ms, N_("Wait this long before processing an upload"), N_("MS") },
    { "access-key", 0, 0, G_OPTION_ARG_STRING, &args->access_key, N_("S3 access key id"), N_("KEY") },
    { "secret-key", 0, 0, G_OPTION_ARG_STRING, &args->secret_key, N_("S3 secret access key"), N_("SECRET") },
    { "bucket", 0, 0, G_OPTION_ARG_STRING, &args->bucket, N_("S3 bucket name"), N_("BUCKET") },
    { "region", 0, 0, G_OPTION_ARG_STRING, &args->region, N_("S3 region"), N_("REGION") },
    { "token-lifetime-s", 0, 0, G_OPTION_ARG_INT, &args->token_lifetime_s, N_("Lifetime of access tokens in seconds"), N_("SECONDS") },
    { "faults", 0, 0, G_OPTION_ARG_NONE, &args->faults, N_("Enable the /_dev/ routes for fault injection"), NULL },
    { "workers", 0, 0, G_OPTION_ARG_INT, &args->workers, N_("Process this many uploads at once; the others wait their turn (default: one per processor)"), N_("N") },
    { "header-timeout-s", 0, 0, G_OPTION_ARG_INT, &args->header_timeout_s, N_("Close a connection whose request line and headers take longer than this (default 10)"), N_("SECONDS") },
    { "idle-timeout-s", 0, 0, G_OPTION_ARG_INT, &args->idle_timeout_s, N_("Close a connection on which nothing arrives for this long while a request is expected (default 60)"), N_("SECONDS") },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Runs a local avatar service: REST API, S3 presigned uploads, processing and CDN."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return FALSE;
    }

  return check_arguments (args);
}

static AvatarServerOptions
options_from_arguments (const Arguments *args)
{
  return (AvatarServerOptions) {
    .address = args->address ? args->address : "127.0.0.1",
    .port = (guint) args->port,
    .data_dir = args->data_dir,
    .processing_delay_ms = (guint) args->processing_delay_ms,
    .access_key = args->access_key ? args->access_key : "AKIDEVSERVEREXAMPLE",
    .secret_key = args->secret_key ? args->secret_key : "devserver/secret/EXAMPLEKEY",
    .bucket = args->bucket ? args->bucket : "avatars",
    .region = args->region ? args->region : "us-east-1",
    .token_lifetime_s = (guint) args->token_lifetime_s,
    .faults = args->faults,
    .workers = (guint) args->workers,
    .header_timeout_s = (guint) args->header_timeout_s,
    .idle_timeout_s = (guint) args->idle_timeout_s,
  };
}

/* Prints the ready line, then serves until SIGINT or SIGTERM asked for a
 * shutdown and it has finished. */
static void
serve_until_signalled (AvatarServer *server)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *ready_line = NULL;
  Devserver devserver = { .loop = loop, .server = server };
  guint sigint_id, sigterm_id;

  sigint_id = g_unix_signal_add (SIGINT, on_signal, &devserver);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &devserver);

  /* The single line on stdout that tells the caller where everything is. */
  ready_line = avatar_server_dup_ready_line (server);
  fprintf (stdout, "%s\n", ready_line);
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Arguments) args = {
    .token_lifetime_s = 900,
    .header_timeout_s = AVATAR_SERVER_HEADER_TIMEOUT_S,
    .idle_timeout_s = AVATAR_SERVER_IDLE_TIMEOUT_S,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(AvatarServer) server = NULL;
  AvatarServerOptions options;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  /* stdout carries nothing but the ready line, even with G_MESSAGES_DEBUG set. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (!parse_arguments (&argc, &argv, &args))
    return 2;

  options = options_from_arguments (&args);
  server = avatar_server_new (&options, &error);
  if (server == NULL || !avatar_server_listen (server, &error))
    {
      g_printerr (_("Cannot start the server: %s\n"), error->message);
      return 1;
    }

  serve_until_signalled (server);
  g_clear_object (&server);

  return 0;
}
