//! A lead's file as the API answers it. (A lead itself is the shape of its
//! campaign: `services::leads` builds it from the campaign's fields.)

use serde::{Deserialize, Serialize};

use crate::api::view::At;
use crate::domain::{FileId, LeadId};
use crate::services::leads::files::FileInfo;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileView {
    pub id: FileId,
    pub lead_id: LeadId,
    pub name: String,
    pub size: u64,
    pub content_type: String,
    /// The content's SHA-256, in hex; also the download's `ETag`.
    pub sha256: String,
    pub created_at: At,
}

impl From<&FileInfo> for FileView {
    fn from(f: &FileInfo) -> Self {
        Self {
            id: FileId(f.id),
            lead_id: LeadId(f.lead_id),
            name: f.name.clone(),
            size: f.size,
            content_type: f.content_type.clone(),
            sha256: f.sha256.clone(),
            created_at: At(f.created_at),
        }
    }
}

/// A lead to create or change: the campaign's fields and select values by
/// slug, its status and relations (the campaign's document names each).
/// A change sends only what changes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadInput {
    /// Field slug → value.
    #[schema(value_type = Object)]
    pub fields: Option<serde_json::Value>,
    /// Select slug → option slug.
    #[schema(value_type = Object)]
    pub select_field_values: Option<serde_json::Value>,
    /// A status slug of the campaign.
    pub status: Option<String>,
    /// Relation slug → a lead id of the related campaign (or a list of ids).
    #[schema(value_type = Object)]
    pub relations: Option<serde_json::Value>,
}

/// A post after a ping: the ping's id and the whole lead.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostedLead {
    /// The `ping_id` the ping answered.
    pub ping_id: String,
    #[schema(value_type = Object)]
    pub fields: Option<serde_json::Value>,
    #[schema(value_type = Object)]
    pub select_field_values: Option<serde_json::Value>,
    pub status: Option<String>,
    #[schema(value_type = Object)]
    pub relations: Option<serde_json::Value>,
}

/// `GET /api/v1/campaigns/{c}/schema`: the campaign's structure as the
/// token sees it, with the JSON Schemas of a lead to create and to change
/// (the campaign's own document spells each field out).
pub struct SchemaDocument;

impl utoipa::PartialSchema for SchemaDocument {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        let object = || ObjectBuilder::new().schema_type(Type::Object);
        let list = || ArrayBuilder::new().items(object());
        ObjectBuilder::new()
            .property("campaign", object())
            .required("campaign")
            .property(
                "token",
                ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::Object, Type::Null])),
            )
            .property("fields", list())
            .required("fields")
            .property("selects", list())
            .required("selects")
            .property("statuses", list())
            .required("statuses")
            .property("sources", list())
            .required("sources")
            .property("relations", list())
            .required("relations")
            .property("file_types", ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)))
            .required("file_types")
            .property("create_schema", object())
            .required("create_schema")
            .property("update_schema", object())
            .required("update_schema")
            .into()
    }
}

impl utoipa::ToSchema for SchemaDocument {}
