use diesel::prelude::*;
use time::OffsetDateTime;

use crate::domain::{Role, UserKind};
use crate::schema::users;

#[derive(Queryable, Selectable, Identifiable, Clone)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub role: Role,
    pub active: bool,
    pub api_token_allowed: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub last_sign_in_at: Option<OffsetDateTime>,
    pub kind: UserKind,
    /// An API user's owner, the person answerable for it.
    pub owner_id: Option<i64>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("active", &self.active)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub role: Role,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub kind: UserKind,
    pub owner_id: Option<i64>,
}

impl User {
    /// Invited but not yet signed up: no password set.
    pub fn pending(&self) -> bool {
        self.password_hash.is_none()
    }

    pub fn name(&self) -> &str {
        if self.display_name.is_empty() { &self.email } else { &self.display_name }
    }

    /// How the audit log and other people see this user: the email, or an
    /// API user's name.
    pub fn label(&self) -> String {
        match self.kind {
            UserKind::Person => self.email.clone(),
            UserKind::Api => format!("{} (API user)", self.display_name),
        }
    }

    pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<User> {
        users::table.find(id).select(User::as_select()).first(conn)
    }

    /// The row locked for the rest of the transaction.
    pub fn find_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<User> {
        users::table.find(id).select(User::as_select()).for_update().first(conn)
    }

    pub fn by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
        users::table.filter(users::email.eq(email)).select(User::as_select()).first(conn).optional()
    }

    pub fn count(conn: &mut PgConnection) -> QueryResult<i64> {
        users::table.count().get_result(conn)
    }

    /// The people (API users apart), by email.
    pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<User>> {
        users::table.filter(users::kind.eq(UserKind::Person)).order(users::email).select(User::as_select()).load(conn)
    }

    /// The API users, by name.
    pub fn api_users(conn: &mut PgConnection) -> QueryResult<Vec<User>> {
        users::table
            .filter(users::kind.eq(UserKind::Api))
            .order(users::display_name)
            .select(User::as_select())
            .load(conn)
    }

    pub fn insert(conn: &mut PgConnection, new: &NewUser<'_>) -> QueryResult<User> {
        diesel::insert_into(users::table).values(new).returning(User::as_returning()).get_result(conn)
    }

    /// Active super admins other than `except`: the last one may not be
    /// demoted or deactivated.
    pub fn other_active_super_admins(conn: &mut PgConnection, except: i64) -> QueryResult<i64> {
        users::table
            .filter(users::role.eq(Role::SuperAdmin))
            .filter(users::active.eq(true))
            .filter(users::password_hash.is_not_null())
            .filter(users::id.ne(except))
            .count()
            .get_result(conn)
    }

    pub fn set_password_hash(conn: &mut PgConnection, id: i64, hash: &str, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn set_role(conn: &mut PgConnection, id: i64, role: Role, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((users::role.eq(role), users::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn set_active(conn: &mut PgConnection, id: i64, active: bool, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((users::active.eq(active), users::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn set_api_token_allowed(
        conn: &mut PgConnection,
        id: i64,
        allowed: bool,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((users::api_token_allowed.eq(allowed), users::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn set_display_name(conn: &mut PgConnection, id: i64, name: &str, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(users::table.find(id))
            .set((users::display_name.eq(name), users::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn record_sign_in(conn: &mut PgConnection, id: i64, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(users::table.find(id)).set(users::last_sign_in_at.eq(now)).execute(conn).map(drop)
    }

    /// Active, signed-up users with one of `roles` (who hears of a token
    /// they manage).
    pub fn active_with_roles(conn: &mut PgConnection, roles: &[Role]) -> QueryResult<Vec<User>> {
        users::table
            .filter(users::role.eq_any(roles))
            .filter(users::active.eq(true))
            .filter(users::password_hash.is_not_null())
            .order(users::email)
            .select(User::as_select())
            .load(conn)
    }
}
