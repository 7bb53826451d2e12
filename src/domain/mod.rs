//! The shared vocabulary, below every other layer: validated values (each
//! type can only be built by parsing, so a function that takes an
//! `EmailAddress` or a `Role` never checks it again) and the words both the
//! routes and the rules speak: token kinds and statuses, intake methods and
//! levels, the actor, audit actions. Imports nothing above `error`.

mod actor;
mod at;
mod audit;
mod email;
mod file_type;
mod ids;
mod import;
mod intake;
mod role;
mod scope;
mod slug;
mod structure;
mod token_kind;
mod token_limits;
mod token_status;
mod webhook;

pub use actor::Actor;
pub use at::{At, at};
pub use audit::AuditAction;
pub use email::EmailAddress;
pub use file_type::{FileType, SNIFF_LEN, Sniffer};
pub use ids::{
    AuditId, CampaignId, DeliveryId, DestinationId, FieldId, FileId, FilterId, ImportId, LeadId, MailId, OptionId,
    RelationId, SelectId, SourceId, StatusId, TokenId, UserId,
};
pub use import::{ImportMode, ImportState, LeadFormat};
pub use intake::{Level, LevelSwitches};
pub use role::{API_USER_HANDLE_PREFIX, Permission, Role, UserKind};
pub use scope::{Scope, ScopeColumns};
pub use slug::{Ident, Slug};
pub use structure::{FieldType, LinkPurpose, NUMBER_MAX, OnDelete, SourceKind};
pub use token_kind::{IntakeMethod, PREFIX_LEN, TokenKind, normalise_key};
pub use token_limits::{ALLOWLIST_MAX, Allowlist, PER_MINUTE_MAX, PER_SECOND_MAX, RateLimit};
pub use token_status::TokenStatus;
pub use webhook::{DestinationRules, DestinationUrl, WebhookEvent, check_address};

/// The JSON path (`fields.name`, `options[2].label`) of the first string
/// holding a NUL character (which no PostgreSQL text can store), if any.
pub fn nul_path(value: &serde_json::Value, at: &str) -> Option<String> {
    let join = |key: &str| if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => {
            Some(if at.is_empty() { "body".to_owned() } else { at.to_owned() })
        }
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| nul_path(v, &format!("{at}[{i}]")))
        }
        serde_json::Value::Object(map) => map
            .iter()
            .find_map(|(k, v)| if k.contains('\0') { Some(join(&k.replace('\0', ""))) } else { nul_path(v, &join(k)) }),
        _ => None,
    }
}

/// Declares a fieldless enum stored as TEXT: `as_str`, `FromStr`, `Display`
/// and the diesel conversions, from one list of `Variant => "text"` pairs.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("`{}` is not a valid {}", other, stringify!($name))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let s = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(bytes)?;
                Ok(s.parse()?)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::nul_path;

    #[test]
    fn the_path_of_a_nul_is_named() {
        assert_eq!(nul_path(&json!({"fields": {"name": "a\u{0}b"}}), ""), Some("fields.name".into()));
        assert_eq!(
            nul_path(&json!({"options": [{"slug": "x"}, {"label": "\u{0}"}]}), ""),
            Some("options[1].label".into())
        );
        assert_eq!(nul_path(&json!("\u{0}"), ""), Some("body".into()));
        assert_eq!(nul_path(&json!({"fields": {"name": "fine"}}), ""), None);
    }
}
