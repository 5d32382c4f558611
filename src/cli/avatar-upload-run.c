/* avatar-upload-run.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One run of avatar-upload: loads the picture, then checks it, uploads it
 * while drawing the progress on a terminal, or reads or removes the
 * profile, and ends the main loop with the exit code.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "avatar-columns.h"
#include "avatar-upload-cli.h"

#define PROGRESS_WIDTH 30
/* The progress line's label column, in terminal columns. */
#define LABEL_COLUMNS  12

void
cli_progress_end (Cli *cli)
{
  if (cli->progress_drawn)
    g_printerr ("\n");
  cli->progress_drawn = FALSE;
}

/* Ends the run with @error's sentence on stderr and its exit code. */
static void
cli_fail (Cli          *cli,
          const GError *error)
{
  cli_progress_end (cli);

  if (cli->interrupted && cli->flow != NULL && avatar_flow_get_sent (cli->flow))
    {
      /* The service has the picture: say what will become of it. */
      cli_print_sentence (error->message);
      cli->exit_code = EXIT_INTERRUPTED;
    }
  else if (cli->interrupted)
    {
      g_printerr ("%s\n", _("Interrupted."));
      cli->exit_code = EXIT_INTERRUPTED;
    }
  else
    {
      cli_print_sentence (error->message);
      cli->exit_code = cli_exit_code_for_error (error);
    }

  g_main_loop_quit (cli->loop);
}

static void
cli_done (Cli *cli)
{
  cli_progress_end (cli);
  cli->exit_code = EXIT_DONE;
  g_main_loop_quit (cli->loop);
}

/* --check ---------------------------------------------------------------- */

static void
check_prepared_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(AvatarPrepared) prepared = NULL;
  g_autoptr(GError) error = NULL;

  prepared = avatar_image_prepare_finish (AVATAR_IMAGE (source), result, &error);

  if (prepared == NULL && (cli->interrupted || cli_exit_code_for_error (error) != EXIT_INVALID_IMAGE))
    {
      cli_fail (cli, error);
      return;
    }

  cli_print_check (cli->image, prepared, error);

  if (prepared == NULL)
    cli_fail (cli, error);
  else
    cli_done (cli);
}

/* Profile and removal ---------------------------------------------------- */

static void
profile_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(AvatarProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  if (cli->remove)
    profile = avatar_client_remove_avatar_finish (AVATAR_CLIENT (source), result, &error);
  else
    profile = avatar_client_get_profile_finish (AVATAR_CLIENT (source), result, &error);

  if (profile == NULL)
    {
      cli_fail (cli, error);
      return;
    }

  cli_print_profile (profile);
  cli_done (cli);
}

/* Upload ----------------------------------------------------------------- */

static const char *
state_label (AvatarFlowState state)
{
  switch (state)
    {
    case AVATAR_FLOW_STATE_PREPARING:
      return _("Preparing");
    case AVATAR_FLOW_STATE_REQUESTING:
      return _("Connecting");
    case AVATAR_FLOW_STATE_UPLOADING:
      return _("Uploading");
    case AVATAR_FLOW_STATE_PROCESSING:
      return _("Processing");
    case AVATAR_FLOW_STATE_FETCHING:
      return _("Downloading");
    case AVATAR_FLOW_STATE_IDLE:
    case AVATAR_FLOW_STATE_DONE:
    case AVATAR_FLOW_STATE_FAILED:
    case AVATAR_FLOW_STATE_CANCELLED:
    default:
      return NULL;
    }
}

/* Where the progress line reads from: the flow's state and how much of
 * the whole upload is done, from 0 to 1. watch_progress () draws the line
 * again whenever one of them changes. */
static AvatarFlowState
read_progress (Cli    *cli,
               double *fraction)
{
  AvatarUpload *upload = avatar_flow_get_upload (cli->flow);

  *fraction = upload != NULL ? avatar_upload_get_fraction (upload) : 0.0;
  return avatar_flow_get_state (cli->flow);
}

static void
draw_progress (Cli *cli)
{
  g_autofree char *padded = NULL;
  double fraction;
  const char *label = state_label (read_progress (cli, &fraction));
  char bar[PROGRESS_WIDTH + 1];
  int filled;

  if (!cli->show_progress || label == NULL)
    return;

  filled = (int) (fraction * PROGRESS_WIDTH + 0.5);
  for (int i = 0; i < PROGRESS_WIDTH; i++)
    bar[i] = i < filled ? '#' : '-';
  bar[PROGRESS_WIDTH] = '\0';

  padded = avatar_pad_to_columns (label, LABEL_COLUMNS);
  g_printerr ("\r%s [%s] %3d %%", padded, bar, (int) (fraction * 100 + 0.5));
  cli->progress_drawn = TRUE;
}

/* The flow sends the bytes through an AvatarUpload, whose progress moves
 * the bar. */
static void
watch_upload (Cli *cli)
{
  AvatarUpload *upload = avatar_flow_get_upload (cli->flow);

  if (upload != NULL)
    g_signal_connect_swapped (upload, "notify::fraction", G_CALLBACK (draw_progress), cli);
}

/* Draws the progress line again whenever what read_progress () reads
 * changes. */
static void
watch_progress (Cli *cli)
{
  g_signal_connect_swapped (cli->flow, "notify::state", G_CALLBACK (draw_progress), cli);
  g_signal_connect_swapped (cli->flow, "notify::upload", G_CALLBACK (watch_upload), cli);
}

static void
flow_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  if (!avatar_flow_run_finish (AVATAR_FLOW (source), result, &error))
    {
      cli_fail (cli, error);
      return;
    }

  cli_progress_end (cli);
  cli_print_upload (cli->flow);
  cli_done (cli);
}

static void
start_upload (Cli *cli)
{
  cli->flow = avatar_flow_new (cli->client, cli->image,
                               cli->has_crop ? &cli->crop : NULL,
                               cli->keep_metadata ? AVATAR_PREPARE_KEEP_METADATA : AVATAR_PREPARE_NONE);
  avatar_flow_set_processing_timeout (cli->flow, (guint) cli->timeout_s * 1000);

  watch_progress (cli);
  avatar_flow_run_async (cli->flow, cli->cancellable, flow_done_cb, cli);
}

/* Loading ---------------------------------------------------------------- */

static gboolean
crop_fits (Cli *cli)
{
  int width = avatar_image_get_width (cli->image);
  int height = avatar_image_get_height (cli->image);

  if (!cli->has_crop)
    return TRUE;

  if ((gint64) cli->crop.x + cli->crop.size <= width &&
      (gint64) cli->crop.y + cli->crop.size <= height)
    return TRUE;

  g_printerr (_("The crop %d,%d,%d does not fit in the picture of %d × %d pixels.\n"),
              cli->crop.x, cli->crop.y, cli->crop.size, width, height);
  return FALSE;
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  cli->image = avatar_image_load_file_finish (result, &error);
  if (cli->image == NULL)
    {
      if (cli->check && !cli->interrupted && cli_exit_code_for_error (error) == EXIT_INVALID_IMAGE)
        cli_print_check (NULL, NULL, error);
      cli_fail (cli, error);
      return;
    }

  if (!crop_fits (cli))
    {
      cli->exit_code = EXIT_USAGE;
      g_main_loop_quit (cli->loop);
      return;
    }

  if (cli->check)
    {
      avatar_image_prepare_async (cli->image, cli->has_crop ? &cli->crop : NULL,
                                  cli->keep_metadata ? AVATAR_PREPARE_KEEP_METADATA : AVATAR_PREPARE_NONE,
                                  cli->cancellable, check_prepared_cb, cli);
      return;
    }

  start_upload (cli);
}

/* Start ------------------------------------------------------------------ */

void
cli_start (Cli *cli)
{
  g_autoptr(GFile) file = NULL;

  if (cli->profile)
    {
      avatar_client_get_profile_async (cli->client, cli->cancellable, profile_cb, cli);
      return;
    }

  if (cli->remove)
    {
      avatar_client_remove_avatar_async (cli->client, cli->cancellable, profile_cb, cli);
      return;
    }

  file = g_file_new_for_commandline_arg (cli->files[0]);
  avatar_image_load_file_async (file, cli->cancellable, loaded_cb, cli);
}
