/* avatar-upload-cli.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the parts of avatar-upload share: the run's state, its exit codes,
 * and the functions each part offers the others.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "avatar-client.h"
#include "avatar-flow.h"
#include "avatar-image.h"

G_BEGIN_DECLS

enum {
  EXIT_DONE = 0,
  EXIT_USAGE = 1,
  EXIT_INVALID_IMAGE = 2,
  EXIT_SERVICE = 3,
  EXIT_AUTH = 4,
  EXIT_PROCESSING_TIMEOUT = 5,
  EXIT_PROCESSING_FAILED = 6,
  EXIT_INTERRUPTED = 130,
};

typedef struct
{
  /* Options */
  char         *server;
  char         *app_id;
  char         *token;
  char         *refresh_token;
  char         *token_file;
  char         *crop_text;
  gboolean      keep_metadata;
  int           timeout_s;
  gboolean      check;
  gboolean      profile;
  gboolean      remove;
  gboolean      version;
  char        **files;

  /* The run */
  GMainLoop    *loop;
  GCancellable *cancellable;
  AvatarClient *client;
  AvatarImage  *image;
  AvatarFlow   *flow;
  AvatarCrop    crop;
  gboolean      has_crop;
  gboolean      interrupted;
  gboolean      show_progress;
  gboolean      progress_drawn;
  int           exit_code;
} Cli;

/* avatar-upload-main.c */
void        cli_clear               (Cli                  *cli);
/* @option when it is set, else @variable's value when it is set and not
 * empty, else NULL. Takes @option. Returns: (transfer full) */
char       *cli_setting             (char                 *option,
                                     const char           *variable);
/* Prints @message as one sentence on stderr; returns EXIT_USAGE. */
int         cli_usage_error         (const char           *message);

/* avatar-upload-output.c */
/* Prints the JSON @builder holds on stdout. */
void        cli_print_json          (JsonBuilder          *builder);
/* Prints @message on stderr as one line that ends like a sentence. */
void        cli_print_sentence      (const char           *message);
/* The exit code a run that failed with @error ends with. */
int         cli_exit_code_for_error (const GError         *error);
/* Adds member @name: @value, or null when @value is NULL. */
void        cli_add_string_or_null  (JsonBuilder          *builder,
                                     const char           *name,
                                     const char           *value);
/* What --check prints: @image and @prepared are NULL when the picture
 * could not be loaded or prepared, and @error is NULL when it could. */
void        cli_print_check         (AvatarImage          *image,
                                     const AvatarPrepared *prepared,
                                     const GError         *error);
void        cli_print_profile       (const AvatarProfile  *profile);
/* The avatar's URL, its variants and the timings of a finished @flow. */
void        cli_print_upload        (AvatarFlow           *flow);

/* avatar-upload-run.c */
/* Ends the progress line, if one was drawn, so that what follows starts
 * on a line of its own. */
void        cli_progress_end        (Cli                  *cli);
/* Starts what the options ask for: --profile, --remove, or loading the
 * picture to --check or upload it. The run quits cli->loop when it ends,
 * with cli->exit_code set. */
void        cli_start               (Cli                  *cli);

/* avatar-upload-tokens.c */
/* Keeps the tokens @client was given in place of the old ones. */
void        cli_tokens_changed_cb   (AvatarClient         *client,
                                     Cli                  *cli);
/* Finds the tokens for cli->server; EXIT_DONE, or the exit code after the
 * reason was printed. */
int         cli_find_tokens         (Cli                  *cli);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Cli, cli_clear)

G_END_DECLS
