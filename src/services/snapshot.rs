//! A campaign and its whole structure, loaded together: what intake
//! validates against, what the leads API scopes by, what the public
//! documentation and the console's campaign pages describe.

use diesel::prelude::*;
use serde_json::{Map, Value};

use crate::error::AppError;
use crate::models::destination::Destination;
use crate::models::relation::Relation;
use crate::models::{Campaign, Field, Filter, FilterCondition, Select, SelectOption, Source, Status};

#[derive(Debug, Clone)]
pub struct SelectSpec {
    pub select: Select,
    pub options: Vec<SelectOption>,
}

impl SelectSpec {
    pub fn option(&self, slug: &str) -> Option<&SelectOption> {
        self.options.iter().find(|o| o.slug == slug)
    }
}

/// One "select = option" condition, with slugs and labels resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionSpec {
    pub select_id: i64,
    pub option_id: i64,
    pub select_slug: String,
    pub select_label: String,
    pub option_slug: String,
    pub option_label: String,
}

#[derive(Debug, Clone)]
pub struct FilterSpec {
    pub filter: Filter,
    pub conditions: Vec<ConditionSpec>,
}

impl FilterSpec {
    /// Whether a lead with these select values is inside the filter.
    pub fn matches(&self, selects: &Map<String, Value>) -> bool {
        self.conditions
            .iter()
            .all(|c| selects.get(&c.select_slug).and_then(Value::as_str) == Some(c.option_slug.as_str()))
    }

    /// The conditions as a JSON object, for `selects @> ...` queries.
    pub fn containment(&self) -> Value {
        Value::Object(
            self.conditions.iter().map(|c| (c.select_slug.clone(), Value::String(c.option_slug.clone()))).collect(),
        )
    }

    /// `select_partner = SELECT_PARTNER AND ...`
    pub fn describe(&self) -> String {
        self.conditions
            .iter()
            .map(|c| format!("{} = {}", c.select_slug, c.option_slug))
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

/// A relation, with its target campaign's slug and name.
#[derive(Debug, Clone)]
pub struct RelationSpec {
    pub relation: Relation,
    pub target_slug: String,
    pub target_name: String,
}

/// A destination, with its filter as select values a lead must carry.
#[derive(Debug, Clone)]
pub struct DestinationSpec {
    pub destination: Destination,
    pub filter: Option<FilterSpec>,
}

impl DestinationSpec {
    /// Whether a lead with these select values is for this destination.
    pub fn takes(&self, selects: &Map<String, Value>) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(selects))
    }
}

#[derive(Debug, Clone)]
pub struct CampaignSnapshot {
    pub campaign: Campaign,
    pub sources: Vec<Source>,
    pub fields: Vec<Field>,
    pub selects: Vec<SelectSpec>,
    pub statuses: Vec<Status>,
    pub filters: Vec<FilterSpec>,
    pub relations: Vec<RelationSpec>,
    /// Where its events go (paused ones too: their events queue).
    pub destinations: Vec<DestinationSpec>,
}

impl CampaignSnapshot {
    pub(in crate::services) fn load(conn: &mut PgConnection, campaign: Campaign) -> QueryResult<Self> {
        let id = campaign.id;
        let sources = Source::of_campaign(conn, id)?;
        let fields = Field::of_campaign(conn, id)?;
        let mut options = SelectOption::of_campaign(conn, id)?;
        let selects: Vec<SelectSpec> = Select::of_campaign(conn, id)?
            .into_iter()
            .map(|select| {
                let (mine, rest): (Vec<_>, Vec<_>) = options.drain(..).partition(|o| o.select_id == select.id);
                options = rest;
                SelectSpec { select, options: mine }
            })
            .collect();
        let statuses = Status::of_campaign(conn, id)?;
        let conditions = FilterCondition::of_campaign(conn, id)?;
        let filters: Vec<FilterSpec> = Filter::of_campaign(conn, id)?
            .into_iter()
            .map(|filter| {
                let conditions = conditions
                    .iter()
                    .filter(|c| c.filter_id == filter.id)
                    .filter_map(|c| {
                        let s = selects.iter().find(|s| s.select.id == c.select_id)?;
                        let o = s.options.iter().find(|o| o.id == c.option_id)?;
                        Some(ConditionSpec {
                            select_id: s.select.id,
                            option_id: o.id,
                            select_slug: s.select.slug.clone(),
                            select_label: s.select.label.clone(),
                            option_slug: o.slug.clone(),
                            option_label: o.label.clone(),
                        })
                    })
                    .collect();
                FilterSpec { filter, conditions }
            })
            .collect();
        let relations = Relation::of_campaign(conn, id)?
            .into_iter()
            .map(|(relation, target_slug, target_name)| RelationSpec { relation, target_slug, target_name })
            .collect();
        let destinations = Destination::of_campaign(conn, id)?
            .into_iter()
            .map(|destination| {
                let filter = destination.filter_id.and_then(|f| filters.iter().find(|s| s.filter.id == f)).cloned();
                DestinationSpec { destination, filter }
            })
            .collect();
        Ok(Self { campaign, sources, fields, selects, statuses, filters, relations, destinations })
    }

    pub(in crate::services) fn load_id(conn: &mut PgConnection, id: i64) -> Result<Self, AppError> {
        let campaign = Campaign::find(conn, id)?;
        Ok(Self::load(conn, campaign)?)
    }

    pub fn field(&self, slug: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.slug == slug)
    }

    pub fn select(&self, slug: &str) -> Option<&SelectSpec> {
        self.selects.iter().find(|s| s.select.slug == slug)
    }

    pub fn status(&self, slug: &str) -> Option<&Status> {
        self.statuses.iter().find(|s| s.slug == slug)
    }

    pub fn default_status(&self) -> Option<&Status> {
        self.statuses.iter().find(|s| s.is_default).or_else(|| self.statuses.first())
    }

    /// The destinations that want `event` about a lead with these selects.
    pub fn destinations_for<'a>(
        &'a self,
        event: &'a str,
        selects: &'a Map<String, Value>,
    ) -> impl Iterator<Item = &'a DestinationSpec> + 'a {
        self.destinations.iter().filter(move |d| d.destination.wants(event) && d.takes(selects))
    }

    pub fn relation(&self, slug: &str) -> Option<&RelationSpec> {
        self.relations.iter().find(|r| r.relation.slug == slug)
    }

    pub fn relation_by_id(&self, id: i64) -> Option<&RelationSpec> {
        self.relations.iter().find(|r| r.relation.id == id)
    }

    pub fn filter(&self, id: i64) -> Option<&FilterSpec> {
        self.filters.iter().find(|f| f.filter.id == id)
    }

    pub fn source(&self, id: i64) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// A source by id or slug.
    pub fn source_ref(&self, reference: &str) -> Option<&Source> {
        match reference.parse::<i64>() {
            Ok(id) => self.source(id),
            Err(_) => self.sources.iter().find(|s| s.slug == reference),
        }
    }
}
