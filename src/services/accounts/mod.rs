//! Accounts: first-run setup, sign-in and sessions, the mailed single-use
//! links (invitation and password reset), and one's own profile and
//! password. What super admins change on users is in `users`.

pub mod passwords;

use diesel::prelude::*;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::crypto::{random_url_token, sha256};
use crate::domain::{Actor, AuditAction, EmailAddress, LinkPurpose, Role, UserKind};
use crate::error::{AppError, FieldErrors};
use crate::mail::{self, messages};
use crate::models::{AccountLink, LoginFailure, NewSession, NewUser, OrgSettings, Session, User};
use crate::services::audit::record;
use crate::services::context::Services;
use crate::services::context::Tx;

/// A user as pages and answers see one: no password hash.
#[derive(Debug, Clone)]
pub struct UserInfo {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub api_token_allowed: bool,
    /// Invited, no password set yet.
    pub pending: bool,
    pub created_at: OffsetDateTime,
    pub last_sign_in_at: Option<OffsetDateTime>,
    pub kind: UserKind,
}

impl UserInfo {
    /// "active", "invited" (no password yet) or "deactivated".
    pub fn status(&self) -> &'static str {
        if !self.active {
            "deactivated"
        } else if self.pending {
            "invited"
        } else {
            "active"
        }
    }
}

impl From<User> for UserInfo {
    fn from(u: User) -> Self {
        Self {
            pending: u.pending(),
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            active: u.active,
            api_token_allowed: u.api_token_allowed,
            created_at: u.created_at,
            last_sign_in_at: u.last_sign_in_at,
            kind: u.kind,
        }
    }
}

impl UserInfo {
    /// The display name, or the email when there is none.
    pub fn name(&self) -> &str {
        if self.display_name.is_empty() { &self.email } else { &self.display_name }
    }

    pub fn pending(&self) -> bool {
        self.pending
    }
}

pub const INVITE_TTL: Duration = Duration::hours(72);
pub const RESET_TTL: Duration = Duration::hours(1);
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);

// ---------------------------------------------------------------- setup

/// While no user exists, makes a fresh one-time setup code (stored as a
/// digest) and returns it to be printed; afterwards returns `None`.
pub async fn prepare_setup(svc: &Services) -> Result<Option<String>, AppError> {
    let now = svc.now();
    svc.tx(move |tx| {
        OrgSettings::lock(tx)?;
        if User::count(tx)? > 0 {
            OrgSettings::set_setup_code_digest(tx, None, now)?;
            return Ok(None);
        }
        let raw = crate::tokens::random_base62(12).to_uppercase();
        let code = format!("{}-{}-{}", &raw[..4], &raw[4..8], &raw[8..]);
        OrgSettings::set_setup_code_digest(tx, Some(&sha256(code.as_bytes())), now)?;
        Ok(Some(code))
    })
    .await
}

/// Whether first-run setup is still to be done (no user exists).
pub async fn setup_needed(svc: &Services) -> Result<bool, AppError> {
    svc.run(|conn| Ok(User::count(conn)? == 0)).await
}

pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub password: SecretString,
    pub confirm: SecretString,
}

impl NewAccount {
    /// Per-field messages for the email, name and password.
    fn check(&self) -> Result<EmailAddress, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = EmailAddress::parse(&self.email).map_err(|m| errors.insert("email".into(), m)).ok();
        if self.display_name.chars().count() > 100 {
            errors.insert("display_name".into(), "Use at most 100 characters.".into());
        }
        if let Err(e) = passwords::check_new(
            self.password.expose_secret(),
            self.confirm.expose_secret(),
            email.as_ref().map_or("", EmailAddress::as_str),
        ) {
            errors.extend(e);
        }
        match email {
            Some(email) if errors.is_empty() => Ok(email),
            _ => Err(errors),
        }
    }
}

/// Creates the first super admin with the setup code, and signs them in.
pub async fn complete_setup(
    svc: &Services,
    code: &str,
    account: NewAccount,
    ip: Option<String>,
    user_agent: String,
) -> Result<SignedIn, AppError> {
    let email = account.check().map_err(AppError::Validation)?;
    let hash = passwords::hash(svc, account.password).await?;
    let code_digest = sha256(code.trim().to_uppercase().as_bytes());
    let settings = svc.settings.clone();
    let now = svc.now();
    let name = account.display_name.trim().to_owned();
    svc.tx(move |conn| {
        OrgSettings::lock(conn)?;
        if User::count(conn)? > 0 {
            return Err(AppError::Gone("Keyward is already set up: sign in instead.".into()));
        }
        let stored = OrgSettings::setup_code_digest(conn)?;
        let matches = stored.is_some_and(|s| bool::from(s.ct_eq(&code_digest)));
        if !matches {
            return Err(AppError::invalid("code", "This is not the setup code printed when Keyward started."));
        }
        let user = User::insert(
            conn,
            &NewUser {
                email: email.as_str(),
                display_name: &name,
                password_hash: Some(&hash),
                role: Role::SuperAdmin,
                created_at: now,
                updated_at: now,
                kind: UserKind::Person,
                owner_id: None,
            },
        )?;
        OrgSettings::set_setup_code_digest(conn, None, now)?;
        let actor = Actor::user(user.id, &user.email, user.role, ip.clone());
        record(conn, now, &actor, AuditAction::SetupCompleted, &user.email, json!({}))?;
        let cookie = start_session(conn, &settings, &user, now, ip.as_deref(), &user_agent)?;
        record(conn, now, &actor, AuditAction::SignedIn, &user.email, json!({}))?;
        Ok(SignedIn { user: user.into(), cookie })
    })
    .await
}

/// `keyward admin create`: a super admin from the shell (the first one, or
/// another as break-glass).
pub async fn create_super_admin(svc: &Services, email: &str, password: SecretString) -> Result<UserInfo, AppError> {
    let email = EmailAddress::parse(email).map_err(|m| AppError::invalid("email", m))?;
    passwords::check_new(password.expose_secret(), password.expose_secret(), email.as_str())
        .map_err(AppError::Validation)?;
    let hash = passwords::hash(svc, password).await?;
    let now = svc.now();
    svc.tx(move |conn| {
        if User::by_email(conn, email.as_str())?.is_some() {
            return Err(AppError::conflict(format!("A user with the email {email} already exists.")));
        }
        let user = User::insert(
            conn,
            &NewUser {
                email: email.as_str(),
                display_name: "",
                password_hash: Some(&hash),
                role: Role::SuperAdmin,
                created_at: now,
                updated_at: now,
                kind: UserKind::Person,
                owner_id: None,
            },
        )?;
        OrgSettings::set_setup_code_digest(conn, None, now)?;
        let actor = Actor::system();
        record(conn, now, &actor, AuditAction::UserCreated, &user.email, json!({"role": user.role, "via": "cli"}))?;
        Ok(user.into())
    })
    .await
}

// ------------------------------------------------------------- sessions

/// A fresh session cookie value for `user`: the old id is never reused.
fn start_session(
    conn: &mut PgConnection,
    settings: &crate::config::Settings,
    user: &User,
    now: OffsetDateTime,
    ip: Option<&str>,
    user_agent: &str,
) -> Result<String, AppError> {
    let cookie = random_url_token();
    let absolute = Duration::try_from(settings.session_absolute).unwrap_or(Duration::hours(12));
    Session::insert(
        conn,
        &NewSession {
            digest: &sha256(cookie.as_bytes()),
            user_id: user.id,
            created_at: now,
            last_seen_at: now,
            expires_at: now + absolute,
            ip,
            user_agent: truncate(user_agent, 300),
        },
    )?;
    User::record_sign_in(conn, user.id, now)?;
    Ok(cookie)
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The signed-in user behind a session cookie, if the session is live.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub session_id: i64,
    pub user: UserInfo,
}

/// Looks a session up, ends it if it is past its idle or absolute expiry or
/// its user was deactivated, and notes the activity (at most once a minute).
pub async fn load_session(svc: &Services, cookie: &str) -> Result<Option<SessionUser>, AppError> {
    let digest = sha256(cookie.as_bytes());
    let now = svc.now();
    let idle = Duration::try_from(svc.settings.session_idle).unwrap_or(Duration::hours(2));
    svc.run(move |conn| {
        let Some((session, user)) = Session::with_user_by_digest(conn, &digest)? else {
            return Ok(None);
        };
        if session.expires_at <= now || session.last_seen_at + idle <= now || !user.active {
            Session::delete(conn, session.id)?;
            return Ok(None);
        }
        if now - session.last_seen_at > Duration::minutes(1) {
            Session::touch(conn, session.id, now)?;
        }
        Ok(Some(SessionUser { session_id: session.id, user: user.into() }))
    })
    .await
}

pub async fn sign_out(svc: &Services, actor: Actor, session_id: i64) -> Result<(), AppError> {
    let now = svc.now();
    svc.tx(move |conn| {
        Session::delete(conn, session_id)?;
        record(conn, now, &actor, AuditAction::SignedOut, &actor.label, json!({}))?;
        Ok(())
    })
    .await
}

// --------------------------------------------------------------- sign-in

pub struct SignedIn {
    pub user: UserInfo,
    /// The new session cookie value.
    pub cookie: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown email and wrong password alike.
    #[error("The email or password is incorrect.")]
    Invalid,
    #[error("This account has been deactivated. Ask a super admin to reactivate it.")]
    Deactivated,
    #[error("{0} is an API user: API users have no password and cannot sign in to the console. They use their tokens.")]
    ApiUser(String),
    #[error("Too many failed sign-ins. Try again in {} minute(s).", .0.div_ceil(60))]
    Throttled(u64),
    #[error(transparent)]
    App(#[from] AppError),
}

fn throttled(
    conn: &mut PgConnection,
    email: &str,
    ip: &str,
    now: OffsetDateTime,
    limit: u32,
) -> Result<Option<u64>, AppError> {
    let since = now - THROTTLE_WINDOW;
    let wait = |oldest: Option<OffsetDateTime>| {
        let until = oldest.unwrap_or(now) + THROTTLE_WINDOW;
        (until - now).whole_seconds().max(1).unsigned_abs()
    };
    let (n, oldest) = LoginFailure::for_email(conn, email, since)?;
    if n >= i64::from(limit) {
        return Ok(Some(wait(oldest)));
    }
    let (n, oldest) = LoginFailure::for_ip(conn, ip, since)?;
    if n >= 4 * i64::from(limit) {
        return Ok(Some(wait(oldest)));
    }
    Ok(None)
}

/// Checks email and password. Failures are counted per email and per IP;
/// past the limit every attempt is refused until the window moves on.
pub async fn sign_in(
    svc: &Services,
    email_input: &str,
    password: SecretString,
    ip: String,
    user_agent: String,
) -> Result<SignedIn, SignInError> {
    // What was typed is only logged if it is an address: people type
    // passwords into the email field.
    let email = EmailAddress::parse(email_input).ok();
    let key = email.as_ref().map_or_else(|| email_input.trim().to_lowercase(), |e| e.to_string());
    let label = email.as_ref().map_or_else(|| "(not an email address)".to_owned(), |e| e.to_string());
    let now = svc.now();
    let limit = svc.settings.login_failure_limit;

    let (lookup_key, throttle_ip) = (key.clone(), ip.clone());
    let (wait, user) = svc
        .run(move |conn| {
            let wait = throttled(conn, &lookup_key, &throttle_ip, now, limit)?;
            let user = match wait {
                Some(_) => None,
                None => User::by_email(conn, &lookup_key)?,
            };
            Ok((wait, user))
        })
        .await?;
    if let Some(seconds) = wait {
        return Err(SignInError::Throttled(seconds));
    }

    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let password_ok = passwords::verify(svc, hash, password).await?;
    let settings = svc.settings.clone();
    let outcome = match user {
        Some(user) if user.kind == UserKind::Api => Err((SignInError::ApiUser(user.display_name.clone()), Some(user))),
        Some(user) if password_ok && user.active => Ok(user),
        Some(user) if password_ok => Err((SignInError::Deactivated, Some(user))),
        user => Err((SignInError::Invalid, user)),
    };
    match outcome {
        Ok(user) => {
            let signed_in = svc
                .tx(move |conn| {
                    LoginFailure::clear_email(conn, &user.email)?;
                    let cookie = start_session(conn, &settings, &user, now, Some(&ip), &user_agent)?;
                    let actor = Actor::user(user.id, &user.email, user.role, Some(ip));
                    record(conn, now, &actor, AuditAction::SignedIn, &user.email, json!({}))?;
                    Ok(SignedIn { user: user.into(), cookie })
                })
                .await?;
            Ok(signed_in)
        }
        Err((error, user)) => {
            let reason = match error {
                SignInError::Deactivated => "deactivated",
                SignInError::ApiUser(_) => "api_user",
                _ if user.is_none() => "unknown_email",
                _ => "wrong_password",
            };
            svc.tx(move |conn| {
                LoginFailure::record(conn, &key, &ip, now)?;
                let actor = Actor::anonymous(label.clone(), Some(ip));
                record(conn, now, &actor, AuditAction::SignInFailed, &label, json!({"reason": reason}))?;
                Ok(())
            })
            .await?;
            Err(error)
        }
    }
}

// ------------------------------------------------------- one-time links

/// Makes a link of `purpose` for `user` (retiring older unused ones) and
/// returns its URL.
pub(in crate::services) fn new_link(
    conn: &mut Tx<'_>,
    settings: &crate::config::Settings,
    user_id: i64,
    purpose: LinkPurpose,
    now: OffsetDateTime,
    ttl: Duration,
) -> Result<(String, OffsetDateTime), AppError> {
    AccountLink::retire_unused(conn, user_id, purpose, now)?;
    let code = random_url_token();
    let expires = now + ttl;
    AccountLink::insert(conn, user_id, purpose, &sha256(code.as_bytes()), now, expires)?;
    Ok((settings.link(&format!("/password/reset/{code}")), expires))
}

/// What a link is, when it is still usable.
pub struct LinkInfo {
    pub purpose: LinkPurpose,
    pub email: String,
}

fn usable_link(
    conn: &mut PgConnection,
    link: Option<AccountLink>,
    now: OffsetDateTime,
) -> Result<AccountLink, AppError> {
    match link {
        None => {
            Err(AppError::Gone("This link is not valid. Check that you opened the whole link from the email.".into()))
        }
        Some(l) if l.used_at.is_some() => {
            Err(AppError::Gone("This link has already been used. Each link works once: ask for a new one.".into()))
        }
        Some(l) if l.expires_at <= now => Err(AppError::Gone("This link has expired: ask for a new one.".into())),
        Some(l) => {
            let user = User::find(conn, l.user_id)?;
            if user.active { Ok(l) } else { Err(AppError::Gone("This account has been deactivated.".into())) }
        }
    }
}

pub async fn inspect_link(svc: &Services, code: String) -> Result<LinkInfo, AppError> {
    let now = svc.now();
    svc.run(move |conn| {
        let link = AccountLink::by_digest(conn, &sha256(code.as_bytes()))?;
        let link = usable_link(conn, link, now)?;
        let user = User::find(conn, link.user_id)?;
        Ok(LinkInfo { purpose: link.purpose, email: user.email })
    })
    .await
}

/// Sets the password through an invitation or reset link. The link is
/// locked, checked and spent in one transaction, so it works exactly once;
/// every session of the user ends.
pub async fn use_link(
    svc: &Services,
    code: String,
    password: SecretString,
    confirm: SecretString,
    ip: Option<String>,
) -> Result<LinkPurpose, AppError> {
    let info = inspect_link(svc, code.clone()).await?;
    passwords::check_new(password.expose_secret(), confirm.expose_secret(), &info.email)
        .map_err(AppError::Validation)?;
    let hash = passwords::hash(svc, password).await?;
    let now = svc.now();
    svc.tx(move |conn| {
        let link = AccountLink::by_digest_for_update(conn, &sha256(code.as_bytes()))?;
        let link = usable_link(conn, link, now)?;
        let user = User::find_for_update(conn, link.user_id)?;
        User::set_password_hash(conn, user.id, &hash, now)?;
        AccountLink::mark_used(conn, link.id, now)?;
        AccountLink::retire_unused(conn, user.id, link.purpose, now)?;
        Session::delete_for_user(conn, user.id, None)?;
        let action = match link.purpose {
            LinkPurpose::Invite => AuditAction::InvitationAccepted,
            LinkPurpose::Reset => AuditAction::PasswordReset,
        };
        let actor = Actor::user(user.id, &user.email, user.role, ip);
        record(conn, now, &actor, action, &user.email, json!({}))?;
        Ok(link.purpose)
    })
    .await
}

/// Mails a reset link if the address belongs to an active user. The answer
/// is the same either way, so the form does not reveal who has an account.
pub async fn request_reset(svc: &Services, email_input: &str, ip: Option<String>) -> Result<(), AppError> {
    let Ok(email) = EmailAddress::parse(email_input) else {
        return Ok(());
    };
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |conn| {
        let Some(user) = User::by_email(conn, email.as_str())? else {
            return Ok(());
        };
        if !user.active || user.pending() {
            return Ok(());
        }
        let (link, expires) = new_link(conn, &settings, user.id, LinkPurpose::Reset, now, RESET_TTL)?;
        mail::enqueue(
            conn,
            now,
            &user.email,
            &messages::PasswordReset { link, expires: crate::clock::display(expires) },
        )?;
        let actor = Actor::anonymous(user.email.clone(), ip);
        record(conn, now, &actor, AuditAction::PasswordResetRequested, &user.email, json!({}))?;
        Ok(())
    })
    .await
}

// -------------------------------------------------------------- profile

pub async fn update_profile(svc: &Services, actor: Actor, display_name: String) -> Result<(), AppError> {
    let Some(user_id) = actor.user_id else {
        return Err(AppError::forbidden("Sign in first."));
    };
    let name = display_name.trim().to_owned();
    if name.chars().count() > 100 {
        return Err(AppError::invalid("display_name", "Use at most 100 characters."));
    }
    let now = svc.now();
    svc.tx(move |conn| {
        User::set_display_name(conn, user_id, &name, now)?;
        record(conn, now, &actor, AuditAction::ProfileUpdated, &actor.label, json!({}))?;
        Ok(())
    })
    .await
}

/// Changes the signed-in user's password after checking the current one.
/// Every other session ends and this one gets a new id (returned).
pub async fn change_password(
    svc: &Services,
    actor: Actor,
    user_agent: String,
    current: SecretString,
    new: SecretString,
    confirm: SecretString,
) -> Result<String, AppError> {
    let Some(user_id) = actor.user_id else {
        return Err(AppError::forbidden("Sign in first."));
    };
    let user = svc.run(move |conn| Ok(User::find(conn, user_id)?)).await?;
    let mut errors = FieldErrors::new();
    if !passwords::verify(svc, user.password_hash.clone(), current).await? {
        errors.insert("current".into(), "This is not your current password.".into());
    }
    if let Err(e) = passwords::check_new(new.expose_secret(), confirm.expose_secret(), &user.email) {
        errors.extend(e);
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let hash = passwords::hash(svc, new).await?;
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |conn| {
        User::set_password_hash(conn, user.id, &hash, now)?;
        Session::delete_for_user(conn, user.id, None)?;
        let cookie = start_session(conn, &settings, &user, now, actor.ip.as_deref(), &user_agent)?;
        record(conn, now, &actor, AuditAction::PasswordChanged, &user.email, json!({}))?;
        Ok(cookie)
    })
    .await
}
