//! A lead as the API takes it, and a lead's file as it answers it. (A lead
//! itself is the shape of its campaign: `services::leads` builds it from
//! the campaign's fields, and its file view with it.)

use serde::{Deserialize, Serialize};

use utoipa::openapi::schema::Object;

use crate::api::campaigns::views::{FieldView, FilterView, RelationView, SelectView, SourceView, StatusView};
use crate::domain::CampaignId;
use crate::services::leads::CampaignStructure;
use crate::services::leads::document::{LeadShape, lead_input_schema};
pub use crate::services::leads::files::FileView;

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
/// token sees it, each part in the view the management API answers it in,
/// with the JSON Schemas of a lead to create and to change (narrowed by the
/// token's filter).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SchemaView {
    pub campaign: CampaignRef,
    /// The presenting token's rights.
    pub token: Option<TokenRights>,
    pub fields: Vec<FieldView>,
    pub selects: Vec<SelectView>,
    pub statuses: Vec<StatusView>,
    pub sources: Vec<SourceView>,
    pub relations: Vec<RelationView>,
    /// Content types accepted as lead files.
    pub file_types: Vec<String>,
    /// A lead to create, as a JSON Schema.
    #[schema(value_type = Object)]
    pub create_schema: Object,
    /// A change to a lead, as a JSON Schema.
    #[schema(value_type = Object)]
    pub update_schema: Object,
}

/// Which campaign.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignRef {
    pub id: CampaignId,
    pub slug: String,
    pub name: String,
}

/// What a campaign API token may do there.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenRights {
    pub key: String,
    pub read: bool,
    pub write: bool,
    /// The filter every lead it reads or writes must match.
    pub filter: Option<FilterView>,
}

impl SchemaView {
    pub fn new(s: &CampaignStructure) -> Self {
        let snap = &s.snap;
        let filter = s.access.filter.as_ref();
        Self {
            campaign: CampaignRef {
                id: CampaignId(snap.campaign.id),
                slug: snap.campaign.slug.clone(),
                name: snap.campaign.name.clone(),
            },
            token: Some(TokenRights {
                key: s.key.clone(),
                read: s.access.read,
                write: s.access.write,
                filter: filter.map(FilterView::from),
            }),
            fields: snap.fields.iter().map(FieldView::from).collect(),
            selects: snap.selects.iter().map(SelectView::from).collect(),
            statuses: snap.statuses.iter().map(StatusView::from).collect(),
            sources: snap.sources.iter().map(SourceView::from).collect(),
            relations: snap.relations.iter().map(RelationView::from).collect(),
            file_types: snap.campaign.file_types().into_iter().map(str::to_owned).collect(),
            create_schema: lead_input_schema(snap, filter, LeadShape::Create).build(),
            update_schema: lead_input_schema(snap, filter, LeadShape::Update).build(),
        }
    }
}
