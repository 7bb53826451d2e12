//! `/users`: super admins invite users, change roles, deactivate, and
//! switch "API token allowed".

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::confirm::{ConfirmPage, confirmed};
use super::page::{SwitchForm, checkbox, field_errors, redirect_with, render_status};
use super::session::{Console, Flash, Layout};
use crate::domain::{Permission, Role, UserKind};
use crate::error::{AppError, FieldErrors};
use crate::services::accounts::UserInfo;
use crate::services::users::api_users::{self, ApiUserInfo};
use crate::services::{Services, users};

#[derive(Template)]
#[template(path = "users/list.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserInfo>,
    me: i64,
    my_email: String,
    roles: &'static [Role],
    form: InviteForm,
    errors: FieldErrors,
    api_users: Vec<ApiUserRow>,
    api_form: ApiUserForm,
    api_errors: FieldErrors,
}

struct ApiUserRow {
    user: ApiUserInfo,
    last_used: Option<String>,
}

/// What the "Create an API user" form had.
#[derive(Default)]
struct ApiUserForm {
    name: String,
    owner: String,
}

#[derive(Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

async fn page(
    svc: &Services,
    console: Console,
    status: StatusCode,
    form: InviteForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    full_page(svc, console, status, form, errors, ApiUserForm::default(), FieldErrors::new()).await
}

async fn full_page(
    svc: &Services,
    console: Console,
    status: StatusCode,
    form: InviteForm,
    errors: FieldErrors,
    api_form: ApiUserForm,
    api_errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let actor = console.user.actor();
    let users = users::list(svc, &actor).await?;
    let api_users = api_users::list(svc, &actor)
        .await?
        .into_iter()
        .map(|user| ApiUserRow { last_used: user.last_used_at.map(crate::clock::display), user })
        .collect();
    let (user, layout) = console.layout("Users", "users");
    let page = UsersPage {
        layout,
        users,
        me: user.user.id,
        my_email: user.user.email.clone(),
        roles: Role::ALL,
        form,
        errors,
        api_users,
        api_form,
        api_errors,
    };
    render_status(status, &page)
}

/// `/users` with the "Create an API user" form's errors.
pub async fn page_with_api_user_errors(
    svc: &Services,
    console: Console,
    name: String,
    owner: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let form = InviteForm { email: String::new(), role: Role::Member.as_str().to_owned() };
    let api_form = ApiUserForm { name, owner };
    full_page(svc, console, StatusCode::UNPROCESSABLE_ENTITY, form, FieldErrors::new(), api_form, errors).await
}

pub async fn list(svc: web::Data<Services>, console: Console) -> Result<HttpResponse, AppError> {
    let form = InviteForm { email: String::new(), role: Role::Member.as_str().to_owned() };
    page(&svc, console, StatusCode::OK, form, FieldErrors::new()).await
}

pub async fn invite(
    svc: web::Data<Services>,
    console: Console,
    web::Form(form): web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    console.user.require(Permission::ManageUsers)?;
    let role = match form.role.parse::<Role>() {
        Ok(role) => role,
        Err(_) => {
            let errors = FieldErrors::from([("role".to_owned(), "Choose a role.".to_owned())]);
            return page(&svc, console, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await;
        }
    };
    match users::invite(&svc, console.user.actor(), &form.email, role).await {
        Ok(user) => Ok(redirect_with(
            &svc,
            "/users",
            Flash::success(format!("Invitation sent to {}. The link works once, for 72 hours.", user.email)),
        )),
        Err(e) => {
            let errors = field_errors(e)?;
            page(&svc, console, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await
        }
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
    /// `yes` once confirmed (the dialog, or the confirmation page).
    confirmed: Option<String>,
}

#[derive(Deserialize)]
pub struct ActiveForm {
    value: Option<String>,
    confirmed: Option<String>,
}

/// The user a confirmation speaks of, by id (any the actor may manage).
async fn user_named(svc: &Services, console: &Console, id: i64) -> Result<UserInfo, AppError> {
    users::list(svc, &console.user.actor()).await?.into_iter().find(|u| u.id == id).ok_or(AppError::NotFound)
}

pub async fn change_role(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let role = form.role.parse::<Role>().map_err(AppError::bad_request)?;
    let id = id.into_inner();
    if !confirmed(&form.confirmed) {
        let user = user_named(&svc, &console, id).await?;
        let (_, layout) = console.layout("Change a role", "users");
        return ConfirmPage {
            layout,
            heading: format!("Change the role of {}", user.email),
            message: format!(
                "{} becomes {} (now {}). Their sessions end now: they sign in again with the new role.",
                user.email,
                role.label(),
                user.role.label()
            ),
            warning: None,
            action: format!("/users/{id}/role"),
            button: "Change role".into(),
            cancel: "/users".into(),
            reason: false,
            grace: None,
            hidden: vec![("role".into(), role.as_str().into()), ("confirmed".into(), "yes".into())],
        }
        .render();
    }
    let user = users::change_role(&svc, console.user.actor(), id, role).await?;
    let message = match user.kind {
        UserKind::Person => format!("{} is now {}. Their sessions have ended.", user.email, user.role.label()),
        UserKind::Api => format!("{} is now {}.", user.name(), user.role.label()),
    };
    Ok(redirect_with(&svc, &back_to(&user), Flash::success(message)))
}

pub async fn set_active(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<ActiveForm>,
) -> Result<HttpResponse, AppError> {
    let active = checkbox(&form.value);
    let id = id.into_inner();
    if !active && !confirmed(&form.confirmed) {
        let user = user_named(&svc, &console, id).await?;
        let (_, layout) = console.layout("Deactivate a user", "users");
        return ConfirmPage {
            layout,
            heading: format!("Deactivate {}", user.email),
            message: "Their sessions end now, and every token they own or are assigned is refused until they are reactivated."
                .into(),
            warning: None,
            action: format!("/users/{id}/active"),
            button: "Deactivate".into(),
            cancel: "/users".into(),
            reason: false,
            grace: None,
            hidden: vec![("confirmed".into(), "yes".into())],
        }
        .render();
    }
    let user = users::set_active(&svc, console.user.actor(), id, active).await?;
    let message = match (user.active, user.kind) {
        (true, _) => format!("{} is active again.", user.name()),
        (false, UserKind::Person) => format!("{} is deactivated and signed out everywhere.", user.email),
        (false, UserKind::Api) => format!("{} is deactivated: its tokens are refused.", user.name()),
    };
    Ok(redirect_with(&svc, &back_to(&user), Flash::success(message)))
}

/// Where a change to `user` returns: the list, or an API user's page.
fn back_to(user: &UserInfo) -> String {
    match user.kind {
        UserKind::Person => "/users".to_owned(),
        UserKind::Api => format!("/users/api/{}", user.id),
    }
}

pub async fn set_api_token_allowed(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    let allowed = form.on();
    let user = users::set_api_token_allowed(&svc, console.user.actor(), id.into_inner(), allowed).await?;
    let message = if user.api_token_allowed {
        format!("{} may generate a profile API token.", user.email)
    } else {
        format!("{} may no longer use a profile API token.", user.email)
    };
    Ok(redirect_with(&svc, "/users", Flash::success(message)))
}

pub async fn resend_invitation(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = users::resend_invitation(&svc, console.user.actor(), id.into_inner()).await?;
    Ok(redirect_with(
        &svc,
        "/users",
        Flash::success(format!("A new invitation is on its way to {}; the old link no longer works.", user.email)),
    ))
}
