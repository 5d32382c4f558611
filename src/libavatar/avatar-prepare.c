/* avatar-prepare.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "avatar-decode.h"
#include "avatar-error.h"
#include "avatar-image-private.h"

#define FIRST_JPEG_QUALITY 90
#define DOWNSCALE_JPEG_QUALITY 80

G_DEFINE_BOXED_TYPE (AvatarPrepared, avatar_prepared, avatar_prepared_copy, avatar_prepared_free)

/* Crop and pass-through ---------------------------------------------------- */

/* Where an upright square lies among the stored pixels. */
static AvatarCrop
stored_rect_for_crop (const AvatarCrop *crop,
                      int               orientation,
                      int               stored_width,
                      int               stored_height)
{
  int w = stored_width;
  int h = stored_height;
  int s = crop->size;
  int u = crop->x;
  int v = crop->y;

  switch (orientation)
    {
    case 2:  return (AvatarCrop) { w - u - s, v, s };
    case 3:  return (AvatarCrop) { w - u - s, h - v - s, s };
    case 4:  return (AvatarCrop) { u, h - v - s, s };
    case 5:  return (AvatarCrop) { v, u, s };
    case 6:  return (AvatarCrop) { v, h - u - s, s };
    case 7:  return (AvatarCrop) { w - v - s, h - u - s, s };
    case 8:  return (AvatarCrop) { w - v - s, u, s };
    default: return (AvatarCrop) { u, v, s };
    }
}

static gboolean
crop_is_turned (const AvatarCrop *crop)
{
  return crop->turns % 4 != 0 || crop->flip;
}

/* The person's quarter turns and mirroring, given to the cut square. */
static GdkPixbuf *
turn_square (GdkPixbuf        *square,
             const AvatarCrop *crop)
{
  static const GdkPixbufRotation rotations[] = {
    GDK_PIXBUF_ROTATE_NONE, GDK_PIXBUF_ROTATE_CLOCKWISE,
    GDK_PIXBUF_ROTATE_UPSIDEDOWN, GDK_PIXBUF_ROTATE_COUNTERCLOCKWISE,
  };
  g_autoptr(GdkPixbuf) turned = gdk_pixbuf_rotate_simple (square, rotations[((crop->turns % 4) + 4) % 4]);

  if (turned == NULL || !crop->flip)
    return g_steal_pointer (&turned);

  return gdk_pixbuf_flip (turned, TRUE);
}

static AvatarCrop
effective_crop (AvatarImage      *self,
                const AvatarCrop *crop)
{
  AvatarCrop result;

  if (crop == NULL)
    avatar_crop_init_default (&result, self->width, self->height);
  else
    {
      result = *crop;
      avatar_crop_clamp (&result, self->width, self->height);
    }

  return result;
}

static gboolean
is_whole_picture (AvatarImage      *self,
                  const AvatarCrop *crop)
{
  return crop->x == 0 && crop->y == 0 &&
         crop->size == self->width && crop->size == self->height;
}

static gboolean
can_pass_through (AvatarImage        *self,
                  const AvatarCrop   *crop,
                  AvatarPrepareFlags  flags)
{
  return self->type->uploadable &&
         g_bytes_get_size (self->bytes) <= AVATAR_IMAGE_MAX_UPLOAD_BYTES &&
         is_whole_picture (self, crop) && !crop_is_turned (crop) &&
         self->orientation == 1 && self->transform == 1 &&
         (!self->has_metadata || (flags & AVATAR_PREPARE_KEEP_METADATA) != 0);
}

gboolean
avatar_image_would_pass_through (AvatarImage        *self,
                                 const AvatarCrop   *crop,
                                 AvatarPrepareFlags  flags)
{
  AvatarCrop effective;

  g_return_val_if_fail (AVATAR_IS_IMAGE (self), FALSE);

  effective = effective_crop (self, crop);
  return can_pass_through (self, &effective, flags);
}

/* Preparing ----------------------------------------------------------------- */

/* Cuts the upright square out of the stored pixels. Only the square is
 * turned, never the whole picture; when nothing needs turning, the square
 * is a view into the stored pixels, not a copy. */
static GdkPixbuf *
cut_upright_square (AvatarImage       *self,
                    GdkPixbuf         *stored,
                    const AvatarCrop  *crop,
                    GError           **error)
{
  g_autoptr(GdkPixbuf) region = NULL;
  AvatarCrop rect;
  GdkPixbuf *square;

  if (gdk_pixbuf_get_width (stored) != self->stored_width ||
      gdk_pixbuf_get_height (stored) != self->stored_height)
    {
      avatar_decode_set_corrupt_error (error, self->display_name);
      return NULL;
    }

  rect = stored_rect_for_crop (crop, self->transform, self->stored_width, self->stored_height);
  g_assert (rect.x >= 0 && rect.y >= 0 &&
            rect.x + rect.size <= self->stored_width &&
            rect.y + rect.size <= self->stored_height);

  region = gdk_pixbuf_new_subpixbuf (stored, rect.x, rect.y, rect.size, rect.size);
  if (self->transform == 1)
    return g_steal_pointer (&region);

  square = avatar_decode_orient (region, self->transform);
  if (square == NULL)
    avatar_decode_set_too_many_pixels_error (error, self->display_name, self->width, self->height);

  return square;
}

static GBytes *
encode_pixbuf (GdkPixbuf     *pixbuf,
               gboolean       as_png,
               int            quality,
               GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *quality_str = g_strdup_printf ("%d", quality);
  char *buffer = NULL;
  gsize size = 0;
  gboolean ok;

  if (as_png)
    ok = gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", &local_error, NULL);
  else
    ok = gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "jpeg", &local_error,
                                    "quality", quality_str, NULL);

  if (!ok)
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_INVALID_IMAGE,
                   _("The picture could not be saved for uploading: %s"),
                   local_error->message);
      return NULL;
    }

  return g_bytes_new_take (buffer, size);
}

static gboolean
fits (GBytes *bytes)
{
  return g_bytes_get_size (bytes) <= AVATAR_IMAGE_MAX_UPLOAD_BYTES;
}

/* Encodes @square, with transparency as PNG, otherwise as JPEG. When that
 * is over the upload limit a JPEG first loses quality (90, 85, 80, 70, 60),
 * then both kinds shrink by a quarter a step, a JPEG at quality 80: a
 * smaller sharp picture looks better than a big blocky one. A PNG keeps its
 * lossless pixels and its type and only shrinks. */
static AvatarPrepared *
encode_to_fit (GdkPixbuf      *square,
               gboolean        as_png,
               AvatarChanges   changes,
               GCancellable   *cancellable,
               GError        **error)
{
  static const int qualities[] = { FIRST_JPEG_QUALITY, 85, 80, 70, 60 };
  g_autoptr(AvatarPrepared) prepared = g_new0 (AvatarPrepared, 1);
  int side = gdk_pixbuf_get_width (square);

  prepared->content_type = g_strdup (as_png ? "image/png" : "image/jpeg");

  for (guint i = 0; i < (as_png ? 1 : G_N_ELEMENTS (qualities)); i++)
    {
      if (avatar_decode_check_cancelled (cancellable, error))
        return NULL;

      g_clear_pointer (&prepared->bytes, g_bytes_unref);
      prepared->bytes = encode_pixbuf (square, as_png, qualities[i], error);
      if (prepared->bytes == NULL)
        return NULL;

      if (qualities[i] != FIRST_JPEG_QUALITY)
        changes |= AVATAR_CHANGE_QUALITY_REDUCED;

      if (fits (prepared->bytes))
        goto done;
    }

  while (side * 3 / 4 >= AVATAR_IMAGE_MIN_CROP)
    {
      g_autoptr(GdkPixbuf) smaller = NULL;

      if (avatar_decode_check_cancelled (cancellable, error))
        return NULL;

      side = side * 3 / 4;
      smaller = gdk_pixbuf_scale_simple (square, side, side, GDK_INTERP_BILINEAR);
      if (smaller == NULL)
        break;

      g_clear_pointer (&prepared->bytes, g_bytes_unref);
      prepared->bytes = encode_pixbuf (smaller, as_png, DOWNSCALE_JPEG_QUALITY, error);
      if (prepared->bytes == NULL)
        return NULL;

      changes |= AVATAR_CHANGE_DOWNSCALED;
      if (fits (prepared->bytes))
        goto done;
    }

  g_set_error_literal (error, AVATAR_ERROR, AVATAR_ERROR_TOO_LARGE,
                       _("The picture cannot be made small enough to upload. Choose another picture."));
  return NULL;

done:
  prepared->width = side;
  prepared->height = side;
  prepared->passthrough = FALSE;
  prepared->changes = changes;
  return g_steal_pointer (&prepared);
}

static AvatarPrepared *
prepare_passthrough (AvatarImage *self)
{
  AvatarPrepared *prepared = g_new0 (AvatarPrepared, 1);

  prepared->bytes = g_bytes_ref (self->bytes);
  prepared->content_type = g_strdup (self->type->mime_type);
  prepared->width = self->width;
  prepared->height = self->height;
  prepared->passthrough = TRUE;
  prepared->changes = AVATAR_CHANGE_NONE;

  return prepared;
}

/* The full-size stored pixels: those kept from an earlier prepare(), or
 * decoded now. One thread decodes at a time, so that two prepares of one
 * picture never hold its pixels twice. */
static GdkPixbuf *
get_stored_pixels (AvatarImage   *self,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->pixels_lock);
  AvatarDecodeInfo info;
  GdkPixbuf *stored;

  if (self->pixels != NULL)
    return g_object_ref (self->pixels);

  stored = avatar_decode (self->bytes, self->type, self->loader_name, self->display_name,
                          0, &info, cancellable, error);
  if (stored == NULL)
    return NULL;

  self->n_full_decodes++;
  if (self->keep_pixels)
    self->pixels = g_object_ref (stored);

  return stored;
}

static AvatarPrepared *
prepare_sync (AvatarImage        *self,
              const AvatarCrop   *crop,
              AvatarPrepareFlags  flags,
              GCancellable       *cancellable,
              GError            **error)
{
  g_autoptr(GdkPixbuf) stored = NULL;
  g_autoptr(GdkPixbuf) square = NULL;
  AvatarChanges changes = AVATAR_CHANGE_REENCODED;
  AvatarCrop effective;

  if (avatar_decode_check_cancelled (cancellable, error))
    return NULL;

  effective = effective_crop (self, crop);

  if (can_pass_through (self, &effective, flags))
    return prepare_passthrough (self);

  stored = get_stored_pixels (self, cancellable, error);
  if (stored == NULL)
    return NULL;

  square = cut_upright_square (self, stored, &effective, error);
  g_clear_object (&stored);
  if (square == NULL)
    return NULL;

  if (crop_is_turned (&effective))
    {
      GdkPixbuf *turned = turn_square (square, &effective);

      if (turned == NULL)
        {
          avatar_decode_set_too_many_pixels_error (error, self->display_name, self->width, self->height);
          return NULL;
        }
      g_object_unref (square);
      square = turned;
      changes |= AVATAR_CHANGE_TURNED;
    }

  if (!self->type->uploadable)
    changes |= AVATAR_CHANGE_CONVERTED;
  if (!is_whole_picture (self, &effective))
    changes |= AVATAR_CHANGE_CROPPED;
  if (self->orientation != 1 || self->transform != 1)
    changes |= AVATAR_CHANGE_ROTATED;
  if (self->has_metadata)
    changes |= AVATAR_CHANGE_METADATA_REMOVED;
  if (self->is_animated)
    changes |= AVATAR_CHANGE_ANIMATION_REMOVED;

  return encode_to_fit (square, avatar_decode_has_transparency (square), changes,
                        cancellable, error);
}

AvatarPrepared *
avatar_image_prepare (AvatarImage         *self,
                      const AvatarCrop    *crop,
                      AvatarPrepareFlags   flags,
                      GCancellable        *cancellable,
                      GError             **error)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return prepare_sync (self, crop, flags, cancellable, error);
}

typedef struct
{
  AvatarCrop         crop;
  gboolean           has_crop;
  AvatarPrepareFlags flags;
} PrepareData;

static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  AvatarImage *self = source_object;
  PrepareData *data = task_data;
  g_autoptr(GError) error = NULL;
  AvatarPrepared *prepared;

  prepared = prepare_sync (self, data->has_crop ? &data->crop : NULL, data->flags,
                           cancellable, &error);
  if (prepared == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, prepared, (GDestroyNotify) avatar_prepared_free);
}

void
avatar_image_prepare_async (AvatarImage         *self,
                            const AvatarCrop    *crop,
                            AvatarPrepareFlags   flags,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  PrepareData *data;

  g_return_if_fail (AVATAR_IS_IMAGE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  data = g_new0 (PrepareData, 1);
  data->has_crop = crop != NULL;
  if (crop != NULL)
    data->crop = *crop;
  data->flags = flags;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, avatar_image_prepare_async);
  g_task_set_task_data (task, data, g_free);
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, prepare_thread);
}

AvatarPrepared *
avatar_image_prepare_finish (AvatarImage   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == avatar_image_prepare_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
avatar_image_set_keep_pixels (AvatarImage *self,
                              gboolean     keep_pixels)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_if_fail (AVATAR_IS_IMAGE (self));

  locker = g_mutex_locker_new (&self->pixels_lock);
  self->keep_pixels = !!keep_pixels;
  if (!self->keep_pixels)
    g_clear_object (&self->pixels);
}

guint
avatar_image_get_n_full_decodes (AvatarImage *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (AVATAR_IS_IMAGE (self), 0);

  locker = g_mutex_locker_new (&self->pixels_lock);
  return self->n_full_decodes;
}

/* AvatarPrepared ------------------------------------------------------------ */

AvatarPrepared *
avatar_prepared_copy (const AvatarPrepared *prepared)
{
  AvatarPrepared *copy;

  g_return_val_if_fail (prepared != NULL, NULL);

  copy = g_new0 (AvatarPrepared, 1);
  copy->bytes = prepared->bytes ? g_bytes_ref (prepared->bytes) : NULL;
  copy->content_type = g_strdup (prepared->content_type);
  copy->width = prepared->width;
  copy->height = prepared->height;
  copy->passthrough = prepared->passthrough;
  copy->changes = prepared->changes;

  return copy;
}

void
avatar_prepared_free (AvatarPrepared *prepared)
{
  if (prepared == NULL)
    return;

  g_clear_pointer (&prepared->bytes, g_bytes_unref);
  g_clear_pointer (&prepared->content_type, g_free);
  g_free (prepared);
}

static const char *
format_name_for_content_type (const char *content_type)
{
  if (g_strcmp0 (content_type, "image/jpeg") == 0)
    return "JPEG";
  if (g_strcmp0 (content_type, "image/png") == 0)
    return "PNG";
  if (g_strcmp0 (content_type, "image/gif") == 0)
    return "GIF";
  if (g_strcmp0 (content_type, "image/webp") == 0)
    return "WebP";
  return content_type ? content_type : "";
}

const char *
avatar_prepared_get_format_name (const AvatarPrepared *prepared)
{
  g_return_val_if_fail (prepared != NULL, NULL);

  return format_name_for_content_type (prepared->content_type);
}

GStrv
avatar_prepared_describe_changes (const AvatarPrepared *prepared)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  const char *format;
  AvatarChanges changes;

  g_return_val_if_fail (prepared != NULL, NULL);

  builder = g_strv_builder_new ();
  changes = prepared->changes;
  format = format_name_for_content_type (prepared->content_type);

  if (changes & AVATAR_CHANGE_CONVERTED)
    {
      /* TRANSLATORS: %s is an image format such as JPEG */
      g_autofree char *text = g_strdup_printf (_("Converted to %s, because the service does not accept the original format."),
                                               format);
      g_strv_builder_add (builder, text);
    }
  if (changes & AVATAR_CHANGE_CROPPED)
    g_strv_builder_add (builder, _("Cropped to the chosen square."));
  if (changes & AVATAR_CHANGE_ROTATED)
    g_strv_builder_add (builder, _("Turned upright, as the camera recorded it."));
  if (changes & AVATAR_CHANGE_TURNED)
    g_strv_builder_add (builder, _("Turned or flipped, as you chose."));
  if (changes & AVATAR_CHANGE_METADATA_REMOVED)
    g_strv_builder_add (builder, _("Hidden details, such as location and camera data, were removed."));
  if (changes & AVATAR_CHANGE_QUALITY_REDUCED)
    g_strv_builder_add (builder, _("Saved at a lower quality to fit the 5 MB upload limit."));
  if (changes & AVATAR_CHANGE_DOWNSCALED)
    {
      /* TRANSLATORS: the %d are the new width and height in pixels */
      g_autofree char *text = g_strdup_printf (_("Made smaller, to %d × %d pixels, to fit the 5 MB upload limit."),
                                               prepared->width, prepared->height);
      g_strv_builder_add (builder, text);
    }
  if (changes & AVATAR_CHANGE_ANIMATION_REMOVED)
    g_strv_builder_add (builder, _("Only the first frame of the animation is kept."));
  if (changes & AVATAR_CHANGE_REENCODED)
    {
      /* TRANSLATORS: %s is an image format such as JPEG */
      g_autofree char *text = g_strdup_printf (_("Made into a new %s file."), format);
      g_strv_builder_add (builder, text);
    }

  return g_strv_builder_end (builder);
}
