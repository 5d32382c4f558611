/* bench-server-helper.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The server benchmarks' helper, so that each measured run is a process of
 * its own (its peak RSS is its own):
 *
 *   bench-server-helper process FILE CONTENT-TYPE OUTPUT-DIR
 *     runs the devserver's processing once on FILE, as after an upload;
 *   bench-server-helper photo WIDTH HEIGHT SEED OUTPUT.jpg
 *     writes a photo-like JPEG: smooth light, texture and sensor noise, so
 *     that encoders have as much work as with a camera picture. */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "avatar-processor.h"

typedef struct
{
  GMainLoop *loop;
  gboolean   ok;
} Run;

static void
processed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  int width, height;

  run->ok = avatar_processor_process_finish (AVATAR_PROCESSOR (source), result, &width, &height, &error);
  if (!run->ok)
    g_printerr ("%s\n", error->message);
  g_main_loop_quit (run->loop);
}

static int
process (const char *file,
         const char *content_type,
         const char *output_dir)
{
  g_autoptr(AvatarProcessor) processor = avatar_processor_new (1);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Run run = { loop, FALSE };

  avatar_processor_process_async (processor, file, content_type, output_dir, NULL, processed, &run);
  g_main_loop_run (loop);

  return run.ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int
photo (int         width,
       int         height,
       guint32     seed,
       const char *path)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  double phase = g_rand_double_range (rand, 0, 2 * G_PI);

  for (int y = 0; y < height; y++)
    {
      guint8 *row = pixels + (gsize) y * stride;
      double v = (double) y / height;

      for (int x = 0; x < width; x++)
        {
          double u = (double) x / width;
          /* Light across the frame, a texture like foliage or fabric,
           * and a little noise. */
          double light = 0.35 + 0.45 * u * (1.0 - 0.5 * v);
          double texture = 0.12 * sin (x * 0.07 + phase) * cos (y * 0.05) +
                           0.04 * sin ((x + y) * 0.13 + 3 * u);
          double noise = (g_rand_double (rand) - 0.5) * 0.03;
          double base = CLAMP (light + texture + noise, 0.0, 1.0);

          row[3 * x] = (guint8) (255 * CLAMP (base * (0.9 + 0.2 * v), 0.0, 1.0));
          row[3 * x + 1] = (guint8) (255 * base);
          row[3 * x + 2] = (guint8) (255 * CLAMP (base * (1.1 - 0.3 * u), 0.0, 1.0));
        }
    }

  if (!gdk_pixbuf_save (pixbuf, path, "jpeg", &error, "quality", "90", NULL))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  return EXIT_SUCCESS;
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 5 && g_str_equal (argv[1], "process"))
    return process (argv[2], argv[3], argv[4]);
  if (argc == 6 && g_str_equal (argv[1], "photo"))
    return photo (atoi (argv[2]), atoi (argv[3]), (guint32) atoi (argv[4]), argv[5]);

  g_printerr ("Usage: %s process FILE CONTENT-TYPE OUTPUT-DIR\n"
              "       %s photo WIDTH HEIGHT SEED OUTPUT.jpg\n", argv[0], argv[0]);

  return 2;
}
