//! Data services: public stats for the account public token,
//! bulk export for private tokens (in batches, so memory stays flat
//! whatever the row count), and token introspection (RFC 7662) for
//! resource servers holding a private token. Every use of a private token
//! is logged with the user it is assigned to.

use std::sync::Arc;

use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::domain::{LeadFormat, TokenKind};
use crate::error::AppError;
use crate::models::lead_link::LeadLink;
use crate::models::{Lead, LeadQuery};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::context::Services;
use crate::services::credentials::account_tokens::log_private_use;
use crate::services::leads::{lead_json, links_of};
use crate::tokens::Principal;

const EXPORT_BATCH: i64 = 1000;

/// `InsufficientScope` unless the token is of `kind`.
fn require(principal: &Principal, kind: TokenKind, what: &str) -> Result<(), AppError> {
    if principal.kind == kind {
        Ok(())
    } else {
        Err(AppError::InsufficientScope(format!(
            "{what} takes an account {} token; a {} token was presented",
            if kind == TokenKind::AccountPublic { "public" } else { "private" },
            principal.kind.label().to_lowercase()
        )))
    }
}

/// Whether the token may export (an account private token), before the
/// request's parameters are read.
pub fn may_export(principal: &Principal) -> Result<(), AppError> {
    require(principal, TokenKind::AccountPrivate, "the bulk export")
}

/// Whether the token may introspect (an account private token).
pub fn may_introspect(principal: &Principal) -> Result<(), AppError> {
    require(principal, TokenKind::AccountPrivate, "introspection")
}

/// A campaign's lead counts: by status, and by day over the last 30 days.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CampaignStats {
    pub campaign: String,
    pub total: i64,
    /// Status slug → leads.
    pub by_status: std::collections::BTreeMap<String, i64>,
    /// The last 30 days, oldest first.
    pub by_day: Vec<DayCount>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DayCount {
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    pub count: i64,
}

/// Lead counts by status and by day over the last 30 days. Nothing personal.
pub async fn stats(svc: &Services, principal: &Principal, campaign: &str) -> Result<CampaignStats, AppError> {
    require(principal, TokenKind::AccountPublic, "the public data services")?;
    let snap = crate::services::campaigns::catalog::snapshot(svc, campaign).await?;
    let since = (svc.now() - Duration::days(29)).date();
    let campaign_id = snap.campaign.id;
    let (by_status, by_day) = svc
        .run(move |conn| {
            Ok((Lead::counts_by_status(conn, campaign_id)?, Lead::counts_by_day(conn, campaign_id, since)?))
        })
        .await?;
    let by_day = (0..30)
        .map(|i| {
            let day = since + Duration::days(i);
            let count = by_day.iter().find(|(d, _)| *d == day).map_or(0, |(_, n)| *n);
            DayCount { date: day.to_string(), count }
        })
        .collect();
    let total: i64 = by_status.iter().map(|(_, n)| n).sum();
    Ok(CampaignStats {
        campaign: snap.campaign.slug.clone(),
        total,
        by_status: by_status.into_iter().collect(),
        by_day,
    })
}

/// An export under way: what it reads, and how it writes it.
#[derive(Clone)]
pub struct Export {
    snap: Arc<CampaignSnapshot>,
    format: LeadFormat,
    updated_since: Option<OffsetDateTime>,
}

impl Export {
    pub fn file_name(&self) -> String {
        format!("leads-{}.{}", self.snap.campaign.slug, self.format.as_str())
    }

    /// The CSV header row (nothing for NDJSON).
    pub fn head(&self) -> Vec<u8> {
        if self.format != LeadFormat::Csv {
            return Vec::new();
        }
        let mut cells: Vec<String> =
            ["id", "created_at", "updated_at", "status", "source"].iter().map(|s| (*s).to_owned()).collect();
        cells.extend(self.snap.fields.iter().map(|f| format!("fields.{}", f.slug)));
        cells.extend(self.snap.selects.iter().map(|s| format!("select_field_values.{}", s.select.slug)));
        cells.extend(self.snap.relations.iter().map(|r| format!("relations.{}", r.relation.slug)));
        crate::csv_util::record(cells.iter().map(String::as_str))
    }

    /// One CSV record of a lead: fixed columns, then one per field and select.
    fn csv_record(&self, lead: &Lead, links: &[LeadLink]) -> Vec<u8> {
        let snap = &self.snap;
        let source = lead.source_id.and_then(|id| snap.source(id)).map(|s| s.slug.clone()).unwrap_or_default();
        let mut cells = vec![
            lead.id.to_string(),
            crate::clock::rfc3339(lead.created_at),
            crate::clock::rfc3339(lead.updated_at),
            lead.status.clone(),
            source,
        ];
        for f in &snap.fields {
            cells.push(match lead.fields.get(&f.slug) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            });
        }
        for s in &snap.selects {
            cells.push(lead.selects.get(&s.select.slug).and_then(Value::as_str).unwrap_or_default().to_owned());
        }
        // A relation's cell: the linked lead ids, space-separated.
        for r in &snap.relations {
            let ids: Vec<String> =
                links.iter().filter(|l| l.relation_id == r.relation.id).map(|l| l.target_id.to_string()).collect();
            cells.push(ids.join(" "));
        }
        crate::csv_util::record(cells.iter().map(String::as_str))
    }
}

/// Starts an export of a campaign's leads (logged with the token's
/// assigned user).
pub async fn start_export(
    svc: &Services,
    principal: &Principal,
    ip: &str,
    campaign: &str,
    format: LeadFormat,
    updated_since: Option<OffsetDateTime>,
) -> Result<Export, AppError> {
    may_export(principal)?;
    let snap = crate::services::campaigns::catalog::snapshot(svc, campaign).await?;
    log_private_use(svc, principal, ip, "export", json!({"campaign": snap.campaign.slug, "format": format.as_str()}))
        .await?;
    Ok(Export { snap, format, updated_since })
}

/// The next batch of an export after lead `after`, written out, and the
/// cursor of the batch after it (`None` at the end).
pub async fn export_batch(
    svc: &Services,
    export: &Export,
    after: Option<i64>,
) -> Result<(Vec<u8>, Option<i64>), AppError> {
    let query = LeadQuery {
        campaign_id: export.snap.campaign.id,
        updated_since: export.updated_since,
        after,
        limit: EXPORT_BATCH,
        ..LeadQuery::default()
    };
    let snap = export.snap.clone();
    let (batch, links) = svc
        .run(move |conn| {
            let batch = Lead::page(conn, &query)?;
            let ids: Vec<i64> = batch.iter().map(|l| l.id).collect();
            let links = links_of(conn, &snap, &ids)?;
            Ok((batch, links))
        })
        .await?;
    let mut out = Vec::new();
    for lead in &batch {
        let links = links.get(&lead.id).map_or(&[][..], Vec::as_slice);
        match export.format {
            LeadFormat::Csv => out.extend(export.csv_record(lead, links)),
            LeadFormat::Ndjson => {
                out.extend(lead_json(lead, &export.snap, links).to_string().into_bytes());
                out.push(b'\n');
            }
        }
    }
    let next = if batch.len() as i64 == EXPORT_BATCH { batch.last().map(|l| l.id) } else { None };
    Ok((out, next))
}

/// What a token may do, as an RFC 7662 `scope`.
fn scope(p: &Principal) -> String {
    match p.kind {
        TokenKind::Personal | TokenKind::Profile => {
            format!("user role:{}", p.user.as_ref().map_or("", |u| u.role.as_str()))
        }
        TokenKind::CampaignApi => {
            let mut s = Vec::new();
            if p.can_read {
                s.push("leads:read");
            }
            if p.can_write {
                s.push("leads:write");
            }
            s.join(" ")
        }
        TokenKind::Global | TokenKind::Campaign => "intake".to_owned(),
        TokenKind::AccountPublic => "public:read".to_owned(),
        TokenKind::AccountPrivate => "export introspect".to_owned(),
        kind => kind.intake_method().map(|m| format!("intake:{m}")).unwrap_or_default(),
    }
}

/// RFC 7662 for a caller holding a private token: `{"active": false}` for
/// anything not currently valid, else what the token is and may do.
pub async fn introspect(
    svc: &Services,
    caller: &Principal,
    ip: &str,
    presented: SecretString,
) -> Result<Introspection, AppError> {
    may_introspect(caller)?;
    let found = match svc.tokens.inspect(presented.expose_secret()).await {
        Ok(p) => Some(p),
        Err(AppError::Token(_)) => None,
        Err(e) => return Err(e),
    };
    let answer = match found {
        None => Introspection::default(),
        Some(p) => Introspection {
            active: true,
            token_type: Some(p.kind),
            scope: Some(scope(&p)),
            iat: Some(p.issued_at.unix_timestamp()),
            exp: p.expires_at.map(|e| e.unix_timestamp()),
            key: Some(p.display_key()),
            sub: p.user.as_ref().map(|u| u.email.clone()),
            username: p.user.as_ref().map(|u| u.email.clone()),
            campaign_id: p.campaign_id,
            source_id: p.source_id,
            filter_id: p.filter_id,
        },
    };
    log_private_use(svc, caller, ip, "introspect", json!({"introspected": answer.key})).await?;
    Ok(answer)
}

/// RFC 7662's answer: `{"active": false}` alone for anything not currently
/// valid; the rest only for an active token.
#[derive(Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<TokenKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Issued at, in seconds since 1970.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Expires at, in seconds since 1970.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_id: Option<i64>,
}
