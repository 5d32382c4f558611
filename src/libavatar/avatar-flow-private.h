/* avatar-flow-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The flow's run across its files: avatar-flow.c takes it from preparing
 * to the PUT's answer and ends it, avatar-flow-wait.c waits for the
 * processing, avatar-flow-variants.c fetches and checks the variants. Every
 * function here runs on the context of the run's task.
 */

#pragma once

#include "avatar-flow.h"

G_BEGIN_DECLS

struct _AvatarFlow
{
  GObject             parent_instance;

  AvatarClient       *client;
  AvatarImage        *image;
  AvatarCrop          crop;
  gboolean            has_crop;
  AvatarPrepareFlags  flags;
  guint               processing_timeout_ms;
  gboolean            fetch_raw;

  AvatarFlowState     state;
  AvatarUpload       *upload;
  GError             *error;
  char               *avatar_url;
  char               *asset_key;
  gboolean            sent;
  AvatarPrepared     *prepared;
  AvatarVariant       variants[AVATAR_N_VARIANTS];
  AvatarFlowTimings   timings;

  /* While a run is in progress. */
  GTask              *task;
  GCancellable       *cancellable;
  GCancellable       *caller_cancellable;
  gulong              caller_cancelled_id;
  AvatarTicket       *ticket;
  gint64              run_started_us;
  gint64              stage_started_us;
  GSource            *deadline;
  gboolean            timed_out;
  guint               polls;
  gint64              poll_started_us;
  gboolean            stop_after_upload;
  guint               fetches_pending;
  GError             *fetch_error;
};


/* avatar-flow.c */
/* The time since the last stage ended, which this one ends. */
gint64   avatar_flow_stage_elapsed_ms (AvatarFlow *self);
/* Ends the run with @error (taken), or done when %NULL. */
void     avatar_flow_finish           (AvatarFlow *self,
                                       GError     *error);
/* After an asynchronous step: FALSE, with the run ended, when it failed or
 * the run was cancelled meanwhile. Takes @error. */
gboolean avatar_flow_step_ok          (AvatarFlow *self,
                                       GError     *error);
/* The wait is over: @avatar_url is the new avatar's. */
void     avatar_flow_processed        (AvatarFlow *self,
                                       const char *avatar_url);

/* avatar-flow-wait.c */
/* Polls the profile until it shows the ticket's avatar, within the
 * processing timeout; then avatar_flow_processed(). */
void     avatar_flow_wait_processing  (AvatarFlow *self);
void     avatar_flow_clear_deadline   (AvatarFlow *self);

/* avatar-flow-variants.c */
/* Fetches and checks every variant at once, then ends the run. */
void     avatar_flow_fetch_variants   (AvatarFlow *self);
void     avatar_flow_clear_variants   (AvatarFlow *self);

G_END_DECLS
