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

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AvatarServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *address = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *access_key = NULL;
  g_autofree char *secret_key = NULL;
  g_autofree char *bucket = NULL;
  g_autofree char *region = NULL;
  g_autofree char *ready_line = NULL;
  int port = 0;
  int processing_delay_ms = 0;
  int token_lifetime_s = 900;
  gboolean faults = FALSE;
  int workers = 0;
  int header_timeout_s = AVATAR_SERVER_HEADER_TIMEOUT_S;
  int idle_timeout_s = AVATAR_SERVER_IDLE_TIMEOUT_S;
  guint sigint_id, sigterm_id;
  Devserver devserver = { 0 };
  GOptionEntry entries[] = {
    { "address", 0, 0, G_OPTION_ARG_STRING, &address, N_("IP address to listen on (default 127.0.0.1)"), N_("ADDRESS") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("Port to listen on; 0 picks a free one"), N_("PORT") },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Keep users, tokens and avatars in this directory"), N_("DIR") },
    { "processing-delay-ms", 0, 0, G_OPTION_ARG_INT, &processing_delay_ms, N_("Wait this long before processing an upload"), N_("MS") },
    { "access-key", 0, 0, G_OPTION_ARG_STRING, &access_key, N_("S3 access key id"), N_("KEY") },
    { "secret-key", 0, 0, G_OPTION_ARG_STRING, &secret_key, N_("S3 secret access key"), N_("SECRET") },
    { "bucket", 0, 0, G_OPTION_ARG_STRING, &bucket, N_("S3 bucket name"), N_("BUCKET") },
    { "region", 0, 0, G_OPTION_ARG_STRING, &region, N_("S3 region"), N_("REGION") },
    { "token-lifetime-s", 0, 0, G_OPTION_ARG_INT, &token_lifetime_s, N_("Lifetime of access tokens in seconds"), N_("SECONDS") },
    { "faults", 0, 0, G_OPTION_ARG_NONE, &faults, N_("Enable the /_dev/ routes for fault injection"), NULL },
    { "workers", 0, 0, G_OPTION_ARG_INT, &workers, N_("Process this many uploads at once; the others wait their turn (default: one per processor)"), N_("N") },
    { "header-timeout-s", 0, 0, G_OPTION_ARG_INT, &header_timeout_s, N_("Close a connection whose request line and headers take longer than this (default 10)"), N_("SECONDS") },
    { "idle-timeout-s", 0, 0, G_OPTION_ARG_INT, &idle_timeout_s, N_("Close a connection on which nothing arrives for this long while a request is expected (default 60)"), N_("SECONDS") },
    { NULL }
  };
  AvatarServerOptions options;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  /* stdout carries nothing but the ready line, even with G_MESSAGES_DEBUG set. */
  g_log_writer_default_set_use_stderr (TRUE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Runs a local avatar service: REST API, S3 presigned uploads, processing and CDN."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  if (port < 0 || port > 65535 || processing_delay_ms < 0 || token_lifetime_s < 1)
    {
      g_printerr ("%s\n", _("The port must be 0–65535, the processing delay 0 or more, and the token lifetime at least one second."));
      return 2;
    }

  if (workers < 0 || workers > 256)
    {
      g_printerr ("%s\n", _("The number of workers must be 1–256."));
      return 2;
    }

  if (header_timeout_s < 1 || header_timeout_s > 3600 || idle_timeout_s < 1 || idle_timeout_s > 3600)
    {
      g_printerr ("%s\n", _("The header and idle timeouts must be 1–3600 seconds."));
      return 2;
    }

  options = (AvatarServerOptions) {
    .address = address ? address : "127.0.0.1",
    .port = (guint) port,
    .data_dir = data_dir,
    .processing_delay_ms = (guint) processing_delay_ms,
    .access_key = access_key ? access_key : "AKIDEVSERVEREXAMPLE",
    .secret_key = secret_key ? secret_key : "devserver/secret/EXAMPLEKEY",
    .bucket = bucket ? bucket : "avatars",
    .region = region ? region : "us-east-1",
    .token_lifetime_s = (guint) token_lifetime_s,
    .faults = faults,
    .workers = (guint) workers,
    .header_timeout_s = (guint) header_timeout_s,
    .idle_timeout_s = (guint) idle_timeout_s,
  };

  server = avatar_server_new (&options, &error);
  if (server == NULL || !avatar_server_listen (server, &error))
    {
      g_printerr (_("Cannot start the server: %s\n"), error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  devserver.loop = loop;
  devserver.server = server;
  sigint_id = g_unix_signal_add (SIGINT, on_signal, &devserver);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &devserver);

  /* The single line on stdout that tells the caller where everything is. */
  ready_line = avatar_server_dup_ready_line (server);
  fprintf (stdout, "%s\n", ready_line);
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_clear_object (&server);

  return 0;
}
