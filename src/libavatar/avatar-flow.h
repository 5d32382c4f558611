/* avatar-flow.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "avatar-client.h"
#include "avatar-image.h"
#include "avatar-upload.h"

G_BEGIN_DECLS

typedef enum
{
  AVATAR_FLOW_STATE_IDLE,
  AVATAR_FLOW_STATE_PREPARING,
  AVATAR_FLOW_STATE_REQUESTING,
  AVATAR_FLOW_STATE_UPLOADING,
  AVATAR_FLOW_STATE_PROCESSING,
  AVATAR_FLOW_STATE_FETCHING,
  AVATAR_FLOW_STATE_DONE,
  AVATAR_FLOW_STATE_FAILED,
  AVATAR_FLOW_STATE_CANCELLED,
} AvatarFlowState;

typedef enum
{
  AVATAR_VARIANT_44,        /*< nick=44 >*/
  AVATAR_VARIANT_48,        /*< nick=48 >*/
  AVATAR_VARIANT_60,        /*< nick=60 >*/
  AVATAR_VARIANT_ORIGINAL,  /*< nick=original >*/
  AVATAR_VARIANT_RAW,       /*< nick=raw >*/
  AVATAR_N_VARIANTS,        /*< skip >*/
} AvatarVariantKind;

typedef struct
{
  AvatarVariantKind  kind;
  char              *url;
  char              *content_type;
  int                width;
  int                height;
  gsize              byte_size;
  GBytes            *bytes;         /* NULL for raw, unless fetched (set_fetch_raw) */
} AvatarVariant;

typedef struct
{
  gint64 prepare_ms;
  gint64 request_ms;
  gint64 upload_ms;
  gint64 processing_ms;
  gint64 variants_ms;
  gint64 total_ms;
} AvatarFlowTimings;

#define AVATAR_TYPE_FLOW (avatar_flow_get_type ())

G_DECLARE_FINAL_TYPE (AvatarFlow, avatar_flow, AVATAR, FLOW, GObject)

/* One upload job. Properties: state, upload, error (boxed GError),
 * avatar-url, asset-key, sent, prepared, and processing-timeout (ms).
 * Variants are there once the state is done (NULL before). Every get_
 * function returns a borrowed (transfer none) pointer, NULL while there is
 * nothing to tell, valid until the next run. */
AvatarFlow           *avatar_flow_new                   (AvatarClient        *client,
                                                         AvatarImage         *image,
                                                         const AvatarCrop    *crop,
                                                         AvatarPrepareFlags   flags);
/* A flow that sends @prepared as it is, sharing its bytes: it starts at
 * requesting, and the prepared property is @prepared from the start. */
AvatarFlow           *avatar_flow_new_for_prepared      (AvatarClient         *client,
                                                         const AvatarPrepared *prepared);
AvatarFlowState       avatar_flow_get_state             (AvatarFlow          *self);
/* The AvatarUpload of this run, whose bytes-sent, bytes-total and fraction
 * tell the progress of the PUT: NULL until the run starts uploading, then
 * kept, at its last progress, until the next run starts; the upload
 * property is notified at both moments. Set before the state turns
 * uploading. */
AvatarUpload         *avatar_flow_get_upload            (AvatarFlow          *self);
const GError         *avatar_flow_get_error             (AvatarFlow          *self);
const char           *avatar_flow_get_avatar_url        (AvatarFlow          *self);
const char           *avatar_flow_get_asset_key         (AvatarFlow          *self);
/* TRUE once the service answered the PUT of this run: from then on the
 * picture is the service's, and a cancel only stops the wait. */
gboolean              avatar_flow_get_sent              (AvatarFlow          *self);
const AvatarPrepared *avatar_flow_get_prepared          (AvatarFlow          *self);
const AvatarVariant  *avatar_flow_get_variant           (AvatarFlow          *self,
                                                         AvatarVariantKind    kind);
void                  avatar_flow_get_timings           (AvatarFlow          *self,
                                                         AvatarFlowTimings   *timings);
/* Whether to download raw, the whole upload again (not by default): without
 * it raw is checked by a HEAD, its type and length against what was sent,
 * and its variant has no bytes. */
void                  avatar_flow_set_fetch_raw         (AvatarFlow          *self,
                                                         gboolean             fetch_raw);
/* The longest wait for processing, 30 s by default. */
void                  avatar_flow_set_processing_timeout (AvatarFlow         *self,
                                                          guint               timeout_ms);

/* Runs the job to done, failed or cancelled. It may be run again after a
 * failure or a cancel: the prepared bytes are kept, so a retry resends them. */
void                  avatar_flow_run_async             (AvatarFlow          *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean              avatar_flow_run_finish            (AvatarFlow          *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
/* Cancels whatever runs now, in any state. Once every byte of the PUT is
 * out, the run ends with the PUT's answer; after that, with sent TRUE, the
 * cancel stops the wait only, and the error (still G_IO_ERROR_CANCELLED)
 * says the picture becomes the avatar once processed. */
void                  avatar_flow_cancel                (AvatarFlow          *self);

G_END_DECLS
