/* avatar-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define AVATAR_TYPE_STORE (avatar_store_get_type ())

G_DECLARE_FINAL_TYPE (AvatarStore, avatar_store, AVATAR, STORE, GObject)

typedef enum
{
  AVATAR_TOKEN_VALID,
  AVATAR_TOKEN_UNKNOWN,
  AVATAR_TOKEN_EXPIRED,
} AvatarTokenStatus;

typedef enum
{
  AVATAR_ASSET_PENDING,
  AVATAR_ASSET_PROCESSING,
  AVATAR_ASSET_READY,
  AVATAR_ASSET_FAILED,
} AvatarAssetState;

typedef struct
{
  char   *id;
  char   *username;
  char   *avatar_key;
} AvatarStoreUser;

typedef struct
{
  char             *key;
  char             *user_id;
  char             *content_type;
  AvatarAssetState  state;
  char             *reason;
  gint64            upload_seq;
  gint64            size;
  int               width;
  int               height;
} AvatarStoreAsset;

void avatar_store_user_free  (AvatarStoreUser  *user);
void avatar_store_asset_free (AvatarStoreAsset *asset);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvatarStoreUser, avatar_store_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AvatarStoreAsset, avatar_store_asset_free)

const char        *avatar_asset_state_to_string       (AvatarAssetState   state);
char              *avatar_store_random_hex            (guint              n_bytes);

AvatarStore       *avatar_store_open                  (const char        *path,
                                                       GError           **error);
void               avatar_store_close                 (AvatarStore       *self);
char              *avatar_store_dup_setting           (AvatarStore       *self,
                                                       const char        *name);
gboolean           avatar_store_set_setting           (AvatarStore       *self,
                                                       const char        *name,
                                                       const char        *value,
                                                       GError           **error);
char              *avatar_store_ensure_user           (AvatarStore       *self,
                                                       const char        *username,
                                                       GError           **error);
AvatarStoreUser   *avatar_store_get_user              (AvatarStore       *self,
                                                       const char        *user_id);
gboolean           avatar_store_set_username          (AvatarStore       *self,
                                                       const char        *user_id,
                                                       const char        *username,
                                                       gboolean          *taken,
                                                       GError           **error);
gboolean           avatar_store_issue_tokens          (AvatarStore       *self,
                                                       const char        *user_id,
                                                       gint64             access_lifetime_s,
                                                       char             **access_token,
                                                       char             **refresh_token,
                                                       GError           **error);
AvatarTokenStatus  avatar_store_check_access_token    (AvatarStore       *self,
                                                       const char        *token,
                                                       char             **user_id);
gboolean           avatar_store_rotate_refresh_token  (AvatarStore       *self,
                                                       const char        *refresh_token,
                                                       gint64             access_lifetime_s,
                                                       char             **access_token,
                                                       char             **new_refresh_token,
                                                       GError           **error);
void               avatar_store_expire_access_tokens  (AvatarStore       *self);
gboolean           avatar_store_add_asset             (AvatarStore       *self,
                                                       const char        *key,
                                                       const char        *user_id,
                                                       const char        *content_type,
                                                       GError           **error);
AvatarStoreAsset  *avatar_store_get_asset             (AvatarStore       *self,
                                                       const char        *key);
AvatarStoreAsset  *avatar_store_get_newest_upload     (AvatarStore       *self,
                                                       const char        *user_id);
gboolean           avatar_store_mark_uploaded         (AvatarStore       *self,
                                                       const char        *key,
                                                       gint64             size,
                                                       GError           **error);
gboolean           avatar_store_finish_asset          (AvatarStore       *self,
                                                       const char        *key,
                                                       AvatarAssetState   state,
                                                       const char        *reason,
                                                       int                width,
                                                       int                height,
                                                       GError           **error);
gboolean           avatar_store_promote_asset         (AvatarStore       *self,
                                                       const char        *key,
                                                       gboolean          *promoted,
                                                       GError           **error);
gboolean           avatar_store_set_avatar            (AvatarStore       *self,
                                                       const char        *user_id,
                                                       const char        *key,
                                                       GError           **error);
gboolean           avatar_store_remove_avatar         (AvatarStore       *self,
                                                       const char        *user_id,
                                                       GError           **error);

G_END_DECLS
