/* avatar-flow-variants.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The flow's last stage: the variants of the new avatar, fetched at once
 * and checked by their headers against the contract.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <webp/decode.h>

#include "avatar-decode.h"
#include "avatar-error.h"
#include "avatar-flow-private.h"
#include "avatar-sniff.h"

static const struct {
  const char *file;
  int         side;  /* 0: any size */
} variant_specs[AVATAR_N_VARIANTS] = {
  [AVATAR_VARIANT_44]       = { "44.webp", 44 },
  [AVATAR_VARIANT_48]       = { "48.webp", 48 },
  [AVATAR_VARIANT_60]       = { "60.webp", 60 },
  [AVATAR_VARIANT_ORIGINAL] = { "original.webp", 0 },
  [AVATAR_VARIANT_RAW]      = { "raw", 0 },
};

void
avatar_flow_clear_variants (AvatarFlow *self)
{
  for (guint i = 0; i < AVATAR_N_VARIANTS; i++)
    {
      AvatarVariant *variant = &self->variants[i];

      g_clear_pointer (&variant->url, g_free);
      g_clear_pointer (&variant->content_type, g_free);
      g_clear_pointer (&variant->bytes, g_bytes_unref);
      variant->kind = i;
      variant->width = 0;
      variant->height = 0;
      variant->byte_size = 0;
    }
}

/* A variant is checked by its header alone, its type and its size against
 * what the contract promises; its pixels are decoded only where they are
 * shown. */
static gboolean
check_variant (AvatarVariant  *variant,
               GError        **error)
{
  const char *file = variant_specs[variant->kind].file;
  int side = variant_specs[variant->kind].side;
  const AvatarSniffedType *type;
  WebPBitstreamFeatures features;
  const guint8 *data;
  gsize size;

  data = g_bytes_get_data (variant->bytes, &size);
  type = avatar_sniff_type (data, size);

  if (type == NULL || !g_str_equal (type->mime_type, "image/webp") ||
      WebPGetFeatures (data, size, &features) != VP8_STATUS_OK)
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("The service sent a “%s” picture that cannot be decoded."), file);
      return FALSE;
    }

  if (avatar_decode_exceeds_limits (features.width, features.height))
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("The service sent a “%s” picture with too many pixels."), file);
      return FALSE;
    }

  variant->width = features.width;
  variant->height = features.height;

  if (side != 0 && (variant->width != side || variant->height != side))
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("The service sent a “%s” picture of %d × %d pixels instead of %d × %d."),
                   file, variant->width, variant->height, side, side);
      return FALSE;
    }

  return TRUE;
}

/* raw is the uploaded bytes: the type and the length the header gives must
 * be those that were sent, and then its pixels are those of the prepared
 * picture. */
static gboolean
check_raw (AvatarFlow     *self,
           AvatarVariant  *variant,
           goffset         length,
           GError        **error)
{
  const AvatarPrepared *prepared = self->prepared;

  if (g_strcmp0 (variant->content_type, prepared->content_type) != 0 ||
      (length >= 0 && (guint64) length != g_bytes_get_size (prepared->bytes)))
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                   _("The service’s “raw” file is not the picture that was uploaded."));
      return FALSE;
    }

  variant->byte_size = g_bytes_get_size (prepared->bytes);
  variant->width = prepared->width;
  variant->height = prepared->height;
  return TRUE;
}

/* Once every fetch is back: nothing may still run when the flow reports
 * the end. Takes @error. */
static void
fetch_done (AvatarFlow *self,
            GError     *error)
{
  if (error != NULL && self->fetch_error == NULL)
    self->fetch_error = error;
  else
    g_clear_error (&error);

  if (--self->fetches_pending > 0)
    return;

  self->timings.variants_ms = avatar_flow_stage_elapsed_ms (self);

  if (!avatar_flow_step_ok (self, g_steal_pointer (&self->fetch_error)))
    return;

  avatar_flow_finish (self, NULL);
}

typedef struct
{
  AvatarFlow        *flow;
  AvatarVariantKind  kind;
} Fetch;

static void
fetched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fetch *fetch = user_data;
  g_autoptr(AvatarFlow) self = fetch->flow;
  AvatarVariant *variant = &self->variants[fetch->kind];
  GError *error = NULL;

  g_free (fetch);
  variant->bytes = avatar_client_fetch_finish (AVATAR_CLIENT (source), result,
                                               &variant->content_type, &error);
  if (variant->bytes != NULL)
    {
      variant->byte_size = g_bytes_get_size (variant->bytes);
      if (variant->kind == AVATAR_VARIANT_RAW)
        check_raw (self, variant, variant->byte_size, &error);
      else
        check_variant (variant, &error);
    }

  fetch_done (self, error);
}

static void
raw_head_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(AvatarFlow) self = user_data;
  AvatarVariant *variant = &self->variants[AVATAR_VARIANT_RAW];
  GError *error = NULL;
  goffset length = -1;

  if (avatar_client_head_finish (AVATAR_CLIENT (source), result, &variant->content_type, &length, &error))
    check_raw (self, variant, length, &error);

  fetch_done (self, error);
}

void
avatar_flow_fetch_variants (AvatarFlow *self)
{
  for (guint i = 0; i < AVATAR_N_VARIANTS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = NULL;

      /* The variants are the siblings of original.webp. */
      url = g_uri_resolve_relative (self->ticket->cdn_url, variant_specs[i].file,
                                    G_URI_FLAGS_ENCODED, &error);
      if (url == NULL)
        {
          avatar_flow_finish (self, g_error_new (AVATAR_ERROR, AVATAR_ERROR_PROTOCOL,
                                          _("The service gave an address for the avatar that cannot be used.")));
          return;
        }
      self->variants[i].url = g_steal_pointer (&url);
    }

  /* All at once; raw, the whole upload again, only when asked for. */
  self->fetches_pending = AVATAR_N_VARIANTS;
  for (guint i = 0; i < AVATAR_N_VARIANTS; i++)
    {
      Fetch *fetch;

      if (i == AVATAR_VARIANT_RAW && !self->fetch_raw)
        {
          avatar_client_head_async (self->client, self->variants[i].url, self->cancellable,
                                    raw_head_cb, g_object_ref (self));
          continue;
        }

      fetch = g_new0 (Fetch, 1);
      fetch->flow = g_object_ref (self);
      fetch->kind = i;
      avatar_client_fetch_async (self->client, self->variants[i].url, self->cancellable,
                                 fetched_cb, fetch);
    }
}
