/* avatar-test-broadway.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "avatar-test-broadway.h"

gboolean
avatar_test_ui_wait_until (gboolean  (*cond) (gpointer data),
                           gpointer    data,
                           guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      /* Non-blocking, so the deadline is checked even when nothing happens. */
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }

  return TRUE;
}

typedef struct
{
  GtkWindow *window;
  guint      paints;
  guint      paints_at_start;
} PaintWait;

static void
after_paint_cb (GdkFrameClock *clock,
                PaintWait     *wait)
{
  wait->paints++;
  /* A window at rest paints once per request: ask for the next frame. */
  if (wait->paints < wait->paints_at_start + 2)
    gtk_widget_queue_draw (GTK_WIDGET (wait->window));
}

static gboolean
is_painted (gpointer data)
{
  PaintWait *wait = data;

  return gtk_widget_get_mapped (GTK_WIDGET (wait->window)) &&
         gtk_widget_get_width (GTK_WIDGET (wait->window)) > 0 &&
         wait->paints >= wait->paints_at_start + 2;
}

static gboolean
is_realized (gpointer data)
{
  return gtk_widget_get_realized (GTK_WIDGET (data)) && gtk_widget_get_mapped (GTK_WIDGET (data));
}

void
avatar_test_ui_wait_for_paint (GtkWindow *window)
{
  PaintWait wait = { window, 0, 0 };
  GdkFrameClock *clock;
  gulong handler;

  g_assert_true (avatar_test_ui_wait_until (is_realized, window, 20000));

  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &wait);
  gtk_widget_queue_draw (GTK_WIDGET (window));
  gtk_widget_queue_resize (GTK_WIDGET (window));
  g_assert_true (avatar_test_ui_wait_until (is_painted, &wait, 20000));
  g_signal_handler_disconnect (clock, handler);
}

void
avatar_test_ui_save_screenshot (GtkWidget  *widget,
                                const char *name)
{
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  int width, height;

  avatar_test_ui_wait_for_paint (GTK_WINDOW (gtk_widget_get_root (widget)));

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));

  dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".",
                          "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  file_name = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);
}

gboolean
avatar_test_ui_press_key (GtkWidget       *widget,
                          guint            keyval,
                          GdkModifierType  state)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !handled; i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
    }

  return handled;
}
