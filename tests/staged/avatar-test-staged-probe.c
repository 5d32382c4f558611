/* avatar-test-staged-probe.c
 *
 * A GIO module that the staged app loads through GIO_EXTRA_MODULES, as it
 * loads any other: once the app's window shows a page, it reports in TAP
 * whether the page is in German and whether the icon theme has the app's
 * icon, then quits the app. tests/run-staged-app.sh runs it with LANGUAGE=de.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <gio/gio.h>
#include <gtk/gtk.h>

/* The signed-out page's title, from po/de.po. */
#define GERMAN_TITLE "Bei Ihrem Avatar-Dienst anmelden"
/* Generous, for a loaded machine running with sanitizers. */
#define DEADLINE_S 90

G_MODULE_EXPORT void g_io_module_load   (GIOModule *module);
G_MODULE_EXPORT void g_io_module_unload (GIOModule *module);

static gint64 deadline;

static GtkWidget *
find_status_page (GtkWidget *widget)
{
  if (ADW_IS_STATUS_PAGE (widget) && gtk_widget_get_mapped (widget))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_status_page (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkWidget *
find_page (GApplication *app)
{
  GType window_type = g_type_from_name ("AvatarWindow");

  if (!GTK_IS_APPLICATION (app) || window_type == 0)
    return NULL;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, window_type) && gtk_widget_get_mapped (l->data))
      return find_status_page (l->data);

  return NULL;
}

static gboolean
probe_cb (gpointer data)
{
  GApplication *app = g_application_get_default ();
  GtkWidget *page = find_page (app);
  const char *title;
  const char *app_id;
  gboolean has_icon;

  if (page == NULL)
    {
      if (g_get_monotonic_time () < deadline)
        return G_SOURCE_CONTINUE;
      g_print ("1..1\nnot ok 1 - no page shown within %d s\n", DEADLINE_S);
      if (app != NULL)
        g_application_quit (app);
      return G_SOURCE_REMOVE;
    }

  title = adw_status_page_get_title (ADW_STATUS_PAGE (page));
  app_id = g_application_get_application_id (app);
  has_icon = gtk_icon_theme_has_icon (gtk_icon_theme_get_for_display (gtk_widget_get_display (page)),
                                      app_id);

  g_print ("1..2\n");
  g_print ("%s 1 - the page is in German: \"%s\"\n",
           g_strcmp0 (title, GERMAN_TITLE) == 0 ? "ok" : "not ok", title);
  g_print ("%s 2 - the icon theme has the icon %s\n", has_icon ? "ok" : "not ok", app_id);
  g_application_quit (app);

  return G_SOURCE_REMOVE;
}

void
g_io_module_load (GIOModule *module)
{
  /* Kept loaded: GIO unloads a module that registers no type. */
  g_type_module_use (G_TYPE_MODULE (module));

  deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  g_timeout_add (50, probe_cb, NULL);
}

void
g_io_module_unload (GIOModule *module)
{
}
