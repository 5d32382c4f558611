/* avatar-upload-main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Uploads a picture as the avatar from the command line, checks a picture
 * without uploading it, shows the profile or removes the avatar. The result
 * is one JSON object on stdout; errors are one sentence on stderr.
 */

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib-unix.h>

#include "avatar-upload-cli.h"

/* A day: longer is a mistake, and the milliseconds must fit a guint. */
#define MAX_TIMEOUT_S  (24 * 60 * 60)

void
cli_clear (Cli *cli)
{
  g_free (cli->server);
  g_free (cli->app_id);
  g_free (cli->token);
  g_free (cli->refresh_token);
  g_free (cli->token_file);
  g_free (cli->crop_text);
  g_strfreev (cli->files);
  g_clear_pointer (&cli->loop, g_main_loop_unref);
  g_clear_object (&cli->cancellable);
  g_clear_object (&cli->client);
  g_clear_object (&cli->image);
  g_clear_object (&cli->flow);
}

/* Start-up --------------------------------------------------------------- */

/* SIGINT from the terminal, SIGTERM from a script or service manager: both
 * cancel what runs, so that nothing is left half-done on the service. */
static gboolean
interrupt_cb (gpointer user_data)
{
  Cli *cli = user_data;

  /* A second interrupt does not wait for the first to be heard. */
  if (cli->interrupted)
    exit (EXIT_INTERRUPTED);

  cli->interrupted = TRUE;

  /* The flow decides whether the PUT is past stopping. */
  if (cli->flow != NULL)
    avatar_flow_cancel (cli->flow);
  else
    g_cancellable_cancel (cli->cancellable);

  return G_SOURCE_CONTINUE;
}

static gboolean
parse_crop (const char *text,
            AvatarCrop *crop)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  gint64 values[3];

  if (g_strv_length (parts) != 3)
    return FALSE;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *part = g_strstrip (g_strdup (parts[i]));

      if (!g_ascii_string_to_signed (part, 10, 0, G_MAXINT, &values[i], NULL))
        return FALSE;
    }

  if (values[2] <= 0)
    return FALSE;

  crop->x = (int) values[0];
  crop->y = (int) values[1];
  crop->size = (int) values[2];

  return TRUE;
}

char *
cli_setting (char       *option,
             const char *variable)
{
  const char *value;

  if (option != NULL)
    return option;

  value = g_getenv (variable);
  return value != NULL && *value != '\0' ? g_strdup (value) : NULL;
}

int
cli_usage_error (const char *message)
{
  cli_print_sentence (message);
  return EXIT_USAGE;
}

/* The options, which write into @cli, and the help's summary. */
static GOptionContext *
option_context_new (Cli *cli)
{
  GOptionContext *context = g_option_context_new (NULL);
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &cli->server,
      N_("The service’s address (or AVATAR_SERVER)"), N_("URL") },
    { "app-id", 0, 0, G_OPTION_ARG_STRING, &cli->app_id,
      N_("The application ID the service knows (or AVATAR_APP_ID)"), N_("ID") },
    { "token", 0, 0, G_OPTION_ARG_STRING, &cli->token,
      N_("The access token (or AVATAR_TOKEN)"), N_("TOKEN") },
    { "refresh-token", 0, 0, G_OPTION_ARG_STRING, &cli->refresh_token,
      N_("The refresh token, used once the access token expires (or AVATAR_REFRESH_TOKEN)"), N_("TOKEN") },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &cli->token_file,
      N_("A private file holding the tokens, rewritten when the service renews them (or AVATAR_TOKEN_FILE)"), N_("FILE") },
    { "crop", 0, 0, G_OPTION_ARG_STRING, &cli->crop_text,
      N_("The square to keep, in upright source pixels (default: the largest centred square)"), N_("X,Y,SIZE") },
    { "keep-metadata", 0, 0, G_OPTION_ARG_NONE, &cli->keep_metadata,
      N_("Let a picture that is sent as it is keep its location and camera data"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &cli->timeout_s,
      N_("Seconds to wait for the service to process the picture (default 30)"), N_("S") },
    { "check", 0, 0, G_OPTION_ARG_NONE, &cli->check,
      N_("Only check and prepare the picture; send nothing"), NULL },
    { "profile", 0, 0, G_OPTION_ARG_NONE, &cli->profile,
      N_("Print the profile"), NULL },
    { "remove", 0, 0, G_OPTION_ARG_NONE, &cli->remove,
      N_("Remove the avatar"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &cli->version,
      N_("Print the version"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &cli->files, NULL, N_("FILE") },
    { NULL }
  };

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Uploads FILE as your avatar and prints the result as JSON.\n"
      "\n"
      "Exit status: 0 done, 1 usage, 2 invalid image, 3 network or service error,\n"
      "4 authentication, 5 processing timeout, 6 processing failed, 130 interrupted."));
  /* The entries are copied: they may live on the stack. */
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  return context;
}

/* Whether the options parsed go together: one mode, the files it takes, a
 * crop and a timeout that make sense; EXIT_DONE when they do. */
static int
check_options (Cli *cli)
{
  int modes = !!cli->check + !!cli->profile + !!cli->remove;

  if (modes > 1)
    return cli_usage_error (_("Use only one of --check, --profile and --remove."));

  if (cli->profile || cli->remove)
    {
      if (cli->files != NULL && cli->files[0] != NULL)
        return cli_usage_error (_("--profile and --remove take no file."));
    }
  else if (cli->files == NULL || g_strv_length (cli->files) != 1)
    {
      return cli_usage_error (_("Name one picture to upload; see --help."));
    }

  if (cli->crop_text != NULL)
    {
      if (!parse_crop (cli->crop_text, &cli->crop))
        return cli_usage_error (_("--crop takes X,Y,SIZE: three whole numbers, the size above zero."));
      cli->has_crop = TRUE;
    }

  if (cli->timeout_s <= 0 || cli->timeout_s > MAX_TIMEOUT_S)
    {
      /* TRANSLATORS: %d is the largest number of seconds allowed */
      g_autofree char *message = g_strdup_printf (_("--timeout takes a number of seconds from 1 to %d."),
                                                  MAX_TIMEOUT_S);

      return cli_usage_error (message);
    }

  return EXIT_DONE;
}

/* Reads the options and the environment; EXIT_DONE when all is well, -1
 * when there is nothing to run (--version). */
static int
parse_arguments (Cli    *cli,
                 int     argc,
                 char  **argv)
{
  g_autoptr(GOptionContext) context = option_context_new (cli);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = g_strdupv (argv);
  int status;

  cli->timeout_s = 30;

  if (!g_option_context_parse_strv (context, &args, &error))
    return cli_usage_error (error->message);

  if (cli->version)
    {
      g_print ("avatar-upload %s\n", PACKAGE_VERSION);
      return -1;
    }

  status = check_options (cli);
  if (status != EXIT_DONE)
    return status;

  cli->server = cli_setting (cli->server, "AVATAR_SERVER");
  cli->app_id = cli_setting (cli->app_id, "AVATAR_APP_ID");
  cli->token_file = cli_setting (cli->token_file, "AVATAR_TOKEN_FILE");

  if (cli->check)
    return EXIT_DONE;

  if (cli->server == NULL)
    return cli_usage_error (_("No service address: pass --server or set AVATAR_SERVER."));
  if (cli->app_id == NULL)
    return cli_usage_error (_("No application ID: pass --app-id or set AVATAR_APP_ID."));

  return cli_find_tokens (cli);
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Cli) cli = { 0, };
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  /* stdout carries nothing but the JSON, even with G_MESSAGES_DEBUG set. */
  g_log_writer_default_set_use_stderr (TRUE);

  status = parse_arguments (&cli, argc, argv);
  if (status < 0)
    return EXIT_DONE;
  if (status != EXIT_DONE)
    return status;

  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.cancellable = g_cancellable_new ();
  cli.show_progress = isatty (STDERR_FILENO) && !cli.check && !cli.profile && !cli.remove;
  g_unix_signal_add (SIGINT, interrupt_cb, &cli);
  g_unix_signal_add (SIGTERM, interrupt_cb, &cli);

  if (!cli.check)
    {
      cli.client = avatar_client_new (cli.server, cli.app_id, &error);
      if (cli.client == NULL)
        return cli_usage_error (error->message);
      avatar_client_set_tokens (cli.client, cli.token, cli.refresh_token);
      g_signal_connect (cli.client, "tokens-changed", G_CALLBACK (cli_tokens_changed_cb), &cli);
    }

  cli_start (&cli);
  g_main_loop_run (cli.loop);

  return cli.exit_code;
}
