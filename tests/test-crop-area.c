/* test-crop-area.c
 *
 * The crop area on its own: keyboard, pointer, zoom, limits, minimum size,
 * accessible label.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gtk/gtk.h>

#include "avatar-crop-area.h"
#include "avatar-test-broadway.h"

typedef struct
{
  GtkWindow      *window;
  AvatarCropArea *area;
  guint           changes;
} Fixture;

/* A texture of @width × @height in four coloured quadrants. */
static GdkTexture *
quadrant_texture_new (int width,
                      int height)
{
  g_autoptr (GBytes) bytes = NULL;
  guchar *pixels = g_malloc ((gsize) width * height * 3);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guchar *p = pixels + ((gsize) y * width + x) * 3;
        gboolean right = x >= width / 2;
        gboolean bottom = y >= height / 2;

        p[0] = right ? 0xe0 : 0x30;
        p[1] = bottom ? 0xc0 : 0x60;
        p[2] = (right ^ bottom) ? 0xf0 : 0x40;
      }

  bytes = g_bytes_new_take (pixels, (gsize) width * height * 3);

  return gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, bytes, (gsize) width * 3);
}

static void
crop_changed_cb (AvatarCropArea *area,
                 Fixture        *fixture)
{
  fixture->changes++;
}

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  fixture->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (fixture->window, 480, 360);
  fixture->area = AVATAR_CROP_AREA (avatar_crop_area_new ());
  g_signal_connect (fixture->area, "crop-changed", G_CALLBACK (crop_changed_cb), fixture);
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->area));
  gtk_window_present (fixture->window);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  gtk_window_destroy (fixture->window);
}

/* A picture of 1000 × 500 source pixels, shown through a 400 × 200 preview. */
static void
set_wide_picture (Fixture *fixture)
{
  g_autoptr (GdkTexture) texture = quadrant_texture_new (400, 200);

  avatar_crop_area_set_picture (fixture->area, texture, 1000, 500);
}

static void
assert_crop (Fixture *fixture,
             int      x,
             int      y,
             int      size)
{
  AvatarCrop crop;

  avatar_crop_area_get_crop (fixture->area, &crop);
  g_assert_cmpint (crop.x, ==, x);
  g_assert_cmpint (crop.y, ==, y);
  g_assert_cmpint (crop.size, ==, size);
}

static void
press (Fixture         *fixture,
       guint            keyval,
       GdkModifierType  state,
       guint            times)
{
  for (guint i = 0; i < times; i++)
    g_assert_true (avatar_test_ui_press_key (GTK_WIDGET (fixture->area), keyval, state));
}

static void
test_default_crop (Fixture       *fixture,
                   gconstpointer  data)
{
  set_wide_picture (fixture);

  /* The largest centred square. */
  assert_crop (fixture, 250, 0, 500);
  g_assert_cmpuint (fixture->changes, ==, 1);
  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (fixture->area)));

  avatar_test_ui_save_screenshot (GTK_WIDGET (fixture->window), "crop-area");
}

/* A key pressed @times, and where the crop is then. */
typedef struct
{
  guint           keyval;
  GdkModifierType state;
  guint           times;
  int             x, y, size;
} KeyStep;

static void
test_keyboard_moves (Fixture       *fixture,
                     gconstpointer  data)
{
  static const KeyStep steps[] = {
    /* A step is a hundredth of the short side; Shift makes it ten times larger. */
    { GDK_KEY_Left, 0, 1, 245, 0, 500 },
    { GDK_KEY_Right, 0, 3, 260, 0, 500 },
    { GDK_KEY_Left, GDK_SHIFT_MASK, 2, 160, 0, 500 },
    /* The crop fills the height, so it cannot move up or down. */
    { GDK_KEY_Down, 0, 1, 160, 0, 500 },
    { GDK_KEY_minus, 0, 1, 185, 25, 450 },
    { GDK_KEY_Down, GDK_SHIFT_MASK, 1, 185, 50, 450 },
    { GDK_KEY_Up, 0, 2, 185, 40, 450 },
    { GDK_KEY_Home, 0, 1, 250, 0, 500 },
  };

  set_wide_picture (fixture);

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      press (fixture, steps[i].keyval, steps[i].state, steps[i].times);
      assert_crop (fixture, steps[i].x, steps[i].y, steps[i].size);
    }

  /* Keys the crop area does not use are left to others. */
  g_assert_false (avatar_test_ui_press_key (GTK_WIDGET (fixture->area), GDK_KEY_a, 0));
  g_assert_false (avatar_test_ui_press_key (GTK_WIDGET (fixture->area), GDK_KEY_Left, GDK_CONTROL_MASK));
}

static void
test_limits (Fixture       *fixture,
             gconstpointer  data)
{
  set_wide_picture (fixture);

  /* However far it is pushed, the crop stays inside the picture. */
  press (fixture, GDK_KEY_Right, GDK_SHIFT_MASK, 50);
  assert_crop (fixture, 500, 0, 500);
  press (fixture, GDK_KEY_Left, GDK_SHIFT_MASK, 50);
  assert_crop (fixture, 0, 0, 500);

  /* And never grows beyond the short side. */
  press (fixture, GDK_KEY_plus, 0, 5);
  assert_crop (fixture, 0, 0, 500);

  /* A crop set from outside is moved and shrunk into the picture. */
  avatar_crop_area_set_crop (fixture->area, &(AvatarCrop) { -40, 900, 800 });
  assert_crop (fixture, 0, 0, 500);
  avatar_crop_area_set_crop (fixture->area, &(AvatarCrop) { 990, 490, 100 });
  assert_crop (fixture, 900, 400, 100);
}

static void
test_minimum_size (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (GdkTexture) small = quadrant_texture_new (30, 40);
  AvatarCrop crop;

  set_wide_picture (fixture);

  /* Shrinking stops at 48 source pixels. */
  press (fixture, GDK_KEY_minus, 0, 60);
  avatar_crop_area_get_crop (fixture->area, &crop);
  g_assert_cmpint (crop.size, ==, 48);
  g_assert_cmpint (crop.x, >=, 0);
  g_assert_cmpint (crop.x + crop.size, <=, 1000);

  avatar_crop_area_set_crop (fixture->area, &(AvatarCrop) { 10, 10, 5 });
  assert_crop (fixture, 10, 10, 48);

  /* A picture smaller than that has its short side as the only crop size. */
  avatar_crop_area_set_picture (fixture->area, small, 30, 40);
  assert_crop (fixture, 0, 5, 30);
  press (fixture, GDK_KEY_minus, 0, 3);
  assert_crop (fixture, 0, 5, 30);
  press (fixture, GDK_KEY_plus, 0, 3);
  assert_crop (fixture, 0, 5, 30);
}

static GtkGesture *
find_drag_gesture (Fixture *fixture)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (fixture->area));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_DRAG (controller))
        return GTK_GESTURE (controller);
    }

  g_assert_not_reached ();
}

/* The pointer's path, in widget coordinates, as the drag gesture reports it. */
static void
drag (Fixture *fixture,
      double   x,
      double   y,
      double   dx,
      double   dy)
{
  GtkGesture *gesture = find_drag_gesture (fixture);

  g_signal_emit_by_name (gesture, "drag-begin", x, y);
  g_signal_emit_by_name (gesture, "drag-update", dx / 2, dy / 2);
  g_signal_emit_by_name (gesture, "drag-update", dx, dy);
  g_signal_emit_by_name (gesture, "drag-end", dx, dy);
}

static void
assert_crop_near (Fixture *fixture,
                  int      x,
                  int      y,
                  int      size)
{
  AvatarCrop crop;

  avatar_crop_area_get_crop (fixture->area, &crop);
  g_assert_cmpint (ABS (crop.x - x), <=, 2);
  g_assert_cmpint (ABS (crop.y - y), <=, 2);
  g_assert_cmpint (ABS (crop.size - size), <=, 2);
}

static void
test_pointer (Fixture       *fixture,
              gconstpointer  data)
{
  double width, height, scale, origin_x, origin_y;

  set_wide_picture (fixture);
  avatar_test_ui_wait_for_paint (fixture->window);

  /* The picture is fitted inside a 12 pixel margin and centred. */
  width = gtk_widget_get_width (GTK_WIDGET (fixture->area));
  height = gtk_widget_get_height (GTK_WIDGET (fixture->area));
  scale = MIN ((width - 24) / 1000, (height - 24) / 500);
  origin_x = (width - 1000 * scale) / 2;
  origin_y = (height - 500 * scale) / 2;

  /* Dragging inside moves; the crop stops at the picture's edge. */
  drag (fixture, origin_x + 500 * scale, origin_y + 250 * scale, 100 * scale, 80 * scale);
  assert_crop_near (fixture, 350, 0, 500);
  drag (fixture, origin_x + 600 * scale, origin_y + 250 * scale, 900 * scale, 0);
  assert_crop_near (fixture, 500, 0, 500);

  /* The bottom right handle resizes, with the top left corner fixed. */
  drag (fixture, origin_x + 1000 * scale, origin_y + 500 * scale, -200 * scale, -100 * scale);
  assert_crop_near (fixture, 500, 0, 400);

  /* And not below the minimum. */
  drag (fixture, origin_x + 900 * scale, origin_y + 400 * scale, -800 * scale, -800 * scale);
  assert_crop_near (fixture, 500, 0, 48);

  /* A drag outside the crop does nothing. */
  drag (fixture, origin_x + 10 * scale, origin_y + 490 * scale, 50, 50);
  assert_crop_near (fixture, 500, 0, 48);
}

static GtkEventController *
find_controller (Fixture *fixture,
                 GType    type)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (fixture->area));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (controller, type))
        return controller;
    }

  g_assert_not_reached ();
}

/* Zooming keeps the centre where it is: a crop of whole source pixels can
 * only move it by half a pixel a step, which @centre (doubled, to stay in
 * whole numbers) tracks from step to step. */
static void
assert_zoomed (Fixture *fixture,
               int      size,
               int     *centre_x2,
               int     *centre_y2)
{
  AvatarCrop crop;

  avatar_crop_area_get_crop (fixture->area, &crop);
  g_assert_cmpint (crop.size, ==, size);
  g_assert_cmpint (ABS (2 * crop.x + crop.size - *centre_x2), <=, 1);
  g_assert_cmpint (ABS (2 * crop.y + crop.size - *centre_y2), <=, 1);
  *centre_x2 = 2 * crop.x + crop.size;
  *centre_y2 = 2 * crop.y + crop.size;
}

static void
test_zoom (Fixture       *fixture,
           gconstpointer  data)
{
  GtkEventController *scroll;
  GtkEventController *pinch;
  gboolean handled = FALSE;
  int centre_x2 = 1000;
  int centre_y2 = 500;
  AvatarCrop crop;

  set_wide_picture (fixture);
  scroll = find_controller (fixture, GTK_TYPE_EVENT_CONTROLLER_SCROLL);
  pinch = find_controller (fixture, GTK_TYPE_GESTURE_ZOOM);

  /* Scrolling up zooms in: the crop shrinks by a tenth around its centre. */
  g_signal_emit_by_name (scroll, "scroll", 0.0, -1.0, &handled);
  g_assert_true (handled);
  assert_zoomed (fixture, 455, &centre_x2, &centre_y2);
  g_signal_emit_by_name (scroll, "scroll", 0.0, -1.0, &handled);
  assert_zoomed (fixture, 414, &centre_x2, &centre_y2);

  /* Scrolling down zooms out, but never past the picture. */
  g_signal_emit_by_name (scroll, "scroll", 0.0, 1.0, &handled);
  assert_zoomed (fixture, 455, &centre_x2, &centre_y2);
  for (guint i = 0; i < 5; i++)
    g_signal_emit_by_name (scroll, "scroll", 0.0, 1.0, &handled);
  avatar_crop_area_get_crop (fixture->area, &crop);
  g_assert_cmpint (crop.size, ==, 500);
  centre_x2 = 2 * crop.x + crop.size;
  centre_y2 = 500;

  /* Spreading two fingers to twice their distance halves the crop… */
  g_signal_emit_by_name (pinch, "begin", NULL);
  g_signal_emit_by_name (pinch, "scale-changed", 2.0);
  assert_zoomed (fixture, 250, &centre_x2, &centre_y2);
  /* …and pinching far in stops at the minimum. */
  g_signal_emit_by_name (pinch, "scale-changed", 100.0);
  assert_zoomed (fixture, 48, &centre_x2, &centre_y2);
}

static void
test_accessible_label (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *empty = NULL;
  g_autofree char *initial = NULL;
  g_autofree char *moved = NULL;

  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (fixture->area)), ==,
                   GTK_ACCESSIBLE_ROLE_IMG);

  empty = avatar_crop_area_dup_description (fixture->area);
  g_assert_cmpstr (empty, ==, "No picture");

  set_wide_picture (fixture);
  initial = avatar_crop_area_dup_description (fixture->area);
  g_assert_cmpstr (initial, ==, "Crop of 500 by 500 pixels at 250, 0 in a picture of 1000 by 500 pixels");

  press (fixture, GDK_KEY_minus, 0, 1);
  press (fixture, GDK_KEY_Right, 0, 1);
  moved = avatar_crop_area_dup_description (fixture->area);
  g_assert_cmpstr (moved, ==, "Crop of 450 by 450 pixels at 280, 25 in a picture of 1000 by 500 pixels");
}

int
main (int   argc,
      char *argv[])
{
  avatar_test_ui_init (&argc, &argv);

  g_test_add ("/crop-area/default", Fixture, NULL, setup, test_default_crop, teardown);
  g_test_add ("/crop-area/keyboard", Fixture, NULL, setup, test_keyboard_moves, teardown);
  g_test_add ("/crop-area/limits", Fixture, NULL, setup, test_limits, teardown);
  g_test_add ("/crop-area/minimum-size", Fixture, NULL, setup, test_minimum_size, teardown);
  g_test_add ("/crop-area/pointer", Fixture, NULL, setup, test_pointer, teardown);
  g_test_add ("/crop-area/zoom", Fixture, NULL, setup, test_zoom, teardown);
  g_test_add ("/crop-area/accessible-label", Fixture, NULL, setup, test_accessible_label, teardown);

  return g_test_run ();
}
