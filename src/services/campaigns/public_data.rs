//! Public data services (the widget and the public data calls), for the account public token: lead counts per campaign, by
//! status and by source, and a list of the fields a super admin marked
//! public (never an email or a phone). JSON or XML. Counts are kept a few
//! seconds per campaign, so that a widget on a busy page costs the
//! database one query per campaign every few seconds.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::domain::{Actor, AuditAction, FieldType, Permission, TokenKind};
use crate::error::AppError;
use crate::models::{Field, Lead};
use crate::services::audit::record;
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::campaigns::{campaign_for_update, changed};
use crate::services::context::Services;
use crate::tokens::Principal;

/// The most leads one page of the public list holds.
pub const PAGE_MAX: i64 = 100;

fn require_public(principal: &Principal) -> Result<(), AppError> {
    if principal.kind == TokenKind::AccountPublic {
        Ok(())
    } else {
        Err(AppError::InsufficientScope("the public data services take the account public token".into()))
    }
}

pub use crate::services::caches::PublicCounts;

/// One page of the public list: only the fields marked public.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PublicRecords {
    pub campaign: String,
    /// The slugs of the public fields.
    pub fields: Vec<String>,
    pub items: Vec<PublicRecord>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PublicRecord {
    pub id: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub status: String,
    /// Public field slug → value.
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

/// The campaign's counts by status and by source.
pub async fn counts(svc: &Services, principal: &Principal, campaign: &str) -> Result<Arc<PublicCounts>, AppError> {
    require_public(principal)?;
    let snap = crate::services::campaigns::catalog::snapshot(svc, campaign).await?;
    let id = snap.campaign.id;
    if let Some(cached) = svc.caches.counts.get(&id).await {
        return Ok(cached);
    }
    let (by_status, by_source) =
        svc.run(move |conn| Ok((Lead::counts_by_status(conn, id)?, Lead::counts_by_source(conn, id)?))).await?;
    let total: i64 = by_status.iter().map(|(_, n)| n).sum();
    let statuses = snap
        .statuses
        .iter()
        .map(|s| (s.slug.clone(), by_status.iter().find(|(slug, _)| *slug == s.slug).map_or(0, |(_, n)| *n)))
        .collect();
    let mut sources: BTreeMap<String, i64> = snap
        .sources
        .iter()
        .map(|s| (s.slug.clone(), by_source.iter().find(|(id, _)| *id == Some(s.id)).map_or(0, |(_, n)| *n)))
        .collect();
    let api = by_source.iter().find(|(id, _)| id.is_none()).map_or(0, |(_, n)| *n);
    sources.insert("api".into(), api);
    let counts = Arc::new(PublicCounts {
        campaign: snap.campaign.slug.clone(),
        name: snap.campaign.name.clone(),
        total,
        by_status: statuses,
        by_source: sources,
    });
    svc.caches.counts.insert(id, counts.clone()).await;
    Ok(counts)
}

/// One page of a campaign's leads, oldest first, each with only the fields
/// marked public.
pub async fn records(
    svc: &Services,
    principal: &Principal,
    campaign: &str,
    after: Option<i64>,
    limit: i64,
) -> Result<PublicRecords, AppError> {
    require_public(principal)?;
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(AppError::bad_request(format!("limit must be from 1 to {PAGE_MAX}")));
    }
    let snap = crate::services::campaigns::catalog::snapshot(svc, campaign).await?;
    let public: Vec<String> = public_fields(&snap).map(|f| f.slug.clone()).collect();
    let id = snap.campaign.id;
    let mut rows = svc.run(move |conn| Ok(Lead::public_page(conn, id, after, limit + 1)?)).await?;
    let next_cursor = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.0.to_string()).unwrap_or_default()
    });
    let items = rows
        .into_iter()
        .map(|(id, created_at, status, fields)| PublicRecord {
            id,
            created_at: crate::clock::rfc3339(created_at),
            status,
            fields: public.iter().filter_map(|slug| fields.get(slug).map(|v| (slug.clone(), v.clone()))).collect(),
        })
        .collect();
    Ok(PublicRecords { campaign: snap.campaign.slug.clone(), fields: public, items, next_cursor })
}

/// The fields whose values the public list shows.
pub fn public_fields(snap: &CampaignSnapshot) -> impl Iterator<Item = &Field> {
    snap.fields.iter().filter(|f| f.public && personal(f.field_type).is_none())
}

/// Why a field type is personal data, if it is.
fn personal(field_type: FieldType) -> Option<&'static str> {
    match field_type {
        FieldType::Email => Some("an email address"),
        FieldType::Phone => Some("a phone number"),
        _ => None,
    }
}

/// Marks a field public or not (super admins: it opens its values to
/// anyone holding the public token). Email and phone fields never are.
pub async fn set_field_public(
    svc: &Services,
    actor: Actor,
    campaign_id: i64,
    field_id: i64,
    public: bool,
) -> Result<Field, AppError> {
    actor.require(Permission::ManageOrgTokens)?;
    let now = svc.now();
    svc.tx(move |tx| {
        let campaign = campaign_for_update(tx, campaign_id)?;
        let field =
            Field::of_campaign(tx, campaign.id)?.into_iter().find(|f| f.id == field_id).ok_or(AppError::NotFound)?;
        if public && let Some(what) = personal(field.field_type) {
            return Err(AppError::conflict(format!(
                "`{}` holds {what}, which is personal data: it cannot be public.",
                field.slug
            )));
        }
        Field::set_public(tx, campaign.id, field.id, public)?;
        record(
            tx,
            now,
            &actor,
            AuditAction::FieldUpdated,
            &format!("{}/{}", campaign.slug, field.slug),
            json!({"public": public}),
        )?;
        changed(tx, campaign.id)?;
        Ok(Field { public, ..field })
    })
    .await
}

/// Counts as XML (the seed's data services speak XML too).
pub fn counts_xml(counts: &PublicCounts) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<counts campaign=\"{}\" total=\"{}\">\n", xml(&counts.campaign), counts.total));
    for (group, element, values) in
        [("by_status", "status", &counts.by_status), ("by_source", "source", &counts.by_source)]
    {
        out.push_str(&format!("  <{group}>\n"));
        for (slug, n) in values {
            out.push_str(&format!("    <{element} slug=\"{}\">{n}</{element}>\n", xml(slug)));
        }
        out.push_str(&format!("  </{group}>\n"));
    }
    out.push_str("</counts>\n");
    out
}

/// The public list as XML.
pub fn records_xml(page: &PublicRecords) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let next = page.next_cursor.as_deref().map(|c| format!(" next_cursor=\"{}\"", xml(c))).unwrap_or_default();
    out.push_str(&format!("<leads campaign=\"{}\"{next}>\n", xml(&page.campaign)));
    for lead in &page.items {
        out.push_str(&format!(
            "  <lead id=\"{}\" created_at=\"{}\" status=\"{}\">\n",
            lead.id,
            xml(&lead.created_at),
            xml(&lead.status)
        ));
        for (slug, value) in &lead.fields {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push_str(&format!("    <field slug=\"{}\">{}</field>\n", xml(slug), xml(&text)));
        }
        out.push_str("  </lead>\n");
    }
    out.push_str("</leads>\n");
    out
}

/// Text escaped for XML content and attributes. Characters XML 1.0 cannot
/// carry at all (control characters but tab and line breaks) are dropped.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_what_it_must_and_drops_what_it_cannot_carry() {
        assert_eq!(xml("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
        assert_eq!(xml("x\u{1}y\nz"), "xy\nz");
        let counts = PublicCounts {
            campaign: "s&p".into(),
            name: "S&P".into(),
            total: 3,
            by_status: BTreeMap::from([("new".into(), 3)]),
            by_source: BTreeMap::from([("api".into(), 3)]),
        };
        let doc = counts_xml(&counts);
        assert!(doc.contains("<counts campaign=\"s&amp;p\" total=\"3\">"), "{doc}");
        assert!(doc.contains("<status slug=\"new\">3</status>"), "{doc}");
    }
}
