/* avatar-crop-area.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "avatar-crop-area.h"

/* Distance from the picture to the widget's edges, so that the handles of a
 * crop that touches the picture's edge stay visible and grabbable. */
#define PICTURE_MARGIN 12.0
#define HANDLE_RADIUS 6.0
#define HANDLE_GRAB_RADIUS 14.0
#define N_HANDLES 8

typedef enum
{
  DRAG_NONE = -2,
  DRAG_MOVE = -1,
  /* 0 … N_HANDLES - 1: the handle being dragged */
} DragMode;

/* Where each handle sits on the square, as fractions of its side:
 * the four corners and the four edge midpoints, clockwise from top left. */
static const double handle_fx[N_HANDLES] = { 0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0, 0.0 };
static const double handle_fy[N_HANDLES] = { 0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 0.5 };
static const char *handle_cursors[N_HANDLES] = {
  "nwse-resize", "ns-resize", "nesw-resize", "ew-resize",
  "nwse-resize", "ns-resize", "nesw-resize", "ew-resize",
};

struct _AvatarCropArea
{
  GtkWidget   parent_instance;

  GdkTexture *texture;
  int         source_width;
  int         source_height;
  AvatarCrop  crop;

  int         drag_mode;
  AvatarCrop  drag_start_crop;
  double      drag_start_x;
  double      drag_start_y;
  int         zoom_start_size;
};

G_DEFINE_FINAL_TYPE (AvatarCropArea, avatar_crop_area, GTK_TYPE_WIDGET)

enum {
  CROP_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static int
short_side (AvatarCropArea *self)
{
  return MIN (self->source_width, self->source_height);
}

static void
clamp_crop (AvatarCropArea *self,
            AvatarCrop     *crop)
{
  avatar_crop_clamp (crop, self->source_width, self->source_height);
}

static void
default_crop (AvatarCropArea *self,
              AvatarCrop     *crop)
{
  avatar_crop_init_default (crop, self->source_width, self->source_height);
}

static void
update_accessible_label (AvatarCropArea *self)
{
  g_autofree char *description = avatar_crop_area_dup_description (self);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                  -1);
}

/* Every change of the crop goes through here, already clamped. */
static void
apply_crop (AvatarCropArea   *self,
            const AvatarCrop *crop)
{
  AvatarCrop clamped = *crop;

  clamp_crop (self, &clamped);

  if (clamped.x == self->crop.x && clamped.y == self->crop.y && clamped.size == self->crop.size &&
      clamped.turns == self->crop.turns && clamped.flip == self->crop.flip)
    return;

  self->crop = clamped;
  update_accessible_label (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[CROP_CHANGED], 0);
}

/* The crop resized around its centre, which is what zooming means. */
static void
resize_around_centre (AvatarCropArea   *self,
                      const AvatarCrop *from,
                      int               size)
{
  AvatarCrop crop = *from;
  double cx = from->x + from->size / 2.0;
  double cy = from->y + from->size / 2.0;
  int shortest = short_side (self);

  crop.size = CLAMP (size, MIN (AVATAR_IMAGE_MIN_CROP, shortest), shortest);
  crop.x = (int) lround (cx - crop.size / 2.0);
  crop.y = (int) lround (cy - crop.size / 2.0);
  apply_crop (self, &crop);
}

static gboolean
get_layout (AvatarCropArea *self,
            double         *scale,
            double         *origin_x,
            double         *origin_y)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  double available_width = width - 2 * PICTURE_MARGIN;
  double available_height = height - 2 * PICTURE_MARGIN;

  if (self->texture == NULL || self->source_width <= 0 || self->source_height <= 0 ||
      available_width <= 0 || available_height <= 0)
    return FALSE;

  *scale = MIN (available_width / self->source_width, available_height / self->source_height);
  *origin_x = (width - self->source_width * *scale) / 2.0;
  *origin_y = (height - self->source_height * *scale) / 2.0;

  return TRUE;
}

static void
get_crop_rect (AvatarCropArea  *self,
               double           scale,
               double           origin_x,
               double           origin_y,
               graphene_rect_t *rect)
{
  graphene_rect_init (rect,
                      origin_x + self->crop.x * scale,
                      origin_y + self->crop.y * scale,
                      self->crop.size * scale,
                      self->crop.size * scale);
}

static void
append_circle (GtkSnapshot   *snapshot,
               double         cx,
               double         cy,
               double         radius,
               const GdkRGBA *fill,
               const GdkRGBA *border)
{
  GskRoundedRect circle;
  const float widths[4] = { 1, 1, 1, 1 };
  const GdkRGBA colors[4] = { *border, *border, *border, *border };

  gsk_rounded_rect_init_from_rect (&circle,
                                   &GRAPHENE_RECT_INIT (cx - radius, cy - radius, 2 * radius, 2 * radius),
                                   radius);
  gtk_snapshot_push_rounded_clip (snapshot, &circle);
  gtk_snapshot_append_color (snapshot, fill, &circle.bounds);
  gtk_snapshot_pop (snapshot);
  gtk_snapshot_append_border (snapshot, &circle, widths, colors);
}

static void
avatar_crop_area_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  AvatarCropArea *self = AVATAR_CROP_AREA (widget);
  const GdkRGBA dim = { 0, 0, 0, 0.55f };
  const GdkRGBA guide = { 1, 1, 1, 0.9f };
  const GdkRGBA square = { 1, 1, 1, 0.45f };
  const GdkRGBA handle_border = { 0, 0, 0, 0.4f };
  graphene_rect_t picture;
  graphene_rect_t crop_rect;
  GskRoundedRect circle;
  GskRoundedRect square_outline;
  double scale, origin_x, origin_y;

  if (!get_layout (self, &scale, &origin_x, &origin_y))
    return;

  graphene_rect_init (&picture, origin_x, origin_y,
                      self->source_width * scale, self->source_height * scale);
  gtk_snapshot_append_texture (snapshot, self->texture, &picture);

  get_crop_rect (self, scale, origin_x, origin_y, &crop_rect);

  /* An outset shadow paints only outside its shape: with a spread as large
   * as the picture it darkens everything but the round crop. */
  gsk_rounded_rect_init_from_rect (&circle, &crop_rect, crop_rect.size.width / 2);
  gtk_snapshot_push_clip (snapshot, &picture);
  gtk_snapshot_append_outset_shadow (snapshot, &circle, &dim, 0, 0,
                                     MAX (picture.size.width, picture.size.height) * 2, 0);
  gtk_snapshot_pop (snapshot);

  {
    const float thin[4] = { 1, 1, 1, 1 };
    const float thick[4] = { 2, 2, 2, 2 };
    const GdkRGBA squares[4] = { square, square, square, square };
    const GdkRGBA guides[4] = { guide, guide, guide, guide };

    gsk_rounded_rect_init_from_rect (&square_outline, &crop_rect, 0);
    gtk_snapshot_append_border (snapshot, &square_outline, thin, squares);
    gtk_snapshot_append_border (snapshot, &circle, thick, guides);
  }

  for (guint i = 0; i < N_HANDLES; i++)
    append_circle (snapshot,
                   crop_rect.origin.x + handle_fx[i] * crop_rect.size.width,
                   crop_rect.origin.y + handle_fy[i] * crop_rect.size.height,
                   HANDLE_RADIUS, &guide, &handle_border);
}

static void
avatar_crop_area_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = 200;
  *natural = 420;
}

/* Which part of the crop is under a point in widget coordinates. */
static int
hit_test (AvatarCropArea *self,
          double          x,
          double          y)
{
  graphene_rect_t crop_rect;
  double scale, origin_x, origin_y;

  if (!get_layout (self, &scale, &origin_x, &origin_y))
    return DRAG_NONE;

  get_crop_rect (self, scale, origin_x, origin_y, &crop_rect);

  for (guint i = 0; i < N_HANDLES; i++)
    {
      double hx = crop_rect.origin.x + handle_fx[i] * crop_rect.size.width;
      double hy = crop_rect.origin.y + handle_fy[i] * crop_rect.size.height;

      if (fabs (x - hx) <= HANDLE_GRAB_RADIUS && fabs (y - hy) <= HANDLE_GRAB_RADIUS)
        return (int) i;
    }

  if (graphene_rect_contains_point (&crop_rect, &GRAPHENE_POINT_INIT (x, y)))
    return DRAG_MOVE;

  return DRAG_NONE;
}

/* A handle drag: the opposite side stays where it was, an axis whose handle
 * sits at the middle keeps its centre. */
static void
resize_with_handle (AvatarCropArea *self,
                    int             handle,
                    double          source_x,
                    double          source_y)
{
  const AvatarCrop *start = &self->drag_start_crop;
  const double fractions[2] = { handle_fx[handle], handle_fy[handle] };
  const double pointer[2] = { source_x, source_y };
  const int origins[2] = { start->x, start->y };
  const int extents[2] = { self->source_width, self->source_height };
  int positions[2];
  double wanted = 0;
  int limit = short_side (self);
  int size;

  for (guint axis = 0; axis < 2; axis++)
    {
      if (fractions[axis] == 1.0)
        {
          wanted = MAX (wanted, pointer[axis] - origins[axis]);
          limit = MIN (limit, extents[axis] - origins[axis]);
        }
      else if (fractions[axis] == 0.0)
        {
          int anchor = origins[axis] + start->size;

          wanted = MAX (wanted, anchor - pointer[axis]);
          limit = MIN (limit, anchor);
        }
    }

  size = CLAMP ((int) lround (wanted), MIN (AVATAR_IMAGE_MIN_CROP, short_side (self)), limit);

  for (guint axis = 0; axis < 2; axis++)
    {
      if (fractions[axis] == 1.0)
        positions[axis] = origins[axis];
      else if (fractions[axis] == 0.0)
        positions[axis] = origins[axis] + start->size - size;
      else
        positions[axis] = (int) lround (origins[axis] + start->size / 2.0 - size / 2.0);
    }

  apply_crop (self, &(AvatarCrop) { positions[0], positions[1], size, start->turns, start->flip });
}

static void
drag_begin_cb (AvatarCropArea *self,
               double          x,
               double          y,
               GtkGestureDrag *gesture)
{
  self->drag_mode = hit_test (self, x, y);

  if (self->drag_mode == DRAG_NONE)
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }

  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  self->drag_start_crop = self->crop;
  self->drag_start_x = x;
  self->drag_start_y = y;
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
drag_update_cb (AvatarCropArea *self,
                double          offset_x,
                double          offset_y,
                GtkGestureDrag *gesture)
{
  double scale, origin_x, origin_y;

  if (self->drag_mode == DRAG_NONE || !get_layout (self, &scale, &origin_x, &origin_y))
    return;

  if (self->drag_mode == DRAG_MOVE)
    {
      AvatarCrop crop = self->drag_start_crop;

      crop.x += (int) lround (offset_x / scale);
      crop.y += (int) lround (offset_y / scale);
      apply_crop (self, &crop);
    }
  else
    {
      double source_x = (self->drag_start_x + offset_x - origin_x) / scale;
      double source_y = (self->drag_start_y + offset_y - origin_y) / scale;

      resize_with_handle (self, self->drag_mode, source_x, source_y);
    }
}

static void
drag_end_cb (AvatarCropArea *self,
             double          offset_x,
             double          offset_y,
             GtkGestureDrag *gesture)
{
  self->drag_mode = DRAG_NONE;
}

static void
motion_cb (AvatarCropArea           *self,
           double                    x,
           double                    y,
           GtkEventControllerMotion *controller)
{
  int part = hit_test (self, x, y);

  if (part >= 0)
    gtk_widget_set_cursor_from_name (GTK_WIDGET (self), handle_cursors[part]);
  else if (part == DRAG_MOVE)
    gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "move");
  else
    gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
}

static gboolean
scroll_cb (AvatarCropArea           *self,
           double                    dx,
           double                    dy,
           GtkEventControllerScroll *controller)
{
  if (self->texture == NULL || dy == 0)
    return FALSE;

  /* Scrolling up zooms in, which makes the crop smaller. */
  resize_around_centre (self, &self->crop, (int) lround (self->crop.size * pow (1.1, dy)));

  return TRUE;
}

static void
zoom_begin_cb (AvatarCropArea *self,
               GdkEventSequence *sequence,
               GtkGesture     *gesture)
{
  self->zoom_start_size = self->crop.size;
  self->drag_start_crop = self->crop;
}

static void
zoom_scale_changed_cb (AvatarCropArea *self,
                       double          scale,
                       GtkGestureZoom *gesture)
{
  if (self->texture == NULL || scale <= 0)
    return;

  resize_around_centre (self, &self->drag_start_crop, (int) lround (self->zoom_start_size / scale));
}

static int
keyboard_step (AvatarCropArea  *self,
               GdkModifierType  state)
{
  int step = MAX (1, short_side (self) / 100);

  return (state & GDK_SHIFT_MASK) ? step * 10 : step;
}

static gboolean
key_pressed_cb (AvatarCropArea        *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  AvatarCrop crop = self->crop;
  int step;

  if (self->texture == NULL)
    return FALSE;

  /* Leave Ctrl and Alt combinations to the window's shortcuts. */
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    return FALSE;

  step = keyboard_step (self, state);

  switch (keyval)
    {
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      crop.x -= step;
      break;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      crop.x += step;
      break;
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      crop.y -= step;
      break;
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      crop.y += step;
      break;
    case GDK_KEY_plus:
    case GDK_KEY_equal:
    case GDK_KEY_KP_Add:
      resize_around_centre (self, &self->crop, self->crop.size + MAX (1, self->crop.size / 10));
      return TRUE;
    case GDK_KEY_minus:
    case GDK_KEY_underscore:
    case GDK_KEY_KP_Subtract:
      resize_around_centre (self, &self->crop, self->crop.size - MAX (1, self->crop.size / 10));
      return TRUE;
    case GDK_KEY_Home:
    case GDK_KEY_KP_Home:
      avatar_crop_area_reset (self);
      return TRUE;
    case GDK_KEY_bracketleft:
      avatar_crop_area_turn (self, -1);
      return TRUE;
    case GDK_KEY_bracketright:
      avatar_crop_area_turn (self, 1);
      return TRUE;
    case GDK_KEY_h:
    case GDK_KEY_H:
      avatar_crop_area_flip (self);
      return TRUE;
    default:
      return FALSE;
    }

  apply_crop (self, &crop);

  return TRUE;
}

static void
avatar_crop_area_dispose (GObject *object)
{
  AvatarCropArea *self = AVATAR_CROP_AREA (object);

  g_clear_object (&self->texture);

  G_OBJECT_CLASS (avatar_crop_area_parent_class)->dispose (object);
}

static void
avatar_crop_area_class_init (AvatarCropAreaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = avatar_crop_area_dispose;

  widget_class->snapshot = avatar_crop_area_snapshot;
  widget_class->measure = avatar_crop_area_measure;

  /**
   * AvatarCropArea::crop-changed:
   *
   * The crop moved or changed its size, by the user or by a call.
   */
  signals[CROP_CHANGED] =
    g_signal_new ("crop-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_css_name (widget_class, "avatar-crop-area");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
avatar_crop_area_init (AvatarCropArea *self)
{
  GtkGesture *drag;
  GtkGesture *zoom;
  GtkEventController *scroll;
  GtkEventController *key;
  GtkEventController *motion;

  self->drag_mode = DRAG_NONE;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);

  drag = gtk_gesture_drag_new ();
  g_signal_connect_swapped (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect_swapped (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  g_signal_connect_swapped (drag, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  zoom = gtk_gesture_zoom_new ();
  g_signal_connect_swapped (zoom, "begin", G_CALLBACK (zoom_begin_cb), self);
  g_signal_connect_swapped (zoom, "scale-changed", G_CALLBACK (zoom_scale_changed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (zoom));

  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect_swapped (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);

  key = gtk_event_controller_key_new ();
  g_signal_connect_swapped (key, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);

  motion = gtk_event_controller_motion_new ();
  g_signal_connect_swapped (motion, "motion", G_CALLBACK (motion_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("No picture"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Arrow keys move the crop, Shift with an arrow moves it faster, "
                                    "plus and minus zoom, [ and ] turn it, H flips it, Home resets it."),
                                  -1);
}

GtkWidget *
avatar_crop_area_new (void)
{
  return g_object_new (AVATAR_TYPE_CROP_AREA, NULL);
}

void
avatar_crop_area_set_picture (AvatarCropArea *self,
                              GdkTexture     *texture,
                              int             source_width,
                              int             source_height)
{
  g_return_if_fail (AVATAR_IS_CROP_AREA (self));
  g_return_if_fail (texture == NULL || GDK_IS_TEXTURE (texture));
  g_return_if_fail (texture == NULL || (source_width > 0 && source_height > 0));

  g_set_object (&self->texture, texture);
  self->source_width = texture != NULL ? source_width : 0;
  self->source_height = texture != NULL ? source_height : 0;
  self->drag_mode = DRAG_NONE;

  default_crop (self, &self->crop);
  update_accessible_label (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[CROP_CHANGED], 0);
}

GdkTexture *
avatar_crop_area_get_texture (AvatarCropArea *self)
{
  g_return_val_if_fail (AVATAR_IS_CROP_AREA (self), NULL);

  return self->texture;
}

int
avatar_crop_area_get_source_width (AvatarCropArea *self)
{
  g_return_val_if_fail (AVATAR_IS_CROP_AREA (self), 0);

  return self->source_width;
}

int
avatar_crop_area_get_source_height (AvatarCropArea *self)
{
  g_return_val_if_fail (AVATAR_IS_CROP_AREA (self), 0);

  return self->source_height;
}

void
avatar_crop_area_get_crop (AvatarCropArea *self,
                           AvatarCrop     *crop)
{
  g_return_if_fail (AVATAR_IS_CROP_AREA (self));
  g_return_if_fail (crop != NULL);

  *crop = self->crop;
}

void
avatar_crop_area_set_crop (AvatarCropArea   *self,
                           const AvatarCrop *crop)
{
  g_return_if_fail (AVATAR_IS_CROP_AREA (self));
  g_return_if_fail (crop != NULL);

  if (self->texture == NULL)
    return;

  apply_crop (self, crop);
}

void
avatar_crop_area_reset (AvatarCropArea *self)
{
  AvatarCrop crop;

  g_return_if_fail (AVATAR_IS_CROP_AREA (self));

  if (self->texture == NULL)
    return;

  default_crop (self, &crop);
  apply_crop (self, &crop);
}

/* Turns the square by @quarter_turns clockwise (negative: anticlockwise). */
void
avatar_crop_area_turn (AvatarCropArea *self,
                       int             quarter_turns)
{
  AvatarCrop crop;

  g_return_if_fail (AVATAR_IS_CROP_AREA (self));

  if (self->texture == NULL)
    return;

  crop = self->crop;
  /* Mirrored, a turn to the right shows as a turn to the left. */
  crop.turns = (((crop.turns + (crop.flip ? -quarter_turns : quarter_turns)) % 4) + 4) % 4;
  apply_crop (self, &crop);
}

void
avatar_crop_area_flip (AvatarCropArea *self)
{
  AvatarCrop crop;

  g_return_if_fail (AVATAR_IS_CROP_AREA (self));

  if (self->texture == NULL)
    return;

  crop = self->crop;
  crop.flip = !crop.flip;
  apply_crop (self, &crop);
}

double
avatar_crop_area_get_zoom (AvatarCropArea *self)
{
  g_return_val_if_fail (AVATAR_IS_CROP_AREA (self), 1.0);

  if (self->texture == NULL || self->crop.size <= 0)
    return 1.0;

  return (double) short_side (self) / self->crop.size;
}

double
avatar_crop_area_get_max_zoom (AvatarCropArea *self)
{
  g_return_val_if_fail (AVATAR_IS_CROP_AREA (self), 1.0);

  if (self->texture == NULL)
    return 1.0;

  return (double) short_side (self) / MIN (AVATAR_IMAGE_MIN_CROP, short_side (self));
}

void
avatar_crop_area_set_zoom (AvatarCropArea *self,
                           double          zoom)
{
  g_return_if_fail (AVATAR_IS_CROP_AREA (self));

  if (self->texture == NULL || zoom <= 0)
    return;

  resize_around_centre (self, &self->crop, (int) lround (short_side (self) / zoom));
}

char *
avatar_crop_area_dup_description (AvatarCropArea *self)
{
  g_autofree char *crop = NULL;
  g_autofree char *turned = NULL;

  g_return_val_if_fail (AVATAR_IS_CROP_AREA (self), NULL);

  if (self->texture == NULL)
    return g_strdup (_("No picture"));

  /* Translators: a square crop of a picture, for screen readers: its side,
   * its top left corner, then the picture's size, all in pixels. */
  crop = g_strdup_printf (_("Crop of %d by %d pixels at %d, %d in a picture of %d by %d pixels"),
                          self->crop.size, self->crop.size, self->crop.x, self->crop.y,
                          self->source_width, self->source_height);
  if (self->crop.turns == 0 && !self->crop.flip)
    return g_steal_pointer (&crop);

  /* Translators: how the crop is turned, for screen readers: %d is 90, 180 or 270. */
  turned = g_strdup_printf (_("turned %d degrees clockwise"), self->crop.turns * 90);
  return g_strdup_printf ("%s, %s%s", crop, self->crop.turns != 0 ? turned : "",
                          self->crop.flip ? (self->crop.turns != 0 ? _(", mirrored") : _("mirrored")) : "");
}
