/* avatar-test-images.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pictures made in memory for the tests, so that no binary files live in
 * the source tree. avatar-test-images.c draws the pattern and the noise and
 * reads pictures back; avatar-test-formats.c writes them as files.
 */

#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "avatar-image.h"

G_BEGIN_DECLS

/* The test pattern is a grid of cells, each of its own colour, so that
 * any turn or flip of it is visible in the pixels. */
#define AVATAR_TEST_PATTERN_COLUMNS 3
#define AVATAR_TEST_PATTERN_ROWS    2

guint32    avatar_test_pattern_color        (int           row,
                                             int           column);
GdkPixbuf *avatar_test_pattern_new          (int           width,
                                             int           height,
                                             gboolean      with_alpha);
/* TRUE when the cell at (@row, @column) of @pixbuf has its pattern colour,
 * within a tolerance for lossy formats. */
gboolean   avatar_test_pattern_cell_matches (GdkPixbuf    *pixbuf,
                                             int           row,
                                             int           column);
gboolean   avatar_test_color_near           (GdkPixbuf    *pixbuf,
                                             int           x,
                                             int           y,
                                             guint32       rgb,
                                             int           tolerance);

/* Encodes with gdk-pixbuf: "jpeg" (quality 95), "png", "webp", "bmp",
 * "tiff"; "gif" is written by hand, since gdk-pixbuf cannot write GIF. */
GBytes    *avatar_test_encode               (GdkPixbuf    *pixbuf,
                                             const char   *format);
/* The test pattern of @width × @height in @format. */
GBytes    *avatar_test_image_new            (const char   *format,
                                             int           width,
                                             int           height);
/* A looping GIF whose frames show the pattern in shifted colours. */
GBytes    *avatar_test_animated_gif_new     (int           width,
                                             int           height,
                                             guint         n_frames);
/* A still GIF carrying an XMP application extension. */
GBytes    *avatar_test_gif_with_xmp_new     (int           width,
                                             int           height);

/* The stored pixels that a viewer shows as @upright once it applies EXIF
 * orientation @orientation (1-8). */
GdkPixbuf *avatar_test_unorient             (GdkPixbuf    *upright,
                                             int           orientation);
/* A TIFF-structured EXIF block: the orientation tag when @orientation is
 * 1-8 (none for 0) and, with @with_gps, a camera make and a GPS position. */
GBytes    *avatar_test_exif_new             (int           orientation,
                                             gboolean      with_gps);
/* @jpeg with @exif in an APP1 segment right after SOI. */
GBytes    *avatar_test_jpeg_insert_exif     (GBytes       *jpeg,
                                             GBytes       *exif);
/* A JPEG of @stored with an EXIF APP1 segment right after SOI. */
GBytes    *avatar_test_jpeg_with_exif_new   (GdkPixbuf    *stored,
                                             int           orientation,
                                             gboolean      with_gps);
/* A TIFF of @stored recording EXIF orientation @orientation. */
GBytes    *avatar_test_tiff_with_orientation_new (GdkPixbuf *stored,
                                                  int        orientation);
/* A WebP of @pixbuf in the extended format, with an EXIF chunk. */
GBytes    *avatar_test_webp_with_exif_new   (GdkPixbuf    *pixbuf,
                                             int           orientation,
                                             gboolean      with_gps);
/* An animated WebP of @n_frames one-colour frames: red, green, blue, red… */
GBytes    *avatar_test_animated_webp_new    (int           side,
                                             guint         n_frames);
/* A copy of @animation with the height field of frame @frame (from 1) set. */
GBytes    *avatar_test_webp_damage_frame_height (GBytes   *animation,
                                                 guint     frame,
                                                 guint32   height_minus_one);
/* @png with one more chunk right after IHDR. */
GBytes    *avatar_test_png_insert_chunk     (GBytes       *png,
                                             const char   *type,
                                             const void   *data,
                                             gsize         size);
/* A tiny PNG whose header declares @width × @height. */
GBytes    *avatar_test_png_declaring_size   (guint32       width,
                                             guint32       height);
/* A square PNG of random pixels; with @pad_to > 0, padded with a private
 * chunk to exactly that many bytes. */
GBytes    *avatar_test_noise_png_new        (int           side,
                                             gboolean      with_alpha,
                                             gsize         pad_to);
GdkPixbuf *avatar_test_noise_pixbuf_new     (int           side,
                                             gboolean      with_alpha);

GBytes    *avatar_test_truncate             (GBytes       *bytes,
                                             gsize         size);
gboolean   avatar_test_bytes_contain        (GBytes       *bytes,
                                             const void   *needle,
                                             gsize         needle_size);
/* Decodes @bytes with gdk-pixbuf, failing the test if that fails. */
GdkPixbuf *avatar_test_decode               (GBytes       *bytes);

/* Loads @bytes, and prepares @image, failing the test if that fails; a
 * prepared picture must be a square within the upload limit. */
AvatarImage    *avatar_test_load            (GBytes             *bytes,
                                             const char         *name);
AvatarPrepared *avatar_test_prepare         (AvatarImage        *image,
                                             const AvatarCrop   *crop,
                                             AvatarPrepareFlags  flags);
/* Decodes @prepared, failing the test unless it is the square it claims
 * to be, in the type it claims to have. */
GdkPixbuf      *avatar_test_decode_prepared (AvatarPrepared     *prepared);
/* @png with @exif in an eXIf chunk. */
GBytes         *avatar_test_png_with_exif   (GBytes             *png,
                                             GBytes             *exif);
/* Writes @bytes to @path, failing the test if that fails. */
void            avatar_test_write_file      (const char         *path,
                                             GBytes             *bytes);

G_END_DECLS
