/* bench-photo.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writes a photo-like JPEG for the benchmarks: smooth colour fields, a few
 * shapes with hard edges and a little sensor noise, the same for the same
 * seed. Usage: bench-photo WIDTH HEIGHT SEED OUT.jpg [SQUARE.jpg]; SQUARE.jpg
 * gets the largest centred square of the same pixels, as a client that
 * crops would send it.
 */

#include <math.h>
#include <stdlib.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#define N_WAVES  6
#define N_SHAPES 24

typedef struct
{
  double fx, fy, phase, amplitude;
} Wave;

typedef struct
{
  double cx, cy, radius;
  guint8 rgb[3];
} Shape;

static double
field (const Wave *waves,
       double      x,
       double      y)
{
  double value = 0;

  for (guint i = 0; i < N_WAVES; i++)
    value += waves[i].amplitude * sin (waves[i].fx * x + waves[i].fy * y + waves[i].phase);

  return value;
}

static const Shape *
shape_at (const Shape *shapes,
          double       x,
          double       y)
{
  for (guint i = 0; i < N_SHAPES; i++)
    if (hypot (x - shapes[i].cx, y - shapes[i].cy) < shapes[i].radius)
      return &shapes[i];

  return NULL;
}

static void
paint (GdkPixbuf   *pixbuf,
       const Wave   waves[3][N_WAVES],
       const Shape *shapes,
       GRand       *rand)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        double u = (double) x / width, v = (double) y / height;
        const Shape *shape = shape_at (shapes, u, v);
        guint8 *p = pixels + (gsize) y * stride + (gsize) x * 3;

        for (int c = 0; c < 3; c++)
          {
            double base = shape ? shape->rgb[c] : 128 + field (waves[c], u, v);
            double noisy = base + g_rand_double_range (rand, -6, 6);

            p[c] = (guint8) CLAMP (noisy, 0, 255);
          }
      }
}

static gboolean
save (GdkPixbuf  *pixbuf,
      const char *path)
{
  g_autoptr(GError) error = NULL;

  if (gdk_pixbuf_save (pixbuf, path, "jpeg", &error, "quality", "90", NULL))
    return TRUE;

  g_printerr ("%s\n", error->message);
  return FALSE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GRand) rand = NULL;
  Wave waves[3][N_WAVES];
  Shape shapes[N_SHAPES];

  if (argc != 5 && argc != 6)
    {
      g_printerr ("Usage: %s WIDTH HEIGHT SEED OUT.jpg [SQUARE.jpg]\n", argv[0]);
      return 1;
    }

  rand = g_rand_new_with_seed ((guint32) atoi (argv[3]));
  for (int c = 0; c < 3; c++)
    for (guint i = 0; i < N_WAVES; i++)
      waves[c][i] = (Wave) { g_rand_double_range (rand, 1, 12), g_rand_double_range (rand, 1, 12),
                             g_rand_double_range (rand, 0, 2 * G_PI), g_rand_double_range (rand, 5, 25) };
  for (guint i = 0; i < N_SHAPES; i++)
    shapes[i] = (Shape) { g_rand_double (rand), g_rand_double (rand), g_rand_double_range (rand, 0.01, 0.08),
                          { g_rand_int_range (rand, 0, 256), g_rand_int_range (rand, 0, 256),
                            g_rand_int_range (rand, 0, 256) } };

  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, atoi (argv[1]), atoi (argv[2]));
  if (pixbuf == NULL)
    return 1;

  paint (pixbuf, (const Wave (*)[N_WAVES]) waves, shapes, rand);

  if (!save (pixbuf, argv[4]))
    return 1;

  if (argc == 6)
    {
      int width = gdk_pixbuf_get_width (pixbuf), height = gdk_pixbuf_get_height (pixbuf);
      int side = MIN (width, height);
      g_autoptr(GdkPixbuf) square = gdk_pixbuf_new_subpixbuf (pixbuf, (width - side) / 2,
                                                              (height - side) / 2, side, side);

      if (!save (square, argv[5]))
        return 1;
    }

  return 0;
}
