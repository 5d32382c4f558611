/* avatar-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "avatar-application.h"

G_BEGIN_DECLS

#define AVATAR_TYPE_WINDOW (avatar_window_get_type ())

/* Read-only properties, notified when they change: "profile" (the
 * signed-in person's AvatarProfile, or NULL), "image" (the AvatarImage on
 * the crop page), "prepared" (the AvatarPrepared that Upload sends) and
 * "flow" (the AvatarFlow running or last run). */
G_DECLARE_FINAL_TYPE (AvatarWindow, avatar_window, AVATAR, WINDOW, AdwApplicationWindow)

AvatarWindow *avatar_window_new        (AvatarApplication *application);
/* Loads @file off the main thread and shows it in the crop view. */
void          avatar_window_open_file  (AvatarWindow      *self,
                                        GFile             *file);
/* The same for a picture that is not a file, such as one pasted. */
void          avatar_window_open_bytes (AvatarWindow      *self,
                                        GBytes            *bytes,
                                        const char        *display_name);

G_END_DECLS
