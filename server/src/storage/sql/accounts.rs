//! People, their roles, API tokens and dashboard sessions.

use super::*;

#[async_trait]
impl AccountStore for SqlStorage {
    async fn upsert_user(
        &self,
        email: &str,
        password_hash: Option<&str>,
        site_id: i64,
        role: Role,
        now: i64,
    ) -> Result<User, StorageError> {
        let mut tx = self.write_transaction().await?;
        lock_site(&mut tx, self.backend, site_id).await?;
        sqlx::query("INSERT INTO users (email, created_at) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING")
            .bind(email)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&mut *tx)
            .await?;
        if let Some(hash) = password_hash {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        if role != Role::Owner && is_last_owner(&mut tx, site_id, user_id).await? {
            return Err(StorageError::LastOwner);
        }
        sqlx::query(
            "INSERT INTO memberships (user_id, site_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, site_id) DO UPDATE SET role = excluded.role",
        )
        .bind(user_id)
        .bind(site_id)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(User { id: user_id, email: email.to_owned() })
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StorageError> {
        let row: Option<(i64, String)> = sqlx::query_as("SELECT id, email FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(id, email)| User { id, email }))
    }

    async fn create_token(&self, user_id: i64, token_hash: &str, now: i64) -> Result<(), StorageError> {
        sqlx::query("INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(token_hash)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>, StorageError> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT users.id, users.email FROM api_tokens JOIN users ON users.id = api_tokens.user_id \
             WHERE api_tokens.token_hash = $1 AND api_tokens.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, email)| User { id, email }))
    }

    async fn role_on_site(&self, user_id: i64, site_id: i64) -> Result<Option<Role>, StorageError> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = $1 AND site_id = $2")
                .bind(user_id)
                .bind(site_id)
                .fetch_optional(&self.pool)
                .await?;
        role.map(|role| role.parse().map_err(StorageError::Corrupt)).transpose()
    }

    async fn password_hash(&self, email: &str) -> Result<Option<(User, Option<String>)>, StorageError> {
        let row: Option<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT id, email, password_hash FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(id, email, hash)| (User { id, email }, hash)))
    }

    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>, StorageError> {
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT users.id, users.email, sessions.csrf_token FROM sessions \
             JOIN users ON users.id = sessions.user_id WHERE sessions.id_hash = $1 AND sessions.expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, email, csrf_token)| Session { user: User { id, email }, csrf_token }))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn sites_of_user(&self, user_id: i64) -> Result<Vec<(Site, Role)>, StorageError> {
        let slugs: Vec<(String, String)> = sqlx::query_as(
            "SELECT sites.slug, memberships.role FROM memberships JOIN sites ON sites.id = memberships.site_id \
             WHERE memberships.user_id = $1 ORDER BY sites.slug",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let mut sites = Vec::with_capacity(slugs.len());
        for (slug, role) in slugs {
            if let Some(site) = self.site_by_slug(&slug).await? {
                sites.push((site, role.parse().map_err(StorageError::Corrupt)?));
            }
        }
        Ok(sites)
    }

    async fn tokens_of_user(&self, user_id: i64) -> Result<Vec<ApiToken>, StorageError> {
        let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, created_at, revoked_at)| ApiToken { id, created_at, revoked_at })
            .collect())
    }

    async fn revoke_token(&self, user_id: i64, token_id: i64, now: i64) -> Result<bool, StorageError> {
        let updated = sqlx::query(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 AND user_id = $3",
        )
        .bind(now)
        .bind(token_id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn members(&self, site_id: i64) -> Result<Vec<(User, Role)>, StorageError> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT users.id, users.email, memberships.role FROM memberships \
             JOIN users ON users.id = memberships.user_id WHERE memberships.site_id = $1 ORDER BY users.email",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, email, role)| Ok((User { id, email }, role.parse().map_err(StorageError::Corrupt)?)))
            .collect()
    }

    async fn remove_member(&self, site_id: i64, user_id: i64) -> Result<bool, StorageError> {
        let mut tx = self.write_transaction().await?;
        lock_site(&mut tx, self.backend, site_id).await?;
        if is_last_owner(&mut tx, site_id, user_id).await? {
            return Err(StorageError::LastOwner);
        }
        let deleted = sqlx::query("DELETE FROM memberships WHERE site_id = $1 AND user_id = $2")
            .bind(site_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted.rows_affected() == 1)
    }

    async fn members_to_notify(&self, site_id: i64) -> Result<Vec<(i64, String)>, StorageError> {
        let members = sqlx::query_as(
            "SELECT users.id, users.email FROM memberships JOIN users ON users.id = memberships.user_id \
             WHERE memberships.site_id = $1 AND memberships.notify = 1 ORDER BY users.email",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(members)
    }

    async fn notification_choices(&self, user_id: i64) -> Result<Vec<(Site, bool)>, StorageError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT sites.slug, memberships.notify FROM memberships JOIN sites ON sites.id = memberships.site_id \
             WHERE memberships.user_id = $1 ORDER BY sites.slug",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let mut choices = Vec::with_capacity(rows.len());
        for (slug, notify) in rows {
            if let Some(site) = self.site_by_slug(&slug).await? {
                choices.push((site, notify != 0));
            }
        }
        Ok(choices)
    }

    async fn set_notifications(&self, user_id: i64, site_id: i64, on: bool) -> Result<bool, StorageError> {
        let updated = sqlx::query("UPDATE memberships SET notify = $1 WHERE user_id = $2 AND site_id = $3")
            .bind(flag(on))
            .bind(user_id)
            .bind(site_id)
            .execute(&self.pool)
            .await?;
        Ok(updated.rows_affected() == 1)
    }
}

/// Whether the person is an owner of the site and nobody else is.
async fn is_last_owner(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    site_id: i64,
    user_id: i64,
) -> Result<bool, StorageError> {
    let (theirs, others): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN user_id = $2 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN user_id <> $2 THEN 1 ELSE 0 END), 0) \
         FROM memberships WHERE site_id = $1 AND role = 'owner'",
    )
    .bind(site_id)
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(theirs > 0 && others == 0)
}
