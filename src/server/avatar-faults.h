/* avatar-faults.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define AVATAR_TYPE_FAULTS (avatar_faults_get_type ())

G_DECLARE_FINAL_TYPE (AvatarFaults, avatar_faults, AVATAR, FAULTS, GObject)

typedef enum
{
  AVATAR_PROCESSING_NORMAL,
  AVATAR_PROCESSING_FAIL,
  AVATAR_PROCESSING_HANG,
} AvatarProcessingFault;

/* What one request on a route should suffer; zero fields mean "nothing". */
typedef struct
{
  guint  status;
  int    retry_after_s;
  guint  delay_ms;
  gint64 reset_after_bytes;
  gint64 bytes_per_second;
} AvatarFault;

AvatarFaults          *avatar_faults_new                  (void);
gboolean               avatar_faults_add_rule             (AvatarFaults  *self,
                                                           JsonObject    *rule,
                                                           gboolean      *expire_tokens,
                                                           GError       **error);
void                   avatar_faults_clear                (AvatarFaults  *self);
gboolean               avatar_faults_take                 (AvatarFaults  *self,
                                                           const char    *route,
                                                           AvatarFault   *fault);
AvatarProcessingFault  avatar_faults_take_processing      (AvatarFaults  *self);
guint                  avatar_faults_take_presign_expires (AvatarFaults  *self,
                                                           guint          fallback);
int                    avatar_faults_get_processing_delay (AvatarFaults  *self,
                                                           int            fallback);

G_END_DECLS
