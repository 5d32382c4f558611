/* avatar-image.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

G_BEGIN_DECLS

/* The service's limit for what goes on the wire is 5 MiB; we stay under
 * 5,000,000 bytes so that a decimal "5 MB" promise to the user holds too. */
#define AVATAR_IMAGE_MAX_UPLOAD_BYTES   5000000
/* No picture worth converting is larger than this on disk. */
#define AVATAR_IMAGE_MAX_FILE_BYTES     (256 * 1024 * 1024)
#define AVATAR_IMAGE_MAX_SIDE           16384
#define AVATAR_IMAGE_MAX_PIXELS         100000000
#define AVATAR_IMAGE_MIN_CROP           48
#define AVATAR_IMAGE_PREVIEW_MAX_SIDE   1024

/**
 * AvatarCrop:
 * @x: left edge, in upright source pixels
 * @y: top edge, in upright source pixels
 * @size: side of the square, in upright source pixels
 * @turns: quarter turns clockwise (0 to 3) given to the square
 * @flip: whether the square is then mirrored left to right
 *
 * Turning and flipping apply to the cut square, so they never move it.
 */
typedef struct
{
  int x;
  int y;
  int size;
  int turns;
  gboolean flip;
} AvatarCrop;

/* The crop rules for a picture of @width × @height, for a view that knows
 * only its size: the largest centred square, and a square of at least
 * AVATAR_IMAGE_MIN_CROP (or the short side, when smaller) inside the picture. */
void avatar_crop_init_default (AvatarCrop *crop,
                               int         width,
                               int         height);
void avatar_crop_clamp        (AvatarCrop *crop,
                               int         width,
                               int         height);

/**
 * AvatarPrepareFlags:
 * @AVATAR_PREPARE_NONE: the defaults: location and camera metadata is removed
 * @AVATAR_PREPARE_KEEP_METADATA: let a file that passes through keep its metadata
 */
typedef enum /*< flags >*/
{
  AVATAR_PREPARE_NONE          = 0,
  AVATAR_PREPARE_KEEP_METADATA = 1 << 0,
} AvatarPrepareFlags;

/**
 * AvatarChanges:
 * What preparing did to the picture, and why. Nicks are what
 * `avatar-upload --check` prints.
 */
typedef enum /*< flags >*/
{
  AVATAR_CHANGE_NONE              = 0,
  AVATAR_CHANGE_CONVERTED         = 1 << 0, /*< nick=converted >*/
  AVATAR_CHANGE_CROPPED           = 1 << 1, /*< nick=cropped >*/
  AVATAR_CHANGE_ROTATED           = 1 << 2, /*< nick=rotated >*/
  AVATAR_CHANGE_METADATA_REMOVED  = 1 << 3, /*< nick=metadata-removed >*/
  AVATAR_CHANGE_QUALITY_REDUCED   = 1 << 4, /*< nick=quality-reduced >*/
  AVATAR_CHANGE_DOWNSCALED        = 1 << 5, /*< nick=downscaled >*/
  AVATAR_CHANGE_ANIMATION_REMOVED = 1 << 6, /*< nick=animation-removed >*/
  AVATAR_CHANGE_REENCODED         = 1 << 7, /*< nick=reencoded >*/
  AVATAR_CHANGE_TURNED            = 1 << 8, /*< nick=turned >*/
} AvatarChanges;

/**
 * AvatarPrepared:
 * The bytes to upload and what was done to get them.
 */
typedef struct
{
  GBytes        *bytes;
  char          *content_type;  /* image/jpeg, image/png, image/gif or image/webp */
  int            width;
  int            height;
  gboolean       passthrough;   /* the file's exact bytes */
  AvatarChanges  changes;
} AvatarPrepared;

#define AVATAR_TYPE_PREPARED (avatar_prepared_get_type ())

GType           avatar_prepared_get_type        (void) G_GNUC_CONST;
AvatarPrepared *avatar_prepared_copy            (const AvatarPrepared *prepared);
void            avatar_prepared_free            (AvatarPrepared       *prepared);
/* Returns: (transfer full): translated sentences for people, one per
 * change, in a stable order; empty when nothing was changed. */
GStrv           avatar_prepared_describe_changes (const AvatarPrepared *prepared);
/* A name for people of the type that will be sent, e.g. "JPEG". */
const char     *avatar_prepared_get_format_name  (const AvatarPrepared *prepared);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvatarPrepared, avatar_prepared_free)

#define AVATAR_TYPE_IMAGE (avatar_image_get_type ())

G_DECLARE_FINAL_TYPE (AvatarImage, avatar_image, AVATAR, IMAGE, GObject)

/* Loading reads the header first and refuses decompression bombs before any
 * pixel is allocated; the decode runs in a worker thread. The _finish and
 * new_ functions return (transfer full) the image, or %NULL with @error set
 * (in AVATAR_ERROR). An image does not change once loaded, so it may be
 * used from any thread. */
void          avatar_image_load_file_async    (GFile                *file,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
AvatarImage  *avatar_image_load_file_finish   (GAsyncResult         *result,
                                               GError              **error);
void          avatar_image_load_bytes_async   (GBytes               *bytes,
                                               const char           *display_name,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
AvatarImage  *avatar_image_load_bytes_finish  (GAsyncResult         *result,
                                               GError              **error);
/* Blocking variants, for worker threads, the command line and tests. */
AvatarImage  *avatar_image_new_from_file      (GFile                *file,
                                               GCancellable         *cancellable,
                                               GError              **error);
AvatarImage  *avatar_image_new_from_bytes     (GBytes               *bytes,
                                               const char           *display_name,
                                               GCancellable         *cancellable,
                                               GError              **error);

/* The getters return borrowed (transfer none) values, owned by the image. */
const char   *avatar_image_get_display_name   (AvatarImage          *self);
/* The type sniffed from the bytes, e.g. "image/png"; and a name for people, e.g. "PNG". */
const char   *avatar_image_get_source_type    (AvatarImage          *self);
const char   *avatar_image_get_format_name    (AvatarImage          *self);
GBytes       *avatar_image_get_bytes          (AvatarImage          *self);
/* Upright dimensions, EXIF orientation applied. */
int           avatar_image_get_width          (AvatarImage          *self);
int           avatar_image_get_height         (AvatarImage          *self);
int           avatar_image_get_orientation    (AvatarImage          *self);
gboolean      avatar_image_get_is_animated    (AvatarImage          *self);
gboolean      avatar_image_get_has_alpha      (AvatarImage          *self);
/* EXIF or XMP that may hold location or camera data. */
gboolean      avatar_image_get_has_metadata   (AvatarImage          *self);
/* Upright, at most AVATAR_IMAGE_PREVIEW_MAX_SIDE a side; preview pixels per source pixel. */
GdkPixbuf    *avatar_image_get_preview        (AvatarImage          *self);
double        avatar_image_get_preview_scale  (AvatarImage          *self);

/* Would prepare() with this crop and these flags pass the file's bytes through? */
gboolean      avatar_image_would_pass_through (AvatarImage          *self,
                                               const AvatarCrop     *crop,
                                               AvatarPrepareFlags    flags);

/* Whether prepare() keeps the decoded full-size pixels (width × height × 3
 * or 4 bytes) for the next prepare(), which then only cuts and encodes;
 * %FALSE (the default) lets them go. May be called from any thread. */
void            avatar_image_set_keep_pixels  (AvatarImage          *self,
                                               gboolean              keep_pixels);
/* How many times prepare() decoded the whole picture, for tests and benchmarks. */
guint           avatar_image_get_n_full_decodes (AvatarImage        *self);

/* Cuts, turns and encodes in a worker thread; @crop NULL means the default
 * crop, and any other is clamped first. prepare() and prepare_finish()
 * return (transfer full) what to upload, or %NULL with @error set. */
void            avatar_image_prepare_async    (AvatarImage          *self,
                                               const AvatarCrop     *crop,
                                               AvatarPrepareFlags    flags,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
AvatarPrepared *avatar_image_prepare_finish   (AvatarImage          *self,
                                               GAsyncResult         *result,
                                               GError              **error);
AvatarPrepared *avatar_image_prepare          (AvatarImage          *self,
                                               const AvatarCrop     *crop,
                                               AvatarPrepareFlags    flags,
                                               GCancellable         *cancellable,
                                               GError              **error);

G_END_DECLS
