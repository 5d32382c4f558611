/* avatar-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The server's state in one SQLite database: users, tokens and assets.
 * Used from the main thread only.  Tokens are kept as SHA-256 digests, so
 * the database file never holds a usable credential. */

#include "config.h"

#include <gio/gio.h>
#include <sqlite3.h>
#include <sys/random.h>

#include "avatar-store.h"

#define REFRESH_LIFETIME_S (30 * 24 * 3600)

struct _AvatarStore
{
  GObject  parent_instance;
  sqlite3 *db;
};

G_DEFINE_FINAL_TYPE (AvatarStore, avatar_store, G_TYPE_OBJECT)

static const char schema[] =
  "PRAGMA journal_mode=WAL;"
  "PRAGMA foreign_keys=ON;"
  "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS users ("
  "  id TEXT PRIMARY KEY,"
  "  username TEXT NOT NULL UNIQUE COLLATE NOCASE,"
  "  avatar_key TEXT,"
  "  promoted_seq INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE IF NOT EXISTS tokens ("
  "  digest TEXT PRIMARY KEY,"
  "  kind TEXT NOT NULL,"
  "  user_id TEXT NOT NULL REFERENCES users(id),"
  "  expires_at INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS assets ("
  "  key TEXT PRIMARY KEY,"
  "  user_id TEXT NOT NULL REFERENCES users(id),"
  "  content_type TEXT NOT NULL,"
  "  state INTEGER NOT NULL DEFAULT 0,"
  "  reason TEXT,"
  "  upload_seq INTEGER NOT NULL DEFAULT 0,"
  "  size INTEGER NOT NULL DEFAULT 0,"
  "  width INTEGER NOT NULL DEFAULT 0,"
  "  height INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX IF NOT EXISTS assets_by_user ON assets(user_id, upload_seq);";

static void
avatar_store_finalize (GObject *object)
{
  AvatarStore *self = (AvatarStore *) object;

  avatar_store_close (self);

  G_OBJECT_CLASS (avatar_store_parent_class)->finalize (object);
}

static void
avatar_store_class_init (AvatarStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = avatar_store_finalize;
}

static void
avatar_store_init (AvatarStore *self)
{
}

void
avatar_store_user_free (AvatarStoreUser *user)
{
  if (user == NULL)
    return;
  g_free (user->id);
  g_free (user->username);
  g_free (user->avatar_key);
  g_free (user);
}

void
avatar_store_asset_free (AvatarStoreAsset *asset)
{
  if (asset == NULL)
    return;
  g_free (asset->key);
  g_free (asset->user_id);
  g_free (asset->content_type);
  g_free (asset->reason);
  g_free (asset);
}

const char *
avatar_asset_state_to_string (AvatarAssetState state)
{
  switch (state)
    {
    case AVATAR_ASSET_PENDING:
      return "pending";
    case AVATAR_ASSET_PROCESSING:
      return "processing";
    case AVATAR_ASSET_READY:
      return "ready";
    case AVATAR_ASSET_FAILED:
      return "failed";
    default:
      g_assert_not_reached ();
    }
}

/* Hex text of @n_bytes from the kernel's CSPRNG. */
char *
avatar_store_random_hex (guint n_bytes)
{
  g_autofree guint8 *raw = g_malloc (n_bytes);
  GString *hex = g_string_sized_new (n_bytes * 2);
  gsize filled = 0;

  while (filled < n_bytes)
    {
      ssize_t got = getrandom (raw + filled, n_bytes - filled, 0);

      if (got < 0)
        g_error ("Cannot read random bytes from the system: %s", g_strerror (errno));
      filled += (gsize) got;
    }

  for (guint i = 0; i < n_bytes; i++)
    g_string_append_printf (hex, "%02x", raw[i]);

  return g_string_free (hex, FALSE);
}

static char *
token_digest (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

static gboolean
set_sqlite_error (AvatarStore  *self,
                  GError      **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "Database error: %s", sqlite3_errmsg (self->db));
  return FALSE;
}

static sqlite3_stmt *
prepare (AvatarStore *self,
         const char  *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("Invalid SQL statement %s: %s", sql, sqlite3_errmsg (self->db));

  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Runs a statement that returns no rows. */
static gboolean
run (AvatarStore  *self,
     sqlite3_stmt *stmt,
     GError      **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, error);

  return TRUE;
}

AvatarStore *
avatar_store_open (const char  *path,
                   GError     **error)
{
  g_autoptr(AvatarStore) self = g_object_new (AVATAR_TYPE_STORE, NULL);
  char *message = NULL;

  if (sqlite3_open_v2 (path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Cannot open the database %s: %s", path,
                   self->db ? sqlite3_errmsg (self->db) : "out of memory");
      return NULL;
    }

  sqlite3_busy_timeout (self->db, 5000);

  if (sqlite3_exec (self->db, schema, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Cannot prepare the database %s: %s", path, message);
      sqlite3_free (message);
      return NULL;
    }

  return g_steal_pointer (&self);
}

void
avatar_store_close (AvatarStore *self)
{
  g_return_if_fail (AVATAR_IS_STORE (self));

  if (self->db)
    {
      sqlite3_close (self->db);
      self->db = NULL;
    }
}

char *
avatar_store_dup_setting (AvatarStore *self,
                          const char  *name)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT value FROM settings WHERE name = ?");
  char *value = NULL;

  bind_text (stmt, 1, name);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = column_dup (stmt, 0);
  sqlite3_finalize (stmt);

  return value;
}

gboolean
avatar_store_set_setting (AvatarStore  *self,
                          const char   *name,
                          const char   *value,
                          GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)");

  bind_text (stmt, 1, name);
  bind_text (stmt, 2, value);

  return run (self, stmt, error);
}

/* Returns the id of the user called @username, creating the user if needed. */
char *
avatar_store_ensure_user (AvatarStore  *self,
                          const char   *username,
                          GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT id FROM users WHERE username = ?");
  g_autofree char *id = NULL;

  bind_text (stmt, 1, username);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    id = column_dup (stmt, 0);
  sqlite3_finalize (stmt);

  if (id)
    return g_steal_pointer (&id);

  {
    g_autofree char *suffix = avatar_store_random_hex (8);

    id = g_strconcat ("u_", suffix, NULL);
  }
  stmt = prepare (self, "INSERT INTO users (id, username) VALUES (?, ?)");
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, username);
  if (!run (self, stmt, error))
    return NULL;

  return g_steal_pointer (&id);
}

AvatarStoreUser *
avatar_store_get_user (AvatarStore *self,
                       const char  *user_id)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT id, username, avatar_key FROM users WHERE id = ?");
  AvatarStoreUser *user = NULL;

  bind_text (stmt, 1, user_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      user = g_new0 (AvatarStoreUser, 1);
      user->id = column_dup (stmt, 0);
      user->username = column_dup (stmt, 1);
      user->avatar_key = column_dup (stmt, 2);
    }
  sqlite3_finalize (stmt);

  return user;
}

gboolean
avatar_store_set_username (AvatarStore  *self,
                           const char   *user_id,
                           const char   *username,
                           gboolean     *taken,
                           GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "UPDATE users SET username = ? WHERE id = ?");
  int rc;

  *taken = FALSE;
  bind_text (stmt, 1, username);
  bind_text (stmt, 2, user_id);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);

  if (rc == SQLITE_CONSTRAINT)
    {
      *taken = TRUE;
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, error);

  return TRUE;
}

static gboolean
insert_token (AvatarStore  *self,
              const char   *token,
              const char   *kind,
              const char   *user_id,
              gint64        expires_at,
              GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "INSERT INTO tokens (digest, kind, user_id, expires_at) VALUES (?, ?, ?, ?)");
  g_autofree char *digest = token_digest (token);

  bind_text (stmt, 1, digest);
  bind_text (stmt, 2, kind);
  bind_text (stmt, 3, user_id);
  sqlite3_bind_int64 (stmt, 4, expires_at);

  return run (self, stmt, error);
}

gboolean
avatar_store_issue_tokens (AvatarStore  *self,
                           const char   *user_id,
                           gint64        access_lifetime_s,
                           char        **access_token,
                           char        **refresh_token,
                           GError      **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *access = avatar_store_random_hex (32);
  g_autofree char *refresh = avatar_store_random_hex (32);

  if (!insert_token (self, access, "access", user_id, now + access_lifetime_s, error) ||
      !insert_token (self, refresh, "refresh", user_id, now + REFRESH_LIFETIME_S, error))
    return FALSE;

  *access_token = g_steal_pointer (&access);
  *refresh_token = g_steal_pointer (&refresh);

  return TRUE;
}

static AvatarTokenStatus
check_token (AvatarStore  *self,
             const char   *token,
             const char   *kind,
             char        **user_id)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT user_id, expires_at FROM tokens WHERE digest = ? AND kind = ?");
  g_autofree char *digest = token_digest (token);
  AvatarTokenStatus status = AVATAR_TOKEN_UNKNOWN;

  bind_text (stmt, 1, digest);
  bind_text (stmt, 2, kind);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (sqlite3_column_int64 (stmt, 1) <= g_get_real_time () / G_USEC_PER_SEC)
        status = AVATAR_TOKEN_EXPIRED;
      else
        {
          status = AVATAR_TOKEN_VALID;
          *user_id = column_dup (stmt, 0);
        }
    }
  sqlite3_finalize (stmt);

  return status;
}

AvatarTokenStatus
avatar_store_check_access_token (AvatarStore  *self,
                                 const char   *token,
                                 char        **user_id)
{
  return check_token (self, token, "access", user_id);
}

/* Trades a refresh token for a new pair; the old refresh token is deleted,
 * so it works exactly once. */
gboolean
avatar_store_rotate_refresh_token (AvatarStore  *self,
                                   const char   *refresh_token,
                                   gint64        access_lifetime_s,
                                   char        **access_token,
                                   char        **new_refresh_token,
                                   GError      **error)
{
  g_autofree char *user_id = NULL;
  g_autofree char *digest = NULL;
  sqlite3_stmt *stmt;

  if (check_token (self, refresh_token, "refresh", &user_id) != AVATAR_TOKEN_VALID)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "The refresh token is unknown, expired or already used.");
      return FALSE;
    }

  digest = token_digest (refresh_token);
  stmt = prepare (self, "DELETE FROM tokens WHERE digest = ?");
  bind_text (stmt, 1, digest);
  if (!run (self, stmt, error))
    return FALSE;

  return avatar_store_issue_tokens (self, user_id, access_lifetime_s,
                                    access_token, new_refresh_token, error);
}

void
avatar_store_expire_access_tokens (AvatarStore *self)
{
  sqlite3_stmt *stmt = prepare (self, "UPDATE tokens SET expires_at = ? WHERE kind = 'access'");
  g_autoptr(GError) error = NULL;

  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / G_USEC_PER_SEC);
  if (!run (self, stmt, &error))
    g_warning ("%s", error->message);
}

gboolean
avatar_store_add_asset (AvatarStore  *self,
                        const char   *key,
                        const char   *user_id,
                        const char   *content_type,
                        GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "INSERT INTO assets (key, user_id, content_type) VALUES (?, ?, ?)");

  bind_text (stmt, 1, key);
  bind_text (stmt, 2, user_id);
  bind_text (stmt, 3, content_type);

  return run (self, stmt, error);
}

#define ASSET_COLUMNS "key, user_id, content_type, state, reason, upload_seq, size, width, height"

static AvatarStoreAsset *
read_asset (sqlite3_stmt *stmt)
{
  AvatarStoreAsset *asset = NULL;

  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      asset = g_new0 (AvatarStoreAsset, 1);
      asset->key = column_dup (stmt, 0);
      asset->user_id = column_dup (stmt, 1);
      asset->content_type = column_dup (stmt, 2);
      asset->state = CLAMP (sqlite3_column_int (stmt, 3), AVATAR_ASSET_PENDING, AVATAR_ASSET_FAILED);
      asset->reason = column_dup (stmt, 4);
      asset->upload_seq = sqlite3_column_int64 (stmt, 5);
      asset->size = sqlite3_column_int64 (stmt, 6);
      asset->width = sqlite3_column_int (stmt, 7);
      asset->height = sqlite3_column_int (stmt, 8);
    }
  sqlite3_finalize (stmt);

  return asset;
}

AvatarStoreAsset *
avatar_store_get_asset (AvatarStore *self,
                        const char  *key)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT " ASSET_COLUMNS " FROM assets WHERE key = ?");

  bind_text (stmt, 1, key);

  return read_asset (stmt);
}

AvatarStoreAsset *
avatar_store_get_newest_upload (AvatarStore *self,
                                const char  *user_id)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT " ASSET_COLUMNS " FROM assets"
                                      " WHERE user_id = ? AND upload_seq > 0"
                                      " ORDER BY upload_seq DESC LIMIT 1");

  bind_text (stmt, 1, user_id);

  return read_asset (stmt);
}

/* Records a completed PUT.  Every upload gets the next sequence number, which
 * decides which upload is the newest when processing finishes out of order. */
gboolean
avatar_store_mark_uploaded (AvatarStore  *self,
                            const char   *key,
                            gint64        size,
                            GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "UPDATE assets SET state = ?, reason = NULL, size = ?,"
                                      " upload_seq = (SELECT COALESCE(MAX(upload_seq), 0) + 1 FROM assets)"
                                      " WHERE key = ?");

  sqlite3_bind_int (stmt, 1, AVATAR_ASSET_PROCESSING);
  sqlite3_bind_int64 (stmt, 2, size);
  bind_text (stmt, 3, key);

  return run (self, stmt, error);
}

gboolean
avatar_store_finish_asset (AvatarStore       *self,
                           const char        *key,
                           AvatarAssetState   state,
                           const char        *reason,
                           int                width,
                           int                height,
                           GError           **error)
{
  sqlite3_stmt *stmt = prepare (self, "UPDATE assets SET state = ?, reason = ?, width = ?, height = ? WHERE key = ?");

  sqlite3_bind_int (stmt, 1, state);
  bind_text (stmt, 2, reason);
  sqlite3_bind_int (stmt, 3, width);
  sqlite3_bind_int (stmt, 4, height);
  bind_text (stmt, 5, key);

  return run (self, stmt, error);
}

/* Makes @key the user's avatar unless a newer upload has already been
 * promoted (or the avatar was removed after this upload). */
gboolean
avatar_store_promote_asset (AvatarStore  *self,
                            const char   *key,
                            gboolean     *promoted,
                            GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "UPDATE users SET avatar_key = a.key, promoted_seq = a.upload_seq"
                                      " FROM (SELECT key, user_id, upload_seq FROM assets WHERE key = ? AND state = ?) AS a"
                                      " WHERE users.id = a.user_id AND users.promoted_seq < a.upload_seq");

  bind_text (stmt, 1, key);
  sqlite3_bind_int (stmt, 2, AVATAR_ASSET_READY);
  if (!run (self, stmt, error))
    return FALSE;

  *promoted = sqlite3_changes (self->db) > 0;

  return TRUE;
}

/* Clears the avatar; uploads made before this call are never promoted
 * afterwards, so a removal is not undone by processing that finishes late. */
gboolean
avatar_store_remove_avatar (AvatarStore  *self,
                            const char   *user_id,
                            GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "UPDATE users SET avatar_key = NULL,"
                                      " promoted_seq = MAX(promoted_seq, (SELECT COALESCE(MAX(upload_seq), 0) FROM assets WHERE user_id = ?))"
                                      " WHERE id = ?");

  bind_text (stmt, 1, user_id);
  bind_text (stmt, 2, user_id);

  return run (self, stmt, error);
}

/* Makes @key the avatar regardless of order; used when the user confirms. */
gboolean
avatar_store_set_avatar (AvatarStore  *self,
                         const char   *user_id,
                         const char   *key,
                         GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "UPDATE users SET avatar_key = ?,"
                                      " promoted_seq = MAX(promoted_seq, (SELECT upload_seq FROM assets WHERE key = ?))"
                                      " WHERE id = ?");

  bind_text (stmt, 1, key);
  bind_text (stmt, 2, key);
  bind_text (stmt, 3, user_id);

  return run (self, stmt, error);
}
