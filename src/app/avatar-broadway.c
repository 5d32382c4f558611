/* avatar-broadway.c
 *
 * A workaround for GTK's pointer grabs under Broadway.
 *
 * When a button goes down, GTK gives the widget under the pointer an
 * implicit grab and ends it on the release, whose modifier state X11 and
 * Wayland report from just before the release, with the button still down.
 * Broadway's web page (gtk4-broadwayd's broadway.js, onMouseUp) sends the
 * state from just after it, without the button, and GTK 4.8 then keeps the
 * grab: the widget pressed last goes on taking every press and motion in the
 * window until the pointer leaves it. After a drag on the zoom slider, the
 * slider jumps to every later click; after a click on a button, clicks
 * anywhere else go to that button and do nothing. GTK drops a widget's
 * implicit grab when the widget's state changes, so after such a release the
 * widget that was pressed is made insensitive and sensitive again, before
 * the next event is handled. Nothing else sends a release without its
 * button, so X11 and Wayland sessions are left alone.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "avatar-broadway.h"

#ifdef GDK_WINDOWING_BROADWAY

#include <gdk/broadway/gdkbroadway.h>

#define BUTTONS_MASK (GDK_BUTTON1_MASK | GDK_BUTTON2_MASK | GDK_BUTTON3_MASK | \
                      GDK_BUTTON4_MASK | GDK_BUTTON5_MASK)

/* The widget the last press went to, in one window. */
typedef struct
{
  GWeakRef pressed;
} Grab;

static void
grab_free (gpointer  data,
           GClosure *closure)
{
  Grab *grab = data;

  g_weak_ref_clear (&grab->pressed);
  g_free (grab);
}

static gboolean
end_grab (gpointer data)
{
  GtkWidget *widget = data;
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr (GtkWidget) focus = NULL;

  if (root == NULL || !gtk_widget_get_sensitive (widget))
    return G_SOURCE_REMOVE;

  /* Insensitive for a moment, with no frame drawn in between; the focus
   * leaves an insensitive widget, so it is given back. */
  if (gtk_root_get_focus (root) != NULL)
    focus = g_object_ref (gtk_root_get_focus (root));
  gtk_widget_set_sensitive (widget, FALSE);
  gtk_widget_set_sensitive (widget, TRUE);
  if (focus != NULL && gtk_root_get_focus (root) != focus)
    gtk_widget_grab_focus (focus);

  return G_SOURCE_REMOVE;
}

static gboolean
event_cb (GtkEventControllerLegacy *controller,
          GdkEvent                 *event,
          Grab                     *grab)
{
  GtkWidget *window = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  GdkEventType type = gdk_event_get_event_type (event);
  double x, y, surface_x, surface_y;

  /* Popovers have grabs of their own. */
  if (gdk_event_get_surface (event) != gtk_native_get_surface (GTK_NATIVE (window)))
    return GDK_EVENT_PROPAGATE;

  if (type == GDK_BUTTON_PRESS && gdk_event_get_position (event, &x, &y))
    {
      /* The widget GTK gives the press to, as GTK picks it. */
      gtk_native_get_surface_transform (GTK_NATIVE (window), &surface_x, &surface_y);
      g_weak_ref_set (&grab->pressed,
                      gtk_widget_pick (window, x - surface_x, y - surface_y, GTK_PICK_DEFAULT));
    }
  else if (type == GDK_BUTTON_RELEASE &&
           (gdk_event_get_modifier_state (event) & BUTTONS_MASK) == 0)
    {
      GtkWidget *pressed = g_weak_ref_get (&grab->pressed);

      /* After the release has reached the widget, before the next event. */
      if (pressed != NULL)
        g_idle_add_full (G_PRIORITY_HIGH, end_grab, pressed, g_object_unref);
    }

  return GDK_EVENT_PROPAGATE;
}

#endif

void
avatar_broadway_release_grabs (GtkWindow *window)
{
#ifdef GDK_WINDOWING_BROADWAY
  GtkEventController *controller;

  g_return_if_fail (GTK_IS_WINDOW (window));

  if (!GDK_IS_BROADWAY_DISPLAY (gtk_widget_get_display (GTK_WIDGET (window))))
    return;

  controller = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_name (controller, "avatar-broadway-release-grabs");
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_data (controller, "event", G_CALLBACK (event_cb), g_new0 (Grab, 1),
                         grab_free, 0);
  gtk_widget_add_controller (GTK_WIDGET (window), controller);
#endif
}
