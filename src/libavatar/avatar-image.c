/* avatar-image.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <webp/decode.h>
#include <webp/demux.h>

#include "avatar-error.h"
#include "avatar-image.h"
#include "avatar-metadata.h"
#include "avatar-sniff.h"

/* A bigger file is not a picture anyone means to use as an avatar, and
 * reading it whole would only fill the memory. */

/* The decoder is fed in slices so that a cancel is noticed quickly. */
#define DECODE_SLICE_BYTES (64 * 1024)

#define FIRST_JPEG_QUALITY 90
#define DOWNSCALE_JPEG_QUALITY 80

/* The picture is kept as its file's bytes; its decoded full-size pixels
 * only when asked (avatar_image_set_keep_pixels), as the window does while
 * the picture is open, so that a new crop is only cut out and encoded.
 * Otherwise prepare() decodes in its worker thread and lets the full-size
 * pixels go as soon as the square is encoded. */
struct _AvatarImage
{
  GObject                  parent_instance;

  char                    *display_name;
  GBytes                  *bytes;
  const AvatarSniffedType *type;
  char                    *loader_name;

  /* As stored in the file, before the orientation is applied. */
  int                      stored_width;
  int                      stored_height;

  /* Upright. */
  int                      width;
  int                      height;

  /* The orientation the file records, and the turn that is still to be
   * applied to what the decoder gives: they differ for TIFF, where libtiff
   * does part of the work itself. */
  int                      orientation;
  int                      transform;

  gboolean                 is_animated;
  gboolean                 has_alpha;
  gboolean                 has_metadata;

  GdkPixbuf               *preview;
  double                   preview_scale;

  /* Shared by the prepare() threads. */
  GMutex                   pixels_lock;
  gboolean                 keep_pixels;
  GdkPixbuf               *pixels;
  guint                    n_full_decodes;
};

G_DEFINE_FINAL_TYPE (AvatarImage, avatar_image, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (AvatarPrepared, avatar_prepared, avatar_prepared_copy, avatar_prepared_free)

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

/* Errors ------------------------------------------------------------------ */

static gboolean
exceeds_pixel_limits (guint64 width,
                      guint64 height)
{
  return width > AVATAR_IMAGE_MAX_SIDE || height > AVATAR_IMAGE_MAX_SIDE ||
         width * height > AVATAR_IMAGE_MAX_PIXELS;
}

static void
set_too_many_pixels_error (GError     **error,
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

static void
set_corrupt_error (GError     **error,
                   const char  *display_name)
{
  g_set_error (error, AVATAR_ERROR, AVATAR_ERROR_INVALID_IMAGE,
               _("“%s” is damaged or incomplete, so it cannot be opened. "
                 "Choose another picture, or save it again from the app that made it."),
               display_name);
}

static void
set_cancelled_error (GError **error)
{
  g_propagate_error (error, avatar_error_new_cancelled ());
}

static gboolean
check_cancelled (GCancellable  *cancellable,
                 GError       **error)
{
  if (g_cancellable_is_cancelled (cancellable))
    {
      set_cancelled_error (error);
      return TRUE;
    }
  return FALSE;
}

/* Orientation --------------------------------------------------------------- */

/* Turns pixels stored with EXIF orientation @orientation upright. */
static GdkPixbuf *
orient_pixbuf (GdkPixbuf *pixbuf,
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
has_transparent_pixels (GdkPixbuf *pixbuf)
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
  if (width <= 0 || height <= 0 || exceeds_pixel_limits (width, height))
    {
      state->too_many_pixels = width > 0 && height > 0;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }

  if (state->fit_side > 0 && MAX (width, height) > state->fit_side)
    {
      double scale = (double) state->fit_side / MAX (width, height);

      gdk_pixbuf_loader_set_size (loader,
                                  MAX (1, (int) (width * scale + 0.5)),
                                  MAX (1, (int) (height * scale + 0.5)));
    }
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

static char *
find_loader_name (const char *mime_type)
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

static void
fit_inside (int *width,
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
decode_webp (GBytes        *bytes,
             const char    *display_name,
             int            fit_side,
             gboolean      *is_animated,
             int           *declared_width,
             int           *declared_height,
             GCancellable  *cancellable,
             GError       **error)
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
      set_corrupt_error (error, display_name);
      return NULL;
    }

  if (exceeds_pixel_limits (features.width, features.height))
    {
      set_too_many_pixels_error (error, display_name, features.width, features.height);
      return NULL;
    }

  *is_animated = FALSE;
  if (features.has_animation)
    pixbuf = decode_webp_animation (data, size, is_animated, cancellable, &status);
  else
    {
      width = features.width;
      height = features.height;
      fit_inside (&width, &height, fit_side);
      pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, features.has_alpha, 8, width, height);
      if (pixbuf != NULL)
        status = decode_webp_into (data, size, features.width, features.height, pixbuf, cancellable);
    }

  if (status == VP8_STATUS_USER_ABORT)
    {
      set_cancelled_error (error);
      return NULL;
    }
  if (status != VP8_STATUS_OK || pixbuf == NULL)
    {
      g_debug ("Decoding “%s” with libwebp failed: status %d", display_name, status);
      set_corrupt_error (error, display_name);
      return NULL;
    }

  *declared_width = features.width;
  *declared_height = features.height;
  return g_steal_pointer (&pixbuf);
}

/* Decodes @bytes with the loader for the sniffed type, never letting
 * gdk-pixbuf guess: a PNG named photo.jpg is read as the PNG it is. */
static GdkPixbuf *
decode_pixbuf (GBytes        *bytes,
               const char    *loader_name,
               const char    *display_name,
               int            fit_side,
               gboolean      *is_animated,
               int           *declared_width,
               int           *declared_height,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local_error = NULL;
  DecodeState state = { .fit_side = fit_side };
  GdkPixbufAnimation *animation;
  GdkPixbuf *pixbuf;
  const guint8 *data;
  gsize size;
  gsize offset = 0;

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

  data = g_bytes_get_data (bytes, &size);

  while (offset < size)
    {
      gsize n = MIN (DECODE_SLICE_BYTES, size - offset);

      if (g_cancellable_is_cancelled (cancellable))
        {
          gdk_pixbuf_loader_close (loader, NULL);
          set_cancelled_error (error);
          return NULL;
        }

      /* A failed write closes the loader itself. */
      if (!gdk_pixbuf_loader_write (loader, data + offset, n, &local_error))
        goto failed;

      if (state.too_many_pixels)
        {
          gdk_pixbuf_loader_close (loader, NULL);
          goto failed;
        }

      offset += n;
    }

  if (!gdk_pixbuf_loader_close (loader, &local_error))
    goto failed;

  if (state.too_many_pixels || state.declared_width <= 0 || state.declared_height <= 0)
    goto failed;

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    goto failed;

  animation = gdk_pixbuf_loader_get_animation (loader);
  *is_animated = animation != NULL && !gdk_pixbuf_animation_is_static_image (animation);
  *declared_width = state.declared_width;
  *declared_height = state.declared_height;

  return g_object_ref (pixbuf);

failed:
  if (state.too_many_pixels)
    {
      set_too_many_pixels_error (error, display_name,
                                 state.declared_width, state.declared_height);
      return NULL;
    }

  g_debug ("Decoding “%s” failed: %s", display_name,
           local_error ? local_error->message : "no picture");
  set_corrupt_error (error, display_name);
  return NULL;
}

static gboolean
is_webp (const AvatarSniffedType *type)
{
  return g_str_equal (type->mime_type, "image/webp");
}

/* The one decoder for a source picture: libwebp for WebP, the sniffed
 * type's gdk-pixbuf loader for the rest. */
static GdkPixbuf *
decode_source (AvatarImage   *self,
               int            fit_side,
               gboolean      *is_animated,
               int           *declared_width,
               int           *declared_height,
               GCancellable  *cancellable,
               GError       **error)
{
  if (is_webp (self->type))
    return decode_webp (self->bytes, self->display_name, fit_side, is_animated,
                        declared_width, declared_height, cancellable, error);

  return decode_pixbuf (self->bytes, self->loader_name, self->display_name, fit_side,
                        is_animated, declared_width, declared_height, cancellable, error);
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
      if (exceeds_pixel_limits (width, height))
        {
          set_too_many_pixels_error (error, self->display_name, width, height);
          return FALSE;
        }
      /* Some loaders stumble over an empty picture instead of refusing it. */
      if (width == 0 || height == 0)
        {
          set_corrupt_error (error, self->display_name);
          return FALSE;
        }
    }

  avatar_metadata_scan (&meta, self->type->mime_type, data, size);

  if (meta.is_truncated || meta.is_malformed)
    {
      set_corrupt_error (error, self->display_name);
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
  double scale = (double) side / MAX (width, height);

  return gdk_pixbuf_scale_simple (pixbuf,
                                  MAX (1, (int) (width * scale + 0.5)),
                                  MAX (1, (int) (height * scale + 0.5)),
                                  GDK_INTERP_BILINEAR);
}

static gboolean
make_preview (AvatarImage   *self,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GdkPixbuf) decoded = NULL;
  gboolean animated = FALSE;
  gboolean ours = orientation_is_ours (self->type);

  /* Scaling while decoding is much cheaper (a JPEG decodes at 1/8 size
   * directly), but the scaled copy loses the loader's options, which the
   * other formats need for their orientation. */
  decoded = decode_source (self, ours ? AVATAR_IMAGE_PREVIEW_MAX_SIDE : 0, &animated,
                           &self->stored_width, &self->stored_height,
                           cancellable, error);
  if (decoded == NULL)
    return FALSE;

  self->is_animated |= animated;

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
          set_too_many_pixels_error (error, self->display_name,
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

  self->preview = orient_pixbuf (decoded, self->transform);
  if (self->preview == NULL)
    {
      set_too_many_pixels_error (error, self->display_name, self->width, self->height);
      return FALSE;
    }

  self->preview_scale = (double) gdk_pixbuf_get_width (self->preview) / self->width;
  self->has_alpha = has_transparent_pixels (self->preview);

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

  if (check_cancelled (cancellable, error))
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
  if (!is_webp (self->type))
    self->loader_name = find_loader_name (self->type->mime_type);
  if (self->loader_name == NULL && !is_webp (self->type))
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
    set_cancelled_error (error);
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
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == avatar_image_load_file_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
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
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == avatar_image_load_bytes_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
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
      set_corrupt_error (error, self->display_name);
      return NULL;
    }

  rect = stored_rect_for_crop (crop, self->transform, self->stored_width, self->stored_height);
  g_assert (rect.x >= 0 && rect.y >= 0 &&
            rect.x + rect.size <= self->stored_width &&
            rect.y + rect.size <= self->stored_height);

  region = gdk_pixbuf_new_subpixbuf (stored, rect.x, rect.y, rect.size, rect.size);
  if (self->transform == 1)
    return g_steal_pointer (&region);

  square = orient_pixbuf (region, self->transform);
  if (square == NULL)
    set_too_many_pixels_error (error, self->display_name, self->width, self->height);

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
      if (check_cancelled (cancellable, error))
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

      if (check_cancelled (cancellable, error))
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
  gboolean animated = FALSE;
  int declared_width, declared_height;
  GdkPixbuf *stored;

  if (self->pixels != NULL)
    return g_object_ref (self->pixels);

  stored = decode_source (self, 0, &animated, &declared_width, &declared_height,
                          cancellable, error);
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

  if (check_cancelled (cancellable, error))
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
          set_too_many_pixels_error (error, self->display_name, self->width, self->height);
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

  return encode_to_fit (square, has_transparent_pixels (square), changes,
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
