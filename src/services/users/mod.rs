//! What super admins change on users: invitations, roles, deactivation and
//! the per-user "API token allowed" switch. Every change ends what it
//! should at once: sessions (role, deactivation), cached tokens (every
//! instance, through a change notification), the profile token (switch off).

pub mod api_users;

use diesel::PgConnection;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::db::changes::Change;
use crate::domain::{Actor, AuditAction, EmailAddress, LinkPurpose, Permission, Role, UserKind};
use crate::error::AppError;
use crate::mail::{self, messages};
use crate::models::{NewUser, Session, User};
use crate::services::accounts::{INVITE_TTL, UserInfo, new_link};
use crate::services::audit::record;
use crate::services::context::{Services, Tx};
use crate::services::credentials::profile_token::revoke_on_switch_off;

/// Every user, by email.
pub async fn list(svc: &Services, actor: &Actor) -> Result<Vec<UserInfo>, AppError> {
    actor.require(Permission::ManageUsers)?;
    svc.run(|conn| Ok(User::list(conn)?.into_iter().map(UserInfo::from).collect())).await
}

/// Invites `email` with `role`: the user exists at once, without a password,
/// and gets a single-use link (72 hours) to choose one.
pub async fn invite(svc: &Services, actor: Actor, email_input: &str, role: Role) -> Result<UserInfo, AppError> {
    actor.require(Permission::ManageUsers)?;
    let email = EmailAddress::parse(email_input).map_err(|m| AppError::invalid("email", m))?;
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |conn| {
        if User::by_email(conn, email.as_str())?.is_some() {
            return Err(AppError::invalid("email", format!("{email} already has an account.")));
        }
        let user = User::insert(
            conn,
            &NewUser {
                email: email.as_str(),
                display_name: "",
                password_hash: None,
                role,
                created_at: now,
                updated_at: now,
                kind: UserKind::Person,
                owner_id: None,
            },
        )?;
        send_invitation(conn, &settings, &actor, &user, now)?;
        record(conn, now, &actor, AuditAction::UserInvited, &user.email, json!({"role": role}))?;
        Ok(user.into())
    })
    .await
}

fn send_invitation(
    conn: &mut Tx<'_>,
    settings: &crate::config::Settings,
    actor: &Actor,
    user: &User,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let (link, expires) = new_link(conn, settings, user.id, LinkPurpose::Invite, now, INVITE_TTL)?;
    mail::enqueue(
        conn,
        now,
        &user.email,
        &messages::Invitation {
            inviter: if actor.is_command_line() { "An administrator".to_owned() } else { actor.label.clone() },
            role: user.role.label().to_owned(),
            link,
            expires: crate::clock::display(expires),
        },
    )?;
    Ok(())
}

/// A new invitation link for someone who has not accepted yet; the old one
/// stops working.
pub async fn resend_invitation(svc: &Services, actor: Actor, user_id: i64) -> Result<UserInfo, AppError> {
    actor.require(Permission::ManageUsers)?;
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |conn| {
        let user = User::find_for_update(conn, user_id)?;
        if user.kind == UserKind::Api {
            return Err(AppError::conflict(format!(
                "{} is an API user: it never signs in, so it has no invitation. Issue it tokens instead.",
                user.display_name
            )));
        }
        if !user.pending() {
            return Err(AppError::conflict(format!("{} has already accepted the invitation.", user.email)));
        }
        send_invitation(conn, &settings, &actor, &user, now)?;
        record(conn, now, &actor, AuditAction::InvitationResent, &user.email, json!({}))?;
        Ok(user.into())
    })
    .await
}

fn keep_a_super_admin(conn: &mut PgConnection, user: &User) -> Result<(), AppError> {
    if user.role == Role::SuperAdmin && user.active && User::other_active_super_admins(conn, user.id)? == 0 {
        return Err(AppError::conflict(
            "Keyward needs at least one active super admin: make someone else super admin first.",
        ));
    }
    Ok(())
}

/// What a super admin may change on a user at once (the API's PATCH).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserChanges {
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub api_token_allowed: Option<bool>,
}

/// Changes a role. The user's sessions end, so the new role applies from
/// their next sign-in with a new session id.
pub async fn change_role(svc: &Services, actor: Actor, user_id: i64, role: Role) -> Result<UserInfo, AppError> {
    update(svc, actor, user_id, UserChanges { role: Some(role), ..UserChanges::default() }).await
}

/// Deactivates (ending every session at once) or reactivates a user.
pub async fn set_active(svc: &Services, actor: Actor, user_id: i64, active: bool) -> Result<UserInfo, AppError> {
    update(svc, actor, user_id, UserChanges { active: Some(active), ..UserChanges::default() }).await
}

/// The per-user "API token allowed" switch. Switching it off revokes the
/// user's profile API token (and tells them).
pub async fn set_api_token_allowed(
    svc: &Services,
    actor: Actor,
    user_id: i64,
    allowed: bool,
) -> Result<UserInfo, AppError> {
    update(svc, actor, user_id, UserChanges { api_token_allowed: Some(allowed), ..UserChanges::default() }).await
}

/// Applies `changes` in one transaction: all of them or none.
pub async fn update(svc: &Services, actor: Actor, user_id: i64, changes: UserChanges) -> Result<UserInfo, AppError> {
    actor.require(Permission::ManageUsers)?;
    let now = svc.now();
    let settings = svc.settings.clone();
    svc.tx(move |tx| {
        let mut user = User::find_for_update(tx, user_id)?;
        if let Some(role) = changes.role
            && user.role != role
        {
            if role != Role::SuperAdmin {
                keep_a_super_admin(tx, &user)?;
            }
            User::set_role(tx, user.id, role, now)?;
            Session::delete_for_user(tx, user.id, None)?;
            tx.publish(Change::User(user.id))?;
            record(tx, now, &actor, AuditAction::RoleChanged, &user.label(), json!({"from": user.role, "to": role}))?;
            user.role = role;
        }
        if let Some(active) = changes.active
            && user.active != active
        {
            if !active {
                keep_a_super_admin(tx, &user)?;
                Session::delete_for_user(tx, user.id, None)?;
            }
            User::set_active(tx, user.id, active, now)?;
            tx.publish(Change::User(user.id))?;
            let action = AuditAction::switched(active, AuditAction::UserReactivated, AuditAction::UserDeactivated);
            record(tx, now, &actor, action, &user.label(), json!({}))?;
            user.active = active;
        }
        if let Some(allowed) = changes.api_token_allowed
            && user.api_token_allowed != allowed
        {
            User::set_api_token_allowed(tx, user.id, allowed, now)?;
            tx.publish(Change::User(user.id))?;
            if !allowed {
                revoke_on_switch_off(tx, &settings, now, &actor, user.id)?;
            }
            record(tx, now, &actor, AuditAction::ApiTokenAllowedChanged, &user.label(), json!({"allowed": allowed}))?;
        }
        Ok(User::find(tx, user.id)?.into())
    })
    .await
}
