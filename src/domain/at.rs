//! A moment as every answer writes it: RFC 3339, with its schema.

use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

/// A moment, answered in RFC 3339 (`2026-12-07T10:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At(pub OffsetDateTime);

impl Serialize for At {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::clock::rfc3339(self.0))
    }
}

impl PartialSchema for At {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .examples([serde_json::json!("2026-12-07T10:00:00Z")])
            .into()
    }
}

impl ToSchema for At {}

impl From<OffsetDateTime> for At {
    fn from(t: OffsetDateTime) -> Self {
        Self(t)
    }
}

/// `Option<OffsetDateTime>` → `Option<At>`.
pub fn at(t: Option<OffsetDateTime>) -> Option<At> {
    t.map(At)
}
