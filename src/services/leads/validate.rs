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
/// top-level properties the caller handles itself (`ping_id`).
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
    let body = object;
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

    let mut data = LeadData::default();
    match body.get("fields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(fields)) => {
            for (slug, value) in fields {
                let Some(field) = snap.field(slug) else {
                    errors.insert(
                        format!("fields.{slug}"),
                        format!(
                            "unknown field; the fields are: {}",
                            allowed(snap.fields.iter().map(|f| f.slug.clone()))
                        ),
                    );
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
        Some(_) => {
            errors.insert("fields".into(), "must be an object of field slug to value".into());
        }
    }
    if mode == Mode::Full {
        for field in snap.fields.iter().filter(|f| f.required) {
            let key = format!("fields.{}", field.slug);
            if !data.fields.contains_key(&field.slug) && !errors.contains_key(&key) {
                errors.insert(key, "is required".into());
            }
        }
    }

    match body.get("select_field_values") {
        None | Some(Value::Null) => {}
        Some(Value::Object(values)) => {
            for (slug, value) in values {
                let key = format!("select_field_values.{slug}");
                let Some(select) = snap.select(slug) else {
                    errors.insert(
                        key,
                        format!(
                            "unknown select; the selects are: {}",
                            allowed(snap.selects.iter().map(|s| s.select.slug.clone()))
                        ),
                    );
                    continue;
                };
                match value {
                    Value::Null => {}
                    Value::String(option) if select.option(option).is_some() => {
                        data.selects.insert(slug.clone(), value.clone());
                    }
                    _ => {
                        errors.insert(
                            key,
                            format!(
                                "{value} is not an option of {slug}; allowed: {}",
                                allowed(select.options.iter().map(|o| o.slug.clone()))
                            ),
                        );
                    }
                }
            }
        }
        Some(_) => {
            errors.insert("select_field_values".into(), "must be an object of select slug to option slug".into());
        }
    }

    match body.get("status") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if snap.status(s).is_some() => data.status = Some(s.clone()),
        Some(other) => {
            errors.insert(
                "status".into(),
                format!(
                    "{other} is not a status of this campaign; allowed: {}",
                    allowed(snap.statuses.iter().map(|s| s.slug.clone()))
                ),
            );
        }
    }

    match body.get("relations") {
        None | Some(Value::Null) => {}
        Some(Value::Object(values)) => {
            for (slug, value) in values {
                let key = format!("relations.{slug}");
                let Some(spec) = snap.relation(slug) else {
                    errors.insert(
                        key,
                        format!(
                            "unknown relation; the relations are: {}",
                            allowed(snap.relations.iter().map(|r| r.relation.slug.clone()))
                        ),
                    );
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
        Some(_) => {
            errors.insert("relations".into(), "must be an object of relation slug to lead id(s)".into());
        }
    }
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

    if errors.is_empty() { Ok(data) } else { Err(errors) }
}
