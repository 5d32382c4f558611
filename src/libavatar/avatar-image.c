/* avatar-image.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "avatar-decode.h"
#include "avatar-error.h"
#include "avatar-image-private.h"
#include "avatar-metadata.h"
#include "avatar-sniff.h"

G_DEFINE_FINAL_TYPE (AvatarImage, avatar_image, G_TYPE_OBJECT)

static void
avatar_image_finalize (GObject *object)
{
  AvatarImage *self = AVATAR_IMAGE (object);

  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_clear_pointer (&self->loader_name, g_free);
  g_clear_object (&self->preview);
  g_clear_object (&self->pixels);
  g_mutex_clear (&self->pixels_lock);

  G_OBJECT_CLASS (avatar_image_parent_class)->finalize (object);
}

static void
avatar_image_class_init (AvatarImageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = avatar_image_finalize;
}

static void
avatar_image_init (AvatarImage *self)
{
  self->orientation = 1;
  self->transform = 1;
  self->preview_scale = 1.0;
  g_mutex_init (&self->pixels_lock);
}

/* Loading ------------------------------------------------------------------- */

/* For these formats our own EXIF reader decides the orientation and the
 * decoder leaves the pixels as stored. Other loaders turn the pixels
 * themselves (libheif), or half-way and say what is left to do in the
 * "orientation" option (TIFF). */
static gboolean
orientation_is_ours (const AvatarSniffedType *type)
{
  return g_str_equal (type->mime_type, "image/jpeg") ||
         g_str_equal (type->mime_type, "image/png") ||
         g_str_equal (type->mime_type, "image/webp") ||
         g_str_equal (type->mime_type, "image/gif");
}

static int
pixbuf_orientation_option (GdkPixbuf *pixbuf)
{
  const char *option = gdk_pixbuf_get_option (pixbuf, "orientation");
  guint64 value = 0;

  if (option != NULL &&
      g_ascii_string_to_unsigned (option, 10, 1, 8, &value, NULL))
    return (int) value;

  return 1;
}

static gboolean
read_structure (AvatarImage  *self,
                GError      **error)
{
  AvatarMetadata meta;
  const guint8 *data;
  gsize size;
  guint32 width, height;

  data = g_bytes_get_data (self->bytes, &size);

  if (avatar_sniff_dimensions (self->type, data, size, &width, &height))
    {
      if (avatar_decode_exceeds_limits (width, height))
        {
          avatar_decode_set_too_many_pixels_error (error, self->display_name, width, height);
          return FALSE;
        }
      /* Some loaders stumble over an empty picture instead of refusing it. */
      if (width == 0 || height == 0)
        {
          avatar_decode_set_corrupt_error (error, self->display_name);
          return FALSE;
        }
    }

  avatar_metadata_scan (&meta, self->type->mime_type, data, size);

  if (meta.is_truncated || meta.is_malformed)
    {
      avatar_decode_set_corrupt_error (error, self->display_name);
      return FALSE;
    }

  self->orientation = meta.orientation;
  if (orientation_is_ours (self->type))
    self->transform = meta.orientation;
  self->is_animated = meta.is_animated;
  self->has_metadata = avatar_metadata_is_private (&meta);

  return TRUE;
}

static GdkPixbuf *
scale_to_fit (GdkPixbuf *pixbuf,
              int        side)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);

  avatar_decode_fit_inside (&width, &height, side);
  return gdk_pixbuf_scale_simple (pixbuf, width, height, GDK_INTERP_BILINEAR);
}

static gboolean
make_preview (AvatarImage   *self,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GdkPixbuf) decoded = NULL;
  AvatarDecodeInfo info;
  gboolean ours = orientation_is_ours (self->type);

  /* Scaling while decoding is much cheaper (a JPEG decodes at 1/8 size
   * directly), but the scaled copy loses the loader's options, which the
   * other formats need for their orientation. */
  decoded = avatar_decode (self->bytes, self->type, self->loader_name, self->display_name,
                           ours ? AVATAR_IMAGE_PREVIEW_MAX_SIDE : 0, &info,
                           cancellable, error);
  if (decoded == NULL)
    return FALSE;

  self->stored_width = info.width;
  self->stored_height = info.height;
  self->is_animated |= info.is_animated;

  if (!ours)
    {
      self->transform = pixbuf_orientation_option (decoded);
      self->stored_width = gdk_pixbuf_get_width (decoded);
      self->stored_height = gdk_pixbuf_get_height (decoded);
    }

  /* Not every loader scales while decoding. */
  if (MAX (gdk_pixbuf_get_width (decoded), gdk_pixbuf_get_height (decoded)) > AVATAR_IMAGE_PREVIEW_MAX_SIDE)
    {
      g_autoptr(GdkPixbuf) full = g_steal_pointer (&decoded);

      decoded = scale_to_fit (full, AVATAR_IMAGE_PREVIEW_MAX_SIDE);
      if (decoded == NULL)
        {
          avatar_decode_set_too_many_pixels_error (error, self->display_name,
                                                   self->stored_width, self->stored_height);
          return FALSE;
        }
    }

  if (self->transform >= 5)
    {
      self->width = self->stored_height;
      self->height = self->stored_width;
    }
  else
    {
      self->width = self->stored_width;
      self->height = self->stored_height;
    }

  self->preview = avatar_decode_orient (decoded, self->transform);
  if (self->preview == NULL)
    {
      avatar_decode_set_too_many_pixels_error (error, self->display_name, self->width, self->height);
      return FALSE;
    }

  self->preview_scale = (double) gdk_pixbuf_get_width (self->preview) / self->width;
  self->has_alpha = avatar_decode_has_transparency (self->preview);

  return TRUE;
}

static AvatarImage *
load_bytes (GBytes        *bytes,
            const char    *display_name,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(AvatarImage) self = NULL;
  const guint8 *data;
  gsize size;

  if (avatar_decode_check_cancelled (cancellable, error))
    return NULL;

  self = g_object_new (AVATAR_TYPE_IMAGE, NULL);
  self->display_name = g_strdup (display_name ? display_name : _("Picture"));
  self->bytes = g_bytes_ref (bytes);

  data = g_bytes_get_data (bytes, &size);

  if (size == 0)
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_INVALID_IMAGE,
                   _("“%s” is empty: it holds no picture. Choose another file."),
                   self->display_name);
      return NULL;
    }

  self->type = avatar_sniff_type (data, size);
  if (self->type == NULL)
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_INVALID_IMAGE,
                   _("“%s” is not a picture in a format this app knows. "
                     "Choose a JPEG, PNG, GIF or WebP image."),
                   self->display_name);
      return NULL;
    }

  /* WebP needs no loader: libwebp reads it. */
  if (!avatar_decode_is_webp (self->type))
    self->loader_name = avatar_decode_find_loader (self->type->mime_type);
  if (self->loader_name == NULL && !avatar_decode_is_webp (self->type))
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_UNSUPPORTED_TYPE,
                   /* TRANSLATORS: a format name such as HEIC, then a file name */
                   _("%s images cannot be read on this system. "
                     "Convert “%s” to JPEG or PNG and choose it again."),
                   self->type->name, self->display_name);
      return NULL;
    }

  if (!read_structure (self, error) ||
      !make_preview (self, cancellable, error))
    return NULL;

  return g_steal_pointer (&self);
}

static void
set_unreadable_error (GError     **error,
                      const char  *display_name,
                      GError      *io_error)
{
  if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, avatar_error_new_cancelled ());
  else if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_UNREADABLE,
                 _("“%s” could not be found. It may have been moved or deleted."),
                 display_name);
  else if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_UNREADABLE,
                 _("You are not allowed to read “%s”. Check the file’s permissions."),
                 display_name);
  else
    g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_UNREADABLE,
                 _("“%s” could not be read: %s"),
                 display_name, io_error->message);
}

static AvatarImage *
load_file (GFile         *file,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) io_error = NULL;
  g_autofree char *display_name = NULL;

  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME ","
                            G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                            G_FILE_ATTRIBUTE_STANDARD_TYPE,
                            G_FILE_QUERY_INFO_NONE, cancellable, &io_error);
  if (info == NULL)
    {
      display_name = g_file_get_basename (file);
      set_unreadable_error (error, display_name ? display_name : _("Picture"), io_error);
      return NULL;
    }

  display_name = g_strdup (g_file_info_get_display_name (info));

  if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_UNREADABLE,
                   _("“%s” is a folder. Choose a picture file."), display_name);
      return NULL;
    }

  /* A pipe or a device would never end, or never start. */
  if (g_file_info_get_file_type (info) == G_FILE_TYPE_SPECIAL)
    {
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_UNREADABLE,
                   _("“%s” is not a regular file. Choose a picture file."), display_name);
      return NULL;
    }

  /* A bigger file is not a picture anyone means to use as an avatar, and
   * reading it whole would only fill the memory. */
  if (g_file_info_get_size (info) > AVATAR_IMAGE_MAX_FILE_BYTES)
    {
      g_autofree char *size = g_format_size (g_file_info_get_size (info));

      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_TOO_LARGE,
                   _("“%s” is %s, far too big for a picture. Choose a smaller file."),
                   display_name, size);
      return NULL;
    }

  bytes = g_file_load_bytes (file, cancellable, NULL, &io_error);
  if (bytes == NULL)
    {
      set_unreadable_error (error, display_name, io_error);
      return NULL;
    }

  return load_bytes (bytes, display_name, cancellable, error);
}

AvatarImage *
avatar_image_new_from_bytes (GBytes        *bytes,
                             const char    *display_name,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return load_bytes (bytes, display_name, cancellable, error);
}

AvatarImage *
avatar_image_new_from_file (GFile         *file,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return load_file (file, cancellable, error);
}

typedef struct
{
  GFile  *file;
  GBytes *bytes;
  char   *display_name;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_object (&data->file);
  g_clear_pointer (&data->bytes, g_bytes_unref);
  g_clear_pointer (&data->display_name, g_free);
  g_free (data);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *data = task_data;
  g_autoptr(GError) error = NULL;
  AvatarImage *image;

  if (data->file != NULL)
    image = load_file (data->file, cancellable, &error);
  else
    image = load_bytes (data->bytes, data->display_name, cancellable, &error);

  if (image == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, image, g_object_unref);
}

static void
start_load (LoadData            *data,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  /* The worker reports a cancel itself, in the library's words. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, load_thread);
}

static AvatarImage *
finish_load (GAsyncResult  *result,
             gpointer       source_tag,
             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
avatar_image_load_file_async (GFile               *file,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  LoadData *data;

  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  data = g_new0 (LoadData, 1);
  data->file = g_object_ref (file);
  start_load (data, avatar_image_load_file_async, cancellable, callback, user_data);
}

AvatarImage *
avatar_image_load_file_finish (GAsyncResult  *result,
                               GError       **error)
{
  return finish_load (result, avatar_image_load_file_async, error);
}

void
avatar_image_load_bytes_async (GBytes              *bytes,
                               const char          *display_name,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  LoadData *data;

  g_return_if_fail (bytes != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  data = g_new0 (LoadData, 1);
  data->bytes = g_bytes_ref (bytes);
  data->display_name = g_strdup (display_name);
  start_load (data, avatar_image_load_bytes_async, cancellable, callback, user_data);
}

AvatarImage *
avatar_image_load_bytes_finish (GAsyncResult  *result,
                                GError       **error)
{
  return finish_load (result, avatar_image_load_bytes_async, error);
}

/* Getters ------------------------------------------------------------------- */

const char *
avatar_image_get_display_name (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), NULL);
  return self->display_name;
}

const char *
avatar_image_get_source_type (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), NULL);
  return self->type->mime_type;
}

const char *
avatar_image_get_format_name (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), NULL);
  return self->type->name;
}

GBytes *
avatar_image_get_bytes (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), NULL);
  return self->bytes;
}

int
avatar_image_get_width (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), 0);
  return self->width;
}

int
avatar_image_get_height (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), 0);
  return self->height;
}

int
avatar_image_get_orientation (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), 1);
  return self->orientation;
}

gboolean
avatar_image_get_is_animated (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), FALSE);
  return self->is_animated;
}

gboolean
avatar_image_get_has_alpha (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), FALSE);
  return self->has_alpha;
}

gboolean
avatar_image_get_has_metadata (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), FALSE);
  return self->has_metadata;
}

GdkPixbuf *
avatar_image_get_preview (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), NULL);
  return self->preview;
}

double
avatar_image_get_preview_scale (AvatarImage *self)
{
  g_return_val_if_fail (AVATAR_IS_IMAGE (self), 1.0);
  return self->preview_scale;
}

/* Crop ---------------------------------------------------------------------- */

void
avatar_crop_init_default (AvatarCrop *crop,
                          int         width,
                          int         height)
{
  g_return_if_fail (crop != NULL);

  crop->size = MIN (width, height);
  crop->x = (width - crop->size) / 2;
  crop->y = (height - crop->size) / 2;
  crop->turns = 0;
  crop->flip = FALSE;
}

void
avatar_crop_clamp (AvatarCrop *crop,
                   int         width,
                   int         height)
{
  int short_side;

  g_return_if_fail (crop != NULL);

  short_side = MIN (width, height);
  crop->size = CLAMP (crop->size, MIN (AVATAR_IMAGE_MIN_CROP, short_side), short_side);
  crop->x = CLAMP (crop->x, 0, width - crop->size);
  crop->y = CLAMP (crop->y, 0, height - crop->size);
}
