//! A lead's body checked against its campaign's structure: each field's
//! value by its type, each select's option, the status, the relations, and
//! what a whole lead (or a part, for a ping or a change) must carry.

use serde_json::{Map, Value};
use time::Date;

use crate::domain::{FieldType, NUMBER_MAX};
use crate::error::FieldErrors;
use crate::services::campaigns::catalog::CampaignSnapshot;

use super::links::link_ids;

/// How much of a lead a request must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A whole lead: required fields must be there.
    Full,
    /// A ping or an update: only what is present is checked.
    Partial,
}

/// A lead's content, checked against the structure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadData {
    pub fields: Map<String, Value>,
    pub selects: Map<String, Value>,
    pub status: Option<String>,
    /// Links by relation id: the whole set for each relation named (empty:
    /// none). Whether the targets exist is checked when they are written.
    pub relations: Vec<(i64, Vec<i64>)>,
}

const TEXT_MAX: usize = 5000;

fn allowed(list: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = list.collect();
    if all.is_empty() { "none are defined".to_owned() } else { all.join(", ") }
}

/// Checks a value of a field type; returns the value to store.
fn check_value(field_type: FieldType, value: &Value) -> Result<Value, String> {
    match field_type {
        FieldType::Text => match value {
            Value::String(s) if s.chars().count() <= TEXT_MAX => Ok(Value::String(s.clone())),
            Value::String(_) => Err(format!("must be at most {TEXT_MAX} characters")),
            _ => Err("must be a string".to_owned()),
        },
        FieldType::Email => match value {
            Value::String(s) => crate::domain::EmailAddress::parse(s)
                .map(|e| Value::String(e.into_string()))
                .map_err(|_| format!("`{s}` is not a valid email address")),
            _ => Err("must be an email address as a string".to_owned()),
        },
        FieldType::Phone => match value {
            Value::String(s) => {
                let digits = s.chars().filter(char::is_ascii_digit).count();
                let ok_chars = s.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
                if ok_chars && (6..=20).contains(&digits) {
                    Ok(Value::String(s.trim().to_owned()))
                } else {
                    Err(format!("`{s}` is not a phone number (6 to 20 digits; spaces, +, -, ( ) and . allowed)"))
                }
            }
            _ => Err("must be a phone number as a string".to_owned()),
        },
        FieldType::Number => match value {
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.is_finite() && f.abs() <= NUMBER_MAX => Ok(value.clone()),
                _ => Err(format!("must be a number from -{0} to {0}", NUMBER_MAX as i64)),
            },
            _ => Err("must be a number".to_owned()),
        },
        FieldType::Date => match value {
            Value::String(s) => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                Date::parse(s, &format)
                    .map(|_| Value::String(s.clone()))
                    .map_err(|_| format!("`{s}` is not a date as YYYY-MM-DD"))
            }
            _ => Err("must be a date string as YYYY-MM-DD".to_owned()),
        },
    }
}

/// Checks a lead body against the campaign structure. `extra` names
/// top-level properties the caller handles itself (`ping_id`). Each step
/// adds what it accepts to the lead and what it refuses to the errors, so
/// one answer names every field in error.
pub fn validate(snap: &CampaignSnapshot, body: &Value, mode: Mode, extra: &[&str]) -> Result<LeadData, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(object) = body.as_object() else {
        errors.insert("body".into(), "must be a JSON object".into());
        return Err(errors);
    };
    if let Some(path) = crate::domain::nul_path(body, "") {
        errors.insert(path, "must not contain a NUL character (\\u0000)".into());
        return Err(errors);
    }
    let mut data = LeadData::default();
    known_properties(object, extra, &mut errors);
    check_fields(snap, object.get("fields"), &mut data, &mut errors);
    if mode == Mode::Full {
        require_fields(snap, &data, &mut errors);
    }
    check_selects(snap, object.get("select_field_values"), &mut data, &mut errors);
    check_status(snap, object.get("status"), &mut data, &mut errors);
    check_relations(snap, object.get("relations"), &mut data, &mut errors);
    require_relations(snap, mode, &data, &mut errors);
    if errors.is_empty() { Ok(data) } else { Err(errors) }
}

/// A lead has fields, select values, a status and relations; `extra` the
/// caller's own.
fn known_properties(body: &Map<String, Value>, extra: &[&str], errors: &mut FieldErrors) {
    for key in body.keys() {
        if !matches!(key.as_str(), "fields" | "select_field_values" | "status" | "relations")
            && !extra.contains(&key.as_str())
        {
            errors.insert(
                key.clone(),
                "unknown property: a lead has fields, select_field_values, status and relations".into(),
            );
        }
    }
}

/// A part of the lead given as an object (`None`: not given, or null); any
/// other JSON is refused under `key`, saying what it `must_be`.
fn object_at<'a>(
    given: Option<&'a Value>,
    key: &str,
    must_be: &str,
    errors: &mut FieldErrors,
) -> Option<&'a Map<String, Value>> {
    match given {
        None | Some(Value::Null) => None,
        Some(Value::Object(object)) => Some(object),
        Some(_) => {
            errors.insert(key.into(), must_be.into());
            None
        }
    }
}

/// Each field given: one of the campaign's, with a value of its type. A
/// null or blank value is no value.
fn check_fields(snap: &CampaignSnapshot, given: Option<&Value>, data: &mut LeadData, errors: &mut FieldErrors) {
    let Some(fields) = object_at(given, "fields", "must be an object of field slug to value", errors) else { return };
    for (slug, value) in fields {
        let Some(field) = snap.field(slug) else {
            let known = allowed(snap.fields.iter().map(|f| f.slug.clone()));
            errors.insert(format!("fields.{slug}"), format!("unknown field; the fields are: {known}"));
            continue;
        };
        if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
            continue;
        }
        match check_value(field.field_type, value) {
            Ok(v) => {
                data.fields.insert(slug.clone(), v);
            }
            Err(m) => {
                errors.insert(format!("fields.{slug}"), m);
            }
        }
    }
}

/// A whole lead carries every required field (one already refused is not
/// named twice).
fn require_fields(snap: &CampaignSnapshot, data: &LeadData, errors: &mut FieldErrors) {
    for field in snap.fields.iter().filter(|f| f.required) {
        let key = format!("fields.{}", field.slug);
        if !data.fields.contains_key(&field.slug) && !errors.contains_key(&key) {
            errors.insert(key, "is required".into());
        }
    }
}

/// Each select given: one of the campaign's, set to one of its options.
fn check_selects(snap: &CampaignSnapshot, given: Option<&Value>, data: &mut LeadData, errors: &mut FieldErrors) {
    let Some(values) =
        object_at(given, "select_field_values", "must be an object of select slug to option slug", errors)
    else {
        return;
    };
    for (slug, value) in values {
        let key = format!("select_field_values.{slug}");
        let Some(select) = snap.select(slug) else {
            let known = allowed(snap.selects.iter().map(|s| s.select.slug.clone()));
            errors.insert(key, format!("unknown select; the selects are: {known}"));
            continue;
        };
        match value {
            Value::Null => {}
            Value::String(option) if select.option(option).is_some() => {
                data.selects.insert(slug.clone(), value.clone());
            }
            _ => {
                let options = allowed(select.options.iter().map(|o| o.slug.clone()));
                errors.insert(key, format!("{value} is not an option of {slug}; allowed: {options}"));
            }
        }
    }
}

/// The status, if given: one of the campaign's.
fn check_status(snap: &CampaignSnapshot, given: Option<&Value>, data: &mut LeadData, errors: &mut FieldErrors) {
    match given {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if snap.status(s).is_some() => data.status = Some(s.clone()),
        Some(other) => {
            let known = allowed(snap.statuses.iter().map(|s| s.slug.clone()));
            errors.insert("status".into(), format!("{other} is not a status of this campaign; allowed: {known}"));
        }
    }
}

/// Each relation given: one of the campaign's, with one id or a list as
/// the relation takes (whether the leads exist is checked on writing).
fn check_relations(snap: &CampaignSnapshot, given: Option<&Value>, data: &mut LeadData, errors: &mut FieldErrors) {
    let Some(values) = object_at(given, "relations", "must be an object of relation slug to lead id(s)", errors) else {
        return;
    };
    for (slug, value) in values {
        let key = format!("relations.{slug}");
        let Some(spec) = snap.relation(slug) else {
            let known = allowed(snap.relations.iter().map(|r| r.relation.slug.clone()));
            errors.insert(key, format!("unknown relation; the relations are: {known}"));
            continue;
        };
        match link_ids(spec.relation.many, value) {
            Ok(ids) => data.relations.push((spec.relation.id, ids)),
            Err(m) => {
                errors.insert(key, m);
            }
        }
    }
}

/// A required relation is never emptied, and a whole lead names it.
fn require_relations(snap: &CampaignSnapshot, mode: Mode, data: &LeadData, errors: &mut FieldErrors) {
    for spec in snap.relations.iter().filter(|r| r.relation.required) {
        let key = format!("relations.{}", spec.relation.slug);
        let given = data.relations.iter().find(|(id, _)| *id == spec.relation.id);
        let missing = match (mode, given) {
            (_, Some((_, ids))) => ids.is_empty(),
            (Mode::Full, None) => true,
            (Mode::Partial, None) => false,
        };
        if missing && !errors.contains_key(&key) {
            errors.insert(key, "is required: link a lead of the target campaign".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::OffsetDateTime;

    use super::*;
    use crate::domain::OnDelete;
    use crate::models::relation::Relation;
    use crate::models::{Campaign, Field, Select, SelectOption, Status};
    use crate::services::campaigns::catalog::{RelationSpec, SelectSpec};

    /// A campaign with a required email, a number, a select and a required
    /// relation to many.
    fn snap() -> CampaignSnapshot {
        let now = OffsetDateTime::UNIX_EPOCH;
        let field = |id, slug: &str, field_type, required| Field {
            id,
            campaign_id: 1,
            slug: slug.into(),
            label: slug.into(),
            field_type,
            required,
            position: 0,
            public: false,
        };
        CampaignSnapshot {
            campaign: Campaign {
                id: 1,
                public_id: "p".into(),
                slug: "spring".into(),
                name: "Spring".into(),
                description: String::new(),
                token_enabled: false,
                archived_at: None,
                created_at: now,
                updated_at: now,
                file_types: vec![],
            },
            sources: vec![],
            fields: vec![field(1, "email", FieldType::Email, true), field(2, "amount", FieldType::Number, false)],
            selects: vec![SelectSpec {
                select: Select { id: 1, campaign_id: 1, slug: "partner".into(), label: "Partner".into() },
                options: vec![SelectOption {
                    id: 1,
                    select_id: 1,
                    slug: "ACME".into(),
                    label: "Acme".into(),
                    position: 0,
                }],
            }],
            statuses: vec![Status {
                id: 1,
                campaign_id: 1,
                slug: "new".into(),
                label: "New".into(),
                is_default: true,
                position: 0,
            }],
            filters: vec![],
            relations: vec![RelationSpec {
                relation: Relation {
                    id: 5,
                    campaign_id: 1,
                    slug: "accounts".into(),
                    label: "Accounts".into(),
                    target_campaign_id: 2,
                    many: true,
                    required: true,
                    on_delete: OnDelete::Restrict,
                    position: 0,
                },
                target_slug: "accounts".into(),
                target_name: "Accounts".into(),
            }],
            destinations: vec![],
        }
    }

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn unknown_properties_are_named_and_the_callers_own_are_not() {
        let mut errors = FieldErrors::new();
        known_properties(&object(json!({"fields": {}, "ping_id": "x", "colour": 1})), &["ping_id"], &mut errors);
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["colour"]);
    }

    #[test]
    fn fields_are_checked_by_type_and_blank_ones_are_no_value() {
        let (mut data, mut errors) = (LeadData::default(), FieldErrors::new());
        let given = json!({"email": "  ", "amount": "12", "colour": "red"});
        check_fields(&snap(), Some(&given), &mut data, &mut errors);
        assert!(data.fields.is_empty(), "{data:?}");
        assert_eq!(errors["fields.amount"], "must be a number");
        assert!(errors["fields.colour"].contains("the fields are: email, amount"), "{errors:?}");
        require_fields(&snap(), &data, &mut errors);
        assert_eq!(errors["fields.email"], "is required");
        let (mut data, mut errors) = (LeadData::default(), FieldErrors::new());
        check_fields(&snap(), Some(&json!({"email": "Ada@Example.com", "amount": 3})), &mut data, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(data.fields["amount"], 3);
        check_fields(&snap(), Some(&json!(["email"])), &mut data, &mut errors);
        assert!(errors["fields"].contains("must be an object"));
    }

    #[test]
    fn selects_take_only_their_options_and_a_status_only_the_campaigns() {
        let (mut data, mut errors) = (LeadData::default(), FieldErrors::new());
        check_selects(&snap(), Some(&json!({"partner": "OTHER"})), &mut data, &mut errors);
        assert!(errors["select_field_values.partner"].contains("allowed: ACME"), "{errors:?}");
        check_selects(&snap(), Some(&json!({"partner": "ACME"})), &mut data, &mut errors);
        assert_eq!(data.selects["partner"], "ACME");
        check_status(&snap(), Some(&json!("sold")), &mut data, &mut errors);
        assert!(errors["status"].contains("allowed: new"), "{errors:?}");
        check_status(&snap(), Some(&json!("new")), &mut data, &mut errors);
        assert_eq!(data.status.as_deref(), Some("new"));
    }

    #[test]
    fn a_required_relation_is_named_by_a_whole_lead_and_never_emptied() {
        let (data, mut errors) = (LeadData::default(), FieldErrors::new());
        require_relations(&snap(), Mode::Partial, &data, &mut errors);
        assert!(errors.is_empty(), "a change need not name it");
        require_relations(&snap(), Mode::Full, &data, &mut errors);
        assert!(errors["relations.accounts"].starts_with("is required"));
        let (mut data, mut errors) = (LeadData::default(), FieldErrors::new());
        check_relations(&snap(), Some(&json!({"accounts": []})), &mut data, &mut errors);
        require_relations(&snap(), Mode::Partial, &data, &mut errors);
        assert!(errors["relations.accounts"].starts_with("is required"), "emptied");
        let (mut data, mut errors) = (LeadData::default(), FieldErrors::new());
        check_relations(&snap(), Some(&json!({"accounts": [7, 8], "owner": 1})), &mut data, &mut errors);
        assert_eq!(data.relations, [(5, vec![7, 8])]);
        assert!(errors["relations.owner"].contains("the relations are: accounts"));
    }

    #[test]
    fn the_steps_together_name_every_field_in_error_at_once() {
        let body = json!({"fields": {"amount": "x"}, "select_field_values": {"partner": "NO"}, "status": 3});
        let errors = validate(&snap(), &body, Mode::Full, &[]).unwrap_err();
        let keys: Vec<&String> = errors.keys().collect();
        assert_eq!(
            keys,
            ["fields.amount", "fields.email", "relations.accounts", "select_field_values.partner", "status"]
        );
        let ok = json!({"fields": {"email": "a@example.com"}, "relations": {"accounts": [1]}});
        assert!(validate(&snap(), &ok, Mode::Full, &[]).is_ok());
        assert!(validate(&snap(), &json!("lead"), Mode::Full, &[]).unwrap_err().contains_key("body"));
    }
}
