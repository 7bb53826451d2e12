//! A lead's relations to leads of other campaigns: the ids a value names,
//! written and read.

use std::collections::HashMap;

use diesel::PgConnection;
use serde_json::Value;

use crate::error::{AppError, FieldErrors};
use crate::models::lead_link::LeadLink;
use crate::services::campaigns::catalog::CampaignSnapshot;

use super::access::LeadAccess;

/// The lead ids a relation's value names: one id, or (for a relation to
/// many) a list; `null` or `[]` names none.
pub(super) fn link_ids(many: bool, value: &Value) -> Result<Vec<i64>, String> {
    let id = |v: &Value| v.as_i64().filter(|n| *n > 0);
    match (many, value) {
        (_, Value::Null) => Ok(Vec::new()),
        (false, v) => id(v).map(|n| vec![n]).ok_or_else(|| "must be one lead id (a positive integer)".to_owned()),
        (true, Value::Array(items)) => {
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                let n = id(item).ok_or_else(|| format!("{item} is not a lead id (a positive integer)"))?;
                if !ids.contains(&n) {
                    ids.push(n);
                }
            }
            if ids.len() > LINKS_MAX {
                return Err(format!("link at most {LINKS_MAX} leads"));
            }
            Ok(ids)
        }
        (true, _) => Err("must be a list of lead ids".to_owned()),
    }
}

/// The most leads one relation of one lead may link to.
const LINKS_MAX: usize = 1000;

/// Writes a lead's links for the relations `data` names, once every target
/// is known to be a lead of the relation's target campaign, and (for the
/// token's own campaign) inside the token's filter: a hidden lead is as
/// missing as one that does not exist.
pub(in crate::services) fn link(
    conn: &mut PgConnection,
    snap: &CampaignSnapshot,
    access: Option<&LeadAccess>,
    lead_id: i64,
    relations: &[(i64, Vec<i64>)],
) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    for (relation_id, targets) in relations {
        let Some(spec) = snap.relation_by_id(*relation_id) else { continue };
        let rel = &spec.relation;
        let found = LeadLink::existing(conn, rel.target_campaign_id, targets)?;
        let visible: Vec<i64> = found
            .iter()
            .filter(|(_, selects)| {
                rel.target_campaign_id != snap.campaign.id
                    || access.is_none_or(|a| selects.as_object().is_some_and(|s| a.allows(s)))
            })
            .map(|(id, _)| *id)
            .collect();
        let missing: Vec<String> = targets.iter().filter(|t| !visible.contains(t)).map(i64::to_string).collect();
        if missing.is_empty() {
            LeadLink::replace(conn, lead_id, rel.id, targets)?;
        } else {
            errors.insert(
                format!("relations.{}", rel.slug),
                format!("no lead {} in campaign `{}` that this token may see", missing.join(", "), spec.target_slug),
            );
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
}

/// The links of these leads, by lead; no query when the campaign has no
/// relations.
pub(in crate::services) fn links_of(
    conn: &mut PgConnection,
    snap: &CampaignSnapshot,
    lead_ids: &[i64],
) -> Result<HashMap<i64, Vec<LeadLink>>, AppError> {
    let mut by_lead: HashMap<i64, Vec<LeadLink>> = HashMap::new();
    if snap.relations.is_empty() || lead_ids.is_empty() {
        return Ok(by_lead);
    }
    for l in LeadLink::of_leads(conn, lead_ids)? {
        by_lead.entry(l.lead_id).or_default().push(l);
    }
    Ok(by_lead)
}
