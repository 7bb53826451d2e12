//! Who is signed in, and what every console page needs to render: the
//! CSRF token of the form it shows and the flash message of the last action.

use actix_web::cookie::{Cookie, CookieJar, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::{LocalBoxFuture, Ready, ready};

use crate::domain::{Actor, Permission, Role};
use crate::error::AppError;
use crate::http::{client_ip, user_agent};
use crate::services::Services;
use crate::services::accounts::{self, UserInfo};

pub const SESSION_COOKIE: &str = "kw_session";
pub const CSRF_COOKIE: &str = "kw_csrf";
pub const FLASH_COOKIE: &str = "kw_flash";

pub fn services(req: &HttpRequest) -> Result<web::Data<Services>, AppError> {
    req.app_data::<web::Data<Services>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("Services are not registered")))
}

/// The signed-in user of a console request. Extracting it checks the
/// session (idle and absolute expiry, user still active) once per request.
#[derive(Clone)]
pub struct CurrentUser {
    pub session_id: i64,
    pub user: UserInfo,
    pub ip: String,
    pub user_agent: String,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, &self.user.email, self.user.role, Some(self.ip.clone()))
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.user.role.allows(permission)
    }

    /// A 403 page unless the role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        self.actor().require(permission)
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(user) = req.extensions().get::<CurrentUser>() {
                return Ok(user.clone());
            }
            let next = if req.method() == actix_web::http::Method::GET {
                req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned()
            } else {
                "/".to_owned()
            };
            let sign_in = || AppError::SignInRequired { next: next.clone() };
            let cookie = req.cookie(SESSION_COOKIE).ok_or_else(sign_in)?;
            let svc = services(&req)?;
            let found = accounts::load_session(&svc, cookie.value()).await?.ok_or_else(sign_in)?;
            let user = CurrentUser {
                session_id: found.session_id,
                user: found.user,
                ip: client_ip(&req),
                user_agent: user_agent(&req),
            };
            req.extensions_mut().insert(user.clone());
            Ok(user)
        })
    }
}

/// A message shown once, on the page after a redirect.
#[derive(Debug, Clone)]
pub struct Flash {
    pub kind: &'static str,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Self {
        Self { kind: "success", message: message.into() }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self { kind: "error", message: message.into() }
    }

    /// `kind:message`, base64url-encoded: a cookie value cannot hold `;`,
    /// spaces or quotes reliably.
    fn encode(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}:{}", self.kind, self.message))
    }

    fn decode(value: &str) -> Option<Self> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).ok()?;
        let value = String::from_utf8(bytes).ok()?;
        let (kind, message) = value.split_once(':')?;

        let kind = match kind {
            "success" => "success",
            "error" => "error",
            _ => return None,
        };
        Some(Self { kind, message: message.to_owned() })
    }

    /// The signed cookie that carries this message to the next page.
    pub fn cookie(&self, keys: &crate::crypto::Keys) -> Cookie<'static> {
        let mut jar = CookieJar::new();
        jar.signed_mut(keys.cookie_key()).add(
            Cookie::build(FLASH_COOKIE, self.encode()).path("/").http_only(true).same_site(SameSite::Lax).finish(),
        );
        jar.get(FLASH_COOKIE).cloned().unwrap_or_else(|| Cookie::new(FLASH_COOKIE, ""))
    }

    fn from_request(req: &HttpRequest, keys: &crate::crypto::Keys) -> Option<Self> {
        let raw = req.cookie(FLASH_COOKIE)?;
        let mut jar = CookieJar::new();
        jar.add_original(raw.into_owned());
        let verified = jar.signed(keys.cookie_key()).get(FLASH_COOKIE)?;
        Self::decode(verified.value())
    }
}

/// The CSRF token the console middleware computed for this request.
#[derive(Clone)]
pub struct CsrfToken(pub String);

/// What any console page needs, signed in or not: the CSRF token for its
/// forms and the flash message, if one came with the request.
pub struct View {
    pub csrf: String,
    pub flash: Option<Flash>,
}

impl View {
    pub fn of(req: &HttpRequest) -> Self {
        let csrf = req.extensions().get::<CsrfToken>().map(|t| t.0.clone()).unwrap_or_default();
        let flash = req.app_data::<web::Data<Services>>().and_then(|s| Flash::from_request(req, &s.keys));
        Self { csrf, flash }
    }
}

impl FromRequest for View {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// The navigation of a signed-in user: which areas their role opens.
pub struct Nav {
    pub name: String,
    pub initial: String,
    pub email: String,
    pub role: &'static str,
    pub users: bool,
    pub org_tokens: bool,
    pub campaigns: bool,
    pub support: bool,
    pub audit: bool,
}

/// The layout data of every page: title, active section, the user's
/// navigation, CSRF token and flash message.
pub struct Layout {
    pub title: String,
    pub section: &'static str,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub nav: Option<Nav>,
}

impl Layout {
    pub fn anonymous(view: View, title: impl Into<String>) -> Self {
        Self { title: title.into(), section: "", csrf: view.csrf, flash: view.flash, nav: None }
    }

    pub fn for_user(view: View, user: &CurrentUser, title: impl Into<String>, section: &'static str) -> Self {
        let u = &user.user;
        Self {
            title: title.into(),
            section,
            csrf: view.csrf,
            flash: view.flash,
            nav: Some(Nav {
                name: u.name().to_owned(),
                initial: u.name().chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default(),
                email: u.email.clone(),
                role: u.role.label(),
                users: u.role.allows(Permission::ManageUsers),
                org_tokens: u.role.allows(Permission::ManageOrgTokens),
                campaigns: u.role.allows(Permission::ManageCampaigns),
                support: u.role.allows(Permission::SupportTokens),
                audit: u.role.allows(Permission::ViewAudit),
            }),
        }
    }
}

/// A signed-in console request: the user and the page data together.
pub struct Console {
    pub user: CurrentUser,
    pub view: View,
}

impl Console {
    pub fn layout(self, title: impl Into<String>, section: &'static str) -> (CurrentUser, Layout) {
        let layout = Layout::for_user(self.view, &self.user, title, section);
        (self.user, layout)
    }
}

impl FromRequest for Console {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let view = View::of(req);
        let user = CurrentUser::from_request(req, payload);
        Box::pin(async move { Ok(Console { user: user.await?, view }) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_messages_round_trip() {
        let f = Flash::decode(&Flash::success("Saved: ok; “quoted”, done").encode()).unwrap();
        assert_eq!((f.kind, f.message.as_str()), ("success", "Saved: ok; “quoted”, done"));
        assert!(Flash::success("a; b").encode().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(Flash::decode("evil:x").is_none());
    }
}
