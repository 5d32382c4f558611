/* avatar-decode.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <webp/decode.h>
#include <webp/demux.h>

#include "avatar-decode.h"
#include "avatar-error.h"
#include "avatar-image.h"
#include "avatar-sniff.h"

/* The decoder is fed in slices so that a cancel is noticed quickly. */
#define DECODE_SLICE_BYTES (64 * 1024)

/* Limits and errors ------------------------------------------------------- */

gboolean
avatar_decode_exceeds_limits (guint64 width,
                              guint64 height)
{
  return width > AVATAR_IMAGE_MAX_SIDE || height > AVATAR_IMAGE_MAX_SIDE ||
         width * height > AVATAR_IMAGE_MAX_PIXELS;
}

void
avatar_decode_set_too_many_pixels_error (GError     **error,
                                         const char  *display_name,
                                         guint32      width,
                                         guint32      height)
{
  g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_TOO_MANY_PIXELS,
               /* TRANSLATORS: a file name, the picture's width and height,
                * then the largest side and the most megapixels allowed */
               _("“%s” is %u × %u pixels, more than can be opened safely. "
                 "Choose a picture of at most %d pixels a side and %d megapixels."),
               display_name, width, height,
               AVATAR_IMAGE_MAX_SIDE, AVATAR_IMAGE_MAX_PIXELS / 1000000);
}

void
avatar_decode_set_corrupt_error (GError     **error,
                                 const char  *display_name)
{
  g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_INVALID_IMAGE,
               _("“%s” is damaged or incomplete, so it cannot be opened. "
                 "Choose another picture, or save it again from the app that made it."),
               display_name);
}

gboolean
avatar_decode_check_cancelled (GCancellable  *cancellable,
                               GError       **error)
{
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_propagate_error (error, avatar_error_new_cancelled ());
      return TRUE;
    }
  return FALSE;
}

/* Orientation --------------------------------------------------------------- */

/* Turns pixels stored with EXIF orientation @orientation upright. */
GdkPixbuf *
avatar_decode_orient (GdkPixbuf *pixbuf,
                      int        orientation)
{
  g_autoptr(GdkPixbuf) turned = NULL;

  switch (orientation)
    {
    case 2:
      return gdk_pixbuf_flip (pixbuf, TRUE);
    case 3:
      return gdk_pixbuf_rotate_simple (pixbuf, GDK_PIXBUF_ROTATE_UPSIDEDOWN);
    case 4:
      return gdk_pixbuf_flip (pixbuf, FALSE);
    case 5:
      turned = gdk_pixbuf_rotate_simple (pixbuf, GDK_PIXBUF_ROTATE_CLOCKWISE);
      return turned ? gdk_pixbuf_flip (turned, TRUE) : NULL;
    case 6:
      return gdk_pixbuf_rotate_simple (pixbuf, GDK_PIXBUF_ROTATE_CLOCKWISE);
    case 7:
      turned = gdk_pixbuf_rotate_simple (pixbuf, GDK_PIXBUF_ROTATE_CLOCKWISE);
      return turned ? gdk_pixbuf_flip (turned, FALSE) : NULL;
    case 8:
      return gdk_pixbuf_rotate_simple (pixbuf, GDK_PIXBUF_ROTATE_COUNTERCLOCKWISE);
    default:
      return gdk_pixbuf_copy (pixbuf);
    }
}

gboolean
avatar_decode_has_transparency (GdkPixbuf *pixbuf)
{
  const guint8 *pixels;
  int width, height, rowstride;

  if (!gdk_pixbuf_get_has_alpha (pixbuf) || gdk_pixbuf_get_n_channels (pixbuf) != 4)
    return FALSE;

  pixels = gdk_pixbuf_read_pixels (pixbuf);
  width = gdk_pixbuf_get_width (pixbuf);
  height = gdk_pixbuf_get_height (pixbuf);
  rowstride = gdk_pixbuf_get_rowstride (pixbuf);

  for (int y = 0; y < height; y++)
    {
      const guint8 *row = pixels + (gsize) y * rowstride;

      for (int x = 0; x < width; x++)
        if (row[x * 4 + 3] != 0xFF)
          return TRUE;
    }

  return FALSE;
}

/* Decoding ------------------------------------------------------------------ */

void
avatar_decode_fit_inside (int *width,
                          int *height,
                          int  fit_side)
{
  double scale;

  if (fit_side <= 0 || MAX (*width, *height) <= fit_side)
    return;

  scale = (double) fit_side / MAX (*width, *height);
  *width = MAX (1, (int) (*width * scale + 0.5));
  *height = MAX (1, (int) (*height * scale + 0.5));
}

typedef struct
{
  int      fit_side;          /* scale to fit this box while decoding; 0 for full size */
  int      declared_width;
  int      declared_height;
  gboolean too_many_pixels;
} DecodeState;

static void
on_size_prepared (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  DecodeState     *state)
{
  state->declared_width = width;
  state->declared_height = height;

  /* A zero size makes the loaders stop before they allocate anything:
   * this is where decompression bombs end. */
  if (width <= 0 || height <= 0 || avatar_decode_exceeds_limits (width, height))
    {
      state->too_many_pixels = width > 0 && height > 0;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }

  avatar_decode_fit_inside (&width, &height, state->fit_side);
  if (width != state->declared_width || height != state->declared_height)
    gdk_pixbuf_loader_set_size (loader, width, height);
}

/* gdk-pixbuf reads its list of loaders on first use; loads in two worker
 * threads at once must not both start that. */
static GSList *
get_pixbuf_formats (void)
{
  static GMutex mutex;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&mutex);

  return gdk_pixbuf_get_formats ();
}

char *
avatar_decode_find_loader (const char *mime_type)
{
  g_autoptr(GSList) formats = get_pixbuf_formats ();
  /* libheif's loader names HEIC pictures by their container. */
  const char *alias = g_str_equal (mime_type, "image/heic") ? "image/heif" : NULL;

  for (GSList *l = formats; l != NULL; l = l->next)
    {
      GdkPixbufFormat *format = l->data;
      g_auto(GStrv) mime_types = NULL;

      if (gdk_pixbuf_format_is_disabled (format))
        continue;

      mime_types = gdk_pixbuf_format_get_mime_types (format);
      if (mime_types == NULL)
        continue;

      if (g_strv_contains ((const char * const *) mime_types, mime_type) ||
          (alias != NULL && g_strv_contains ((const char * const *) mime_types, alias)))
        return gdk_pixbuf_format_get_name (format);
    }

  return NULL;
}

/* WebP is read by libwebp itself, not by a gdk-pixbuf loader: the header
 * is read first (WebPGetFeatures), and an animation goes through
 * WebPDemux, which checks where every frame lies in the canvas before a
 * pixel is decoded. */

/* Decodes one still WebP bitstream into @target, scaled to its size; fed in
 * slices so that a cancel is noticed. */
static VP8StatusCode
decode_webp_into (const guint8  *data,
                  gsize          size,
                  int            width,
                  int            height,
                  GdkPixbuf     *target,
                  GCancellable  *cancellable)
{
  WebPDecoderConfig config;
  WebPIDecoder *idec;
  VP8StatusCode status = VP8_STATUS_SUSPENDED;
  int out_width = gdk_pixbuf_get_width (target);
  int out_height = gdk_pixbuf_get_height (target);

  if (!WebPInitDecoderConfig (&config))
    return VP8_STATUS_INVALID_PARAM;

  config.options.use_scaling = out_width != width || out_height != height;
  config.options.scaled_width = out_width;
  config.options.scaled_height = out_height;
  config.output.colorspace = gdk_pixbuf_get_has_alpha (target) ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = gdk_pixbuf_get_pixels (target);
  config.output.u.RGBA.stride = gdk_pixbuf_get_rowstride (target);
  config.output.u.RGBA.size = gdk_pixbuf_get_byte_length (target);

  idec = WebPIDecode (NULL, 0, &config);
  if (idec == NULL)
    return VP8_STATUS_OUT_OF_MEMORY;

  for (gsize offset = 0; offset < size && status == VP8_STATUS_SUSPENDED; offset += DECODE_SLICE_BYTES)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          status = VP8_STATUS_USER_ABORT;
          break;
        }
      status = WebPIAppend (idec, data + offset, MIN (DECODE_SLICE_BYTES, size - offset));
    }

  WebPIDelete (idec);
  WebPFreeDecBuffer (&config.output);
  return status;
}

/* The first frame, on a transparent canvas of the animation's size. */
static GdkPixbuf *
decode_webp_animation (const guint8  *data,
                       gsize          size,
                       gboolean      *is_animated,
                       GCancellable  *cancellable,
                       VP8StatusCode *status)
{
  WebPData webp_data = { data, size };
  WebPDemuxer *demux = WebPDemux (&webp_data);
  g_autoptr(GdkPixbuf) canvas = NULL;
  g_autoptr(GdkPixbuf) area = NULL;
  WebPIterator iter;

  *status = VP8_STATUS_BITSTREAM_ERROR;
  if (demux == NULL)
    return NULL;

  if (WebPDemuxGetFrame (demux, 1, &iter))
    {
      guint32 canvas_width = WebPDemuxGetI (demux, WEBP_FF_CANVAS_WIDTH);
      guint32 canvas_height = WebPDemuxGetI (demux, WEBP_FF_CANVAS_HEIGHT);

      /* WebPDemux has checked this already; the subpixbuf must not fail. */
      if ((guint64) iter.x_offset + iter.width <= canvas_width &&
          (guint64) iter.y_offset + iter.height <= canvas_height)
        canvas = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, canvas_width, canvas_height);
      *status = canvas != NULL ? VP8_STATUS_OK : VP8_STATUS_OUT_OF_MEMORY;
      if (canvas != NULL)
        {
          gdk_pixbuf_fill (canvas, 0);
          area = gdk_pixbuf_new_subpixbuf (canvas, iter.x_offset, iter.y_offset, iter.width, iter.height);
          *status = decode_webp_into (iter.fragment.bytes, iter.fragment.size,
                                      iter.width, iter.height, area, cancellable);
        }
      *is_animated = iter.num_frames > 1;
      WebPDemuxReleaseIterator (&iter);
    }

  WebPDemuxDelete (demux);
  return *status == VP8_STATUS_OK ? g_steal_pointer (&canvas) : NULL;
}

static GdkPixbuf *
decode_webp (GBytes            *bytes,
             const char        *display_name,
             int                fit_side,
             AvatarDecodeInfo  *info,
             GCancellable      *cancellable,
             GError           **error)
{
  WebPBitstreamFeatures features;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  VP8StatusCode status = VP8_STATUS_BITSTREAM_ERROR;
  const guint8 *data;
  gsize size;
  int width, height;

  data = g_bytes_get_data (bytes, &size);

  if (WebPGetFeatures (data, size, &features) != VP8_STATUS_OK ||
      features.width <= 0 || features.height <= 0)
    {
      avatar_decode_set_corrupt_error (error, display_name);
      return NULL;
    }

  if (avatar_decode_exceeds_limits (features.width, features.height))
    {
      avatar_decode_set_too_many_pixels_error (error, display_name, features.width, features.height);
      return NULL;
    }

  info->is_animated = FALSE;
  if (features.has_animation)
    pixbuf = decode_webp_animation (data, size, &info->is_animated, cancellable, &status);
  else
    {
      width = features.width;
      height = features.height;
      avatar_decode_fit_inside (&width, &height, fit_side);
      pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, features.has_alpha, 8, width, height);
      if (pixbuf != NULL)
        status = decode_webp_into (data, size, features.width, features.height, pixbuf, cancellable);
    }

  if (status == VP8_STATUS_USER_ABORT)
    {
      g_propagate_error (error, avatar_error_new_cancelled ());
      return NULL;
    }
  if (status != VP8_STATUS_OK || pixbuf == NULL)
    {
      g_debug ("Decoding “%s” with libwebp failed: status %d", display_name, status);
      avatar_decode_set_corrupt_error (error, display_name);
      return NULL;
    }

  info->width = features.width;
  info->height = features.height;
  return g_steal_pointer (&pixbuf);
}

/* Writes @bytes to @loader in slices and closes it; %FALSE when the loader
 * failed (with @error set), stopped at the size check or was cancelled
 * (with @error G_IO_ERROR_CANCELLED). */
static gboolean
feed_loader (GdkPixbufLoader  *loader,
             GBytes           *bytes,
             DecodeState      *state,
             GCancellable     *cancellable,
             GError          **error)
{
  const guint8 *data;
  gsize size;

  data = g_bytes_get_data (bytes, &size);

  for (gsize offset = 0; offset < size; offset += DECODE_SLICE_BYTES)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          gdk_pixbuf_loader_close (loader, NULL);
          g_propagate_error (error, avatar_error_new_cancelled ());
          return FALSE;
        }

      /* A failed write closes the loader itself. */
      if (!gdk_pixbuf_loader_write (loader, data + offset, MIN (DECODE_SLICE_BYTES, size - offset), error))
        return FALSE;

      if (state->too_many_pixels)
        {
          gdk_pixbuf_loader_close (loader, NULL);
          return FALSE;
        }
    }

  return gdk_pixbuf_loader_close (loader, error);
}

gboolean
avatar_decode_is_webp (const AvatarSniffedType *type)
{
  return g_str_equal (type->mime_type, "image/webp");
}

/* The one decoder for a source picture: libwebp for WebP, and for the
 * rest the loader of the sniffed type, never one gdk-pixbuf guesses: a PNG
 * named photo.jpg is read as the PNG it is. */
GdkPixbuf *
avatar_decode (GBytes                  *bytes,
               const AvatarSniffedType *type,
               const char              *loader_name,
               const char              *display_name,
               int                      fit_side,
               AvatarDecodeInfo        *info,
               GCancellable            *cancellable,
               GError                 **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local_error = NULL;
  DecodeState state = { .fit_side = fit_side };
  GdkPixbufAnimation *animation;
  GdkPixbuf *pixbuf = NULL;

  if (avatar_decode_is_webp (type))
    return decode_webp (bytes, display_name, fit_side, info, cancellable, error);


  loader = gdk_pixbuf_loader_new_with_type (loader_name, &local_error);
  if (loader == NULL)
    {
      g_debug ("No loader for %s: %s", loader_name, local_error->message);
      g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_UNSUPPORTED_TYPE,
                   _("“%s” cannot be read on this system. Convert it to JPEG or PNG first."),
                   display_name);
      return NULL;
    }

  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &state);

  if (!feed_loader (loader, bytes, &state, cancellable, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  else if (!state.too_many_pixels && state.declared_width > 0 && state.declared_height > 0)
    pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);

  if (state.too_many_pixels)
    {
      avatar_decode_set_too_many_pixels_error (error, display_name,
                                               state.declared_width, state.declared_height);
      return NULL;
    }
  if (pixbuf == NULL)
    {
      g_debug ("Decoding “%s” failed: %s", display_name,
               local_error ? local_error->message : "no picture");
      avatar_decode_set_corrupt_error (error, display_name);
      return NULL;
    }

  animation = gdk_pixbuf_loader_get_animation (loader);
  info->is_animated = animation != NULL && !gdk_pixbuf_animation_is_static_image (animation);
  info->width = state.declared_width;
  info->height = state.declared_height;

  return g_object_ref (pixbuf);
}
