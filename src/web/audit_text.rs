//! The audit log in sentences: "boss@example.test created the account
//! private token kw_prv_… for sam@example.test". The details a sentence
//! does not say stay as labelled fields; a token a user acted through is a
//! quiet "via API token", never its key. A leaf: it imports no screen.

use serde_json::Value;

use crate::domain::AuditAction as A;
use crate::services::audit::AuditEvent;

/// One event as the log shows it.
pub struct Line {
    pub actor: String,
    /// What the actor did, after their name.
    pub phrase: String,
    /// The details the phrase does not already say.
    pub fields: Vec<(String, String)>,
    pub via_token: bool,
}

fn text(details: &Value, key: &str) -> Option<String> {
    match details.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// "personal" → "personal", "account_private" → "account private".
fn kind(details: &Value) -> String {
    text(details, "kind").map(|k| k.replace('_', " ")).unwrap_or_default()
}

fn role(details: &Value, key: &str) -> String {
    text(details, key).map(|r| r.replace('_', " ")).unwrap_or_default()
}

pub fn line(e: &AuditEvent) -> Line {
    let d = &e.details;
    let t = e.target.as_str();
    let k = kind(d);
    let a_kind = |noun: &str| if k.is_empty() { noun.to_owned() } else { format!("{k} {noun}") };
    let owner = text(d, "owner").or_else(|| text(d, "assigned_to")).or_else(|| text(d, "user"));
    let for_owner = owner.as_ref().map(|o| format!(" for {o}")).unwrap_or_default();
    // The phrase, and the detail keys it says: every action is named, so
    // the compiler lists one that has no sentence.
    let (phrase, said): (String, &[&str]) = match e.action.parse::<A>() {
        Ok(A::SetupCompleted) => ("completed the first-run setup".into(), &[]),
        Ok(A::SignedIn) => ("signed in".into(), &[]),
        Ok(A::SignedOut) => ("signed out".into(), &[]),
        Ok(A::SignInFailed) => (format!("failed to sign in as {t}"), &[]),
        Ok(A::UserCreated) => (format!("created the user {t}"), &["role"]),
        Ok(A::UserInvited) => (format!("invited {t} as {}", role(d, "role")), &["role"]),
        Ok(A::InvitationResent) => (format!("sent {t} a new invitation"), &[]),
        Ok(A::InvitationAccepted) => (format!("accepted the invitation of {t}"), &[]),
        Ok(A::PasswordResetRequested) => (format!("asked for a password reset for {t}"), &[]),
        Ok(A::PasswordReset) => (format!("reset the password of {t}"), &[]),
        Ok(A::PasswordChanged) => ("changed their password".into(), &[]),
        Ok(A::ProfileUpdated) => ("updated their profile".into(), &[]),
        Ok(A::RoleChanged) => {
            (format!("changed the role of {t} from {} to {}", role(d, "from"), role(d, "to")), &["from", "to"])
        }
        Ok(A::UserDeactivated) => (format!("deactivated {t}"), &[]),
        Ok(A::UserReactivated) => (format!("reactivated {t}"), &[]),
        Ok(A::ApiTokenAllowedChanged) => (format!("changed whether {t} may hold an API token"), &[]),
        Ok(A::UserTokensRevoked) => (format!("revoked every token of {t}"), &[]),
        Ok(A::ApiUserCreated) => (format!("created the API user {t}"), &["role"]),
        Ok(A::TokenCreated) => {
            (format!("created the {} {t}{for_owner}", a_kind("token")), &["kind", "owner", "assigned_to", "user"])
        }
        Ok(A::TokenRegenerated) => match text(d, "replaces") {
            Some(old) => (format!("regenerated the {} {old} as {t}", a_kind("token")), &["kind", "replaces"]),
            None => (format!("generated the {} {t}", a_kind("token")), &["kind"]),
        },
        Ok(A::TokenReset) => match text(d, "replaces") {
            Some(old) => (format!("reset the {} {old} as {t}", a_kind("token")), &["kind", "replaces"]),
            None => (format!("generated the {} {t}", a_kind("token")), &["kind"]),
        },
        Ok(A::TokenShown) => (format!("revealed the {} {t}", a_kind("token")), &["kind"]),
        Ok(A::TokenRevoked) => (format!("revoked the {} {t}", a_kind("token")), &["kind"]),
        Ok(A::TokenDeactivated) => (format!("deactivated the {} {t}", a_kind("token")), &["kind"]),
        Ok(A::TokenActivated) => (format!("reactivated the {} {t}", a_kind("token")), &["kind"]),
        Ok(A::TokenDeleted) => (format!("deleted the {} {t}", a_kind("token")), &["kind"]),
        Ok(A::TokenExpired) => (format!("deleted the expired {} {t}", a_kind("token")), &["kind"]),
        Ok(A::ExpiryWarningSent) => (format!("warned that {t} expires soon"), &[]),
        Ok(A::TokenAccessChanged) => (format!("changed the access of {t}"), &[]),
        Ok(A::TokenChecked) => ("checked a pasted token".into(), &[]),
        Ok(A::TokenLimitsChanged) => (format!("changed the limits of {t}"), &["kind"]),
        Ok(A::GraceEnded) => (format!("ended the grace period of {t}"), &["kind"]),
        Ok(A::IpRefused) => (format!("was refused: {t} is not allowed from this address"), &[]),
        Ok(A::TokenLeaked) => (format!("reported {t} found in public"), &["kind"]),
        Ok(A::LeakReported) => ("sent a leak report".into(), &[]),
        Ok(A::TokenUsed) => (format!("used {t}"), &[]),
        Ok(A::LevelEnabled) => (format!("turned token authentication on for the {t}"), &["kind"]),
        Ok(A::LevelDisabled) => (format!("turned token authentication off for the {t}"), &["kind"]),
        Ok(A::TokenPolicyChanged) => (format!("changed the token policy of {t}"), &["kind"]),
        Ok(A::LeakActionChanged) => ("changed what a leak report does".into(), &[]),
        Ok(A::DestinationRulesChanged) => ("changed the destination rules".into(), &[]),
        Ok(
            A::CampaignCreated
            | A::CampaignUpdated
            | A::CampaignArchived
            | A::CampaignRestored
            | A::SourceCreated
            | A::SourceUpdated
            | A::FieldCreated
            | A::FieldUpdated
            | A::FieldDeleted
            | A::SelectCreated
            | A::SelectDeleted
            | A::OptionAdded
            | A::OptionDeleted
            | A::StatusCreated
            | A::DefaultStatusChanged
            | A::StatusDeleted
            | A::RelationCreated
            | A::DestinationCreated
            | A::DestinationPaused
            | A::DestinationResumed
            | A::DestinationTested
            | A::DeliveryRedelivered
            | A::RelationDeleted
            | A::FilterCreated
            | A::FilterUpdated
            | A::FilterDeleted,
        )
        | Err(_) => {
            // "campaign.created" → "created the campaign spring"; an
            // action an older version stored reads the same way.
            let other = e.action.as_str();
            let (noun, verb) = other.split_once('.').unwrap_or(("", other));
            (format!("{} the {noun} {t}", verb.replace('_', " ")).trim_end().to_owned(), &[])
        }
    };
    let fields = match d {
        Value::Object(map) => map
            .iter()
            .filter(|(k, v)| !v.is_null() && k.as_str() != "via_token" && !said.contains(&k.as_str()))
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.replace('_', " "), v)
            })
            .collect(),
        _ => Vec::new(),
    };
    Line { actor: e.actor.clone(), phrase, fields, via_token: d.get("via_token").is_some() }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(action: &str, target: &str, details: Value) -> AuditEvent {
        AuditEvent {
            id: 1,
            at: time::OffsetDateTime::now_utc(),
            actor_id: Some(1),
            actor: "boss@example.test".into(),
            action: action.into(),
            target: target.into(),
            ip: None,
            details,
        }
    }

    #[test]
    fn events_read_as_sentences() {
        let l = line(&event(
            "token.created",
            "kw_prv_AbCd1234",
            json!({"kind": "account_private", "assigned_to": "sam@example.test", "description": "export"}),
        ));
        assert_eq!(
            format!("{} {}", l.actor, l.phrase),
            "boss@example.test created the account private token kw_prv_AbCd1234 for sam@example.test"
        );
        assert_eq!(l.fields, [("description".to_owned(), "export".to_owned())]);
        let l = line(&event("user.role_changed", "bob@example.test", json!({"from": "member", "to": "super_admin"})));
        assert_eq!(l.phrase, "changed the role of bob@example.test from member to super admin");
        assert!(l.fields.is_empty());
        let l = line(&event("campaign.created", "spring", json!({"via_token": "kw_pat_AbCd1234"})));
        assert_eq!(l.phrase, "created the campaign spring");
        assert!(l.via_token && l.fields.is_empty(), "the key is never shown");
    }
}
