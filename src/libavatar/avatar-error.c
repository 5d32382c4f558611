/* avatar-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "avatar-error.h"

G_DEFINE_QUARK (avatar-error-quark, avatar_error)

GError *
avatar_error_new_cancelled (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                              _("The operation was cancelled."));
}
