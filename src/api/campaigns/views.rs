//! A campaign and the parts of its structure as the API answers them:
//! one view per resource, the same for create, get, list item and change.

use serde::Serialize;

use crate::api::view::{At, at};
use crate::domain::{
    CampaignId, FieldId, FieldType, FilterId, IntakeMethod, OnDelete, OptionId, RelationId, SelectId, SourceId,
    SourceKind, StatusId,
};
use crate::services::campaigns::catalog::{Campaign, Field, FilterSpec, RelationSpec, SelectSpec, Source, Status};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignView {
    pub id: CampaignId,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The id the campaign's public docs and widget use.
    pub public_id: String,
    /// Whether the campaign token decides intake for sources without their own.
    pub token_enabled: bool,
    /// Content types accepted as lead files.
    pub file_types: Vec<String>,
    pub archived_at: Option<At>,
    pub created_at: At,
}

impl From<&Campaign> for CampaignView {
    fn from(c: &Campaign) -> Self {
        Self {
            id: CampaignId(c.id),
            slug: c.slug.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            public_id: c.public_id.clone(),
            token_enabled: c.token_enabled,
            file_types: c.file_types().into_iter().map(str::to_owned).collect(),
            archived_at: at(c.archived_at),
            created_at: At(c.created_at),
        }
    }
}

/// Which intake methods of a source require their own token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SourceTokens {
    pub form: bool,
    pub ping: bool,
    pub post: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SourceView {
    pub id: SourceId,
    pub slug: String,
    pub name: String,
    pub kind: SourceKind,
    pub tokens: SourceTokens,
}

impl From<&Source> for SourceView {
    fn from(s: &Source) -> Self {
        Self {
            id: SourceId(s.id),
            slug: s.slug.clone(),
            name: s.name.clone(),
            kind: s.kind,
            tokens: SourceTokens {
                form: s.method_enabled(IntakeMethod::Form),
                ping: s.method_enabled(IntakeMethod::Ping),
                post: s.method_enabled(IntakeMethod::Post),
            },
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldView {
    pub id: FieldId,
    pub slug: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub required: bool,
    /// Its values may be listed through the account public token.
    pub public: bool,
}

impl From<&Field> for FieldView {
    fn from(f: &Field) -> Self {
        Self {
            id: FieldId(f.id),
            slug: f.slug.clone(),
            label: f.label.clone(),
            field_type: f.field_type,
            required: f.required,
            public: f.public,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OptionView {
    pub id: OptionId,
    pub slug: String,
    pub label: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SelectView {
    pub id: SelectId,
    pub slug: String,
    pub label: String,
    pub options: Vec<OptionView>,
}

impl From<&SelectSpec> for SelectView {
    fn from(s: &SelectSpec) -> Self {
        Self {
            id: SelectId(s.select.id),
            slug: s.select.slug.clone(),
            label: s.select.label.clone(),
            options: s
                .options
                .iter()
                .map(|o| OptionView { id: OptionId(o.id), slug: o.slug.clone(), label: o.label.clone() })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusView {
    pub id: StatusId,
    pub slug: String,
    pub label: String,
    /// The status new leads get.
    pub default: bool,
}

impl From<&Status> for StatusView {
    fn from(s: &Status) -> Self {
        Self { id: StatusId(s.id), slug: s.slug.clone(), label: s.label.clone(), default: s.is_default }
    }
}

/// `select = option`; a filter's conditions are ANDed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConditionView {
    pub select: String,
    pub option: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FilterView {
    pub id: FilterId,
    pub name: String,
    pub conditions: Vec<ConditionView>,
}

impl From<&FilterSpec> for FilterView {
    fn from(f: &FilterSpec) -> Self {
        Self {
            id: FilterId(f.filter.id),
            name: f.filter.name.clone(),
            conditions: f
                .conditions
                .iter()
                .map(|c| ConditionView { select: c.select_slug.clone(), option: c.option_slug.clone() })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RelationView {
    pub id: RelationId,
    pub slug: String,
    pub label: String,
    /// The slug of the campaign whose leads this relation links to.
    pub target_campaign: String,
    pub many: bool,
    pub required: bool,
    pub on_delete: OnDelete,
}

impl From<&RelationSpec> for RelationView {
    fn from(r: &RelationSpec) -> Self {
        Self {
            id: RelationId(r.relation.id),
            slug: r.relation.slug.clone(),
            label: r.relation.label.clone(),
            target_campaign: r.target_slug.clone(),
            many: r.relation.many,
            required: r.relation.required,
            on_delete: r.relation.on_delete,
        }
    }
}
