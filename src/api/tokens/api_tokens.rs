//! `/api/v1/campaigns/{c}/api-tokens`: campaign API tokens, for
//! partners: Read and/or Write, limited by a filter.

use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret as _;
use serde::Serialize;

use crate::api::auth::Bearer;
use crate::api::body::Json;
use crate::api::view::{created, ok};
use crate::domain::{FilterId, TokenId};
use crate::error::ApiError;
use crate::services::credentials::api_tokens::{self, ApiTokenAccess, NewApiToken};
use crate::services::{Services, TokenInfo, campaigns};

/// A campaign API token: its key and what it may do; `token` only in the
/// answer that made it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiTokenView {
    pub id: TokenId,
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub read: bool,
    pub write: bool,
    pub filter_id: Option<FilterId>,
}

impl From<&TokenInfo> for ApiTokenView {
    fn from(t: &TokenInfo) -> Self {
        Self {
            id: TokenId(t.id),
            key: t.display_key(),
            token: None,
            read: t.can_read,
            write: t.can_write,
            filter_id: t.filter_id.map(FilterId),
        }
    }
}

/// `POST /api/v1/campaigns/{c}/api-tokens` `{name, read, write, filter_id?}`.
pub async fn create(
    svc: web::Data<Services>,
    bearer: Bearer,
    c: web::Path<String>,
    body: Json<NewApiToken>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let campaign = campaigns::resolve(&svc, &actor, &c).await?;
    let new = api_tokens::create(&svc, actor, campaign.id, body.into_inner()).await?;
    let view = ApiTokenView { token: Some(new.secret.expose_secret().to_owned()), ..ApiTokenView::from(&new.token) };
    Ok(created(&view))
}

/// `PUT /api/v1/campaigns/{c}/api-tokens/{id}` `{read, write, filter_id?}`:
/// replaces what the token may do (the token itself stays the same).
pub async fn update(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, TokenId)>,
    body: Json<ApiTokenAccess>,
) -> Result<HttpResponse, ApiError> {
    let actor = bearer.acting()?;
    let (c, token_id) = path.into_inner();
    let campaign = campaigns::resolve(&svc, &actor, &c).await?;
    let token = api_tokens::update_access(&svc, actor, campaign.id, token_id.get(), body.into_inner()).await?;
    Ok(ok(&ApiTokenView::from(&token)))
}
