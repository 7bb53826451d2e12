//! Campaigns and their structure: sources, fields, selects and options,
//! statuses, filters and their conditions.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::{campaigns, fields, filter_conditions, filters, select_options, selects, sources, statuses};
use crate::text_enum;

text_enum! {
    /// The kinds of traffic source (seed 000).
    pub enum SourceKind {
        CustomSource => "CS",
        MarketingPartner => "MP",
        MediaChannel => "MC",
    }
}

impl SourceKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::CustomSource => "Custom Source",
            Self::MarketingPartner => "Marketing Partner",
            Self::MediaChannel => "Media Channel",
        }
    }
}

text_enum! {
    /// What a field holds; intake validates values by it.
    pub enum FieldType {
        Text => "text",
        Email => "email",
        Phone => "phone",
        Number => "number",
        Date => "date",
    }
}

impl FieldType {
    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "Text",
            Self::Email => "Email",
            Self::Phone => "Phone",
            Self::Number => "Number",
            Self::Date => "Date (YYYY-MM-DD)",
        }
    }
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = campaigns, check_for_backend(diesel::pg::Pg))]
pub struct Campaign {
    pub id: i64,
    pub public_id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub token_enabled: bool,
    pub archived_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = sources, check_for_backend(diesel::pg::Pg))]
pub struct Source {
    pub id: i64,
    pub campaign_id: i64,
    pub slug: String,
    pub name: String,
    pub kind: SourceKind,
    pub form_token_enabled: bool,
    pub ping_token_enabled: bool,
    pub post_token_enabled: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = fields, check_for_backend(diesel::pg::Pg))]
pub struct Field {
    pub id: i64,
    pub campaign_id: i64,
    pub slug: String,
    pub label: String,
    pub field_type: FieldType,
    pub required: bool,
    pub position: i32,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = selects, check_for_backend(diesel::pg::Pg))]
pub struct Select {
    pub id: i64,
    pub campaign_id: i64,
    pub slug: String,
    pub label: String,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = select_options, check_for_backend(diesel::pg::Pg))]
pub struct SelectOption {
    pub id: i64,
    pub select_id: i64,
    pub slug: String,
    pub label: String,
    pub position: i32,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = statuses, check_for_backend(diesel::pg::Pg))]
pub struct Status {
    pub id: i64,
    pub campaign_id: i64,
    pub slug: String,
    pub label: String,
    pub is_default: bool,
    pub position: i32,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = filters, check_for_backend(diesel::pg::Pg))]
pub struct Filter {
    pub id: i64,
    pub campaign_id: i64,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = filter_conditions, check_for_backend(diesel::pg::Pg))]
pub struct FilterCondition {
    pub id: i64,
    pub filter_id: i64,
    pub select_id: i64,
    pub option_id: i64,
}

impl Campaign {
    pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Campaign> {
        campaigns::table.find(id).select(Campaign::as_select()).first(conn)
    }

    pub fn find_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<Campaign> {
        campaigns::table.find(id).select(Campaign::as_select()).for_update().first(conn)
    }

    /// By numeric id or by slug (slugs are never all digits).
    pub fn by_ref(conn: &mut PgConnection, reference: &str) -> QueryResult<Option<Campaign>> {
        let q = campaigns::table.select(Campaign::as_select());
        match reference.parse::<i64>() {
            Ok(id) => q.filter(campaigns::id.eq(id)).first(conn).optional(),
            Err(_) => q.filter(campaigns::slug.eq(reference)).first(conn).optional(),
        }
    }

    pub fn by_public_id(conn: &mut PgConnection, public_id: &str) -> QueryResult<Option<Campaign>> {
        campaigns::table.filter(campaigns::public_id.eq(public_id)).select(Campaign::as_select()).first(conn).optional()
    }

    pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<Campaign>> {
        campaigns::table
            .order((campaigns::archived_at.is_not_null(), campaigns::name))
            .select(Campaign::as_select())
            .load(conn)
    }

    pub fn insert(
        conn: &mut PgConnection,
        public_id: &str,
        slug: &str,
        name: &str,
        description: &str,
        now: OffsetDateTime,
    ) -> QueryResult<Campaign> {
        diesel::insert_into(campaigns::table)
            .values((
                campaigns::public_id.eq(public_id),
                campaigns::slug.eq(slug),
                campaigns::name.eq(name),
                campaigns::description.eq(description),
                campaigns::created_at.eq(now),
                campaigns::updated_at.eq(now),
            ))
            .returning(Campaign::as_returning())
            .get_result(conn)
    }

    pub fn update_details(
        conn: &mut PgConnection,
        id: i64,
        name: &str,
        description: &str,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        diesel::update(campaigns::table.find(id))
            .set((campaigns::name.eq(name), campaigns::description.eq(description), campaigns::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn set_archived(
        conn: &mut PgConnection,
        id: i64,
        at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        diesel::update(campaigns::table.find(id))
            .set((campaigns::archived_at.eq(at), campaigns::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn set_token_enabled(conn: &mut PgConnection, id: i64, enabled: bool, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(campaigns::table.find(id))
            .set((campaigns::token_enabled.eq(enabled), campaigns::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }
}

impl Source {
    pub fn find(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<Source> {
        sources::table
            .filter(sources::campaign_id.eq(campaign_id))
            .filter(sources::id.eq(id))
            .select(Source::as_select())
            .first(conn)
    }

    pub fn by_ref(conn: &mut PgConnection, campaign_id: i64, reference: &str) -> QueryResult<Option<Source>> {
        let q = sources::table.filter(sources::campaign_id.eq(campaign_id)).select(Source::as_select());
        match reference.parse::<i64>() {
            Ok(id) => q.filter(sources::id.eq(id)).first(conn).optional(),
            Err(_) => q.filter(sources::slug.eq(reference)).first(conn).optional(),
        }
    }

    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<Source>> {
        sources::table
            .filter(sources::campaign_id.eq(campaign_id))
            .order(sources::name)
            .select(Source::as_select())
            .load(conn)
    }

    pub fn insert(
        conn: &mut PgConnection,
        campaign_id: i64,
        slug: &str,
        name: &str,
        kind: SourceKind,
        now: OffsetDateTime,
    ) -> QueryResult<Source> {
        diesel::insert_into(sources::table)
            .values((
                sources::campaign_id.eq(campaign_id),
                sources::slug.eq(slug),
                sources::name.eq(name),
                sources::kind.eq(kind),
                sources::created_at.eq(now),
                sources::updated_at.eq(now),
            ))
            .returning(Source::as_returning())
            .get_result(conn)
    }

    pub fn update_details(
        conn: &mut PgConnection,
        id: i64,
        name: &str,
        kind: SourceKind,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        diesel::update(sources::table.find(id))
            .set((sources::name.eq(name), sources::kind.eq(kind), sources::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    /// The enable switch of one method's token.
    pub fn set_method_enabled(
        conn: &mut PgConnection,
        id: i64,
        kind: crate::tokens::TokenKind,
        enabled: bool,
        now: OffsetDateTime,
    ) -> QueryResult<()> {
        use crate::tokens::TokenKind::*;
        let target = sources::table.find(id);
        match kind {
            SourceForm => diesel::update(target)
                .set((sources::form_token_enabled.eq(enabled), sources::updated_at.eq(now)))
                .execute(conn),
            SourcePing => diesel::update(target)
                .set((sources::ping_token_enabled.eq(enabled), sources::updated_at.eq(now)))
                .execute(conn),
            _ => diesel::update(target)
                .set((sources::post_token_enabled.eq(enabled), sources::updated_at.eq(now)))
                .execute(conn),
        }
        .map(drop)
    }

    pub fn method_enabled(&self, kind: crate::tokens::TokenKind) -> bool {
        use crate::tokens::TokenKind::*;
        match kind {
            SourceForm => self.form_token_enabled,
            SourcePing => self.ping_token_enabled,
            SourcePost => self.post_token_enabled,
            _ => false,
        }
    }
}

impl Field {
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<Field>> {
        fields::table
            .filter(fields::campaign_id.eq(campaign_id))
            .order((fields::position, fields::id))
            .select(Field::as_select())
            .load(conn)
    }

    pub fn insert(
        conn: &mut PgConnection,
        campaign_id: i64,
        slug: &str,
        label: &str,
        field_type: FieldType,
        required: bool,
    ) -> QueryResult<Field> {
        let position: i32 = fields::table
            .filter(fields::campaign_id.eq(campaign_id))
            .select(diesel::dsl::max(fields::position))
            .first::<Option<i32>>(conn)?
            .map_or(0, |p| p + 1);
        diesel::insert_into(fields::table)
            .values((
                fields::campaign_id.eq(campaign_id),
                fields::slug.eq(slug),
                fields::label.eq(label),
                fields::field_type.eq(field_type),
                fields::required.eq(required),
                fields::position.eq(position),
            ))
            .returning(Field::as_returning())
            .get_result(conn)
    }

    pub fn update(
        conn: &mut PgConnection,
        campaign_id: i64,
        id: i64,
        label: &str,
        required: bool,
    ) -> QueryResult<usize> {
        diesel::update(fields::table.filter(fields::campaign_id.eq(campaign_id)).filter(fields::id.eq(id)))
            .set((fields::label.eq(label), fields::required.eq(required)))
            .execute(conn)
    }

    pub fn delete(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<usize> {
        diesel::delete(fields::table.filter(fields::campaign_id.eq(campaign_id)).filter(fields::id.eq(id)))
            .execute(conn)
    }
}

impl Select {
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<Select>> {
        selects::table
            .filter(selects::campaign_id.eq(campaign_id))
            .order(selects::id)
            .select(Select::as_select())
            .load(conn)
    }

    pub fn find(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<Select> {
        selects::table
            .filter(selects::campaign_id.eq(campaign_id))
            .filter(selects::id.eq(id))
            .select(Select::as_select())
            .first(conn)
    }

    pub fn insert(conn: &mut PgConnection, campaign_id: i64, slug: &str, label: &str) -> QueryResult<Select> {
        diesel::insert_into(selects::table)
            .values((selects::campaign_id.eq(campaign_id), selects::slug.eq(slug), selects::label.eq(label)))
            .returning(Select::as_returning())
            .get_result(conn)
    }

    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
        diesel::delete(selects::table.find(id)).execute(conn)
    }
}

impl SelectOption {
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<SelectOption>> {
        select_options::table
            .inner_join(selects::table)
            .filter(selects::campaign_id.eq(campaign_id))
            .order((select_options::select_id, select_options::position, select_options::id))
            .select(SelectOption::as_select())
            .load(conn)
    }

    pub fn insert(conn: &mut PgConnection, select_id: i64, slug: &str, label: &str) -> QueryResult<SelectOption> {
        let position: i32 = select_options::table
            .filter(select_options::select_id.eq(select_id))
            .select(diesel::dsl::max(select_options::position))
            .first::<Option<i32>>(conn)?
            .map_or(0, |p| p + 1);
        diesel::insert_into(select_options::table)
            .values((
                select_options::select_id.eq(select_id),
                select_options::slug.eq(slug),
                select_options::label.eq(label),
                select_options::position.eq(position),
            ))
            .returning(SelectOption::as_returning())
            .get_result(conn)
    }

    pub fn find(conn: &mut PgConnection, select_id: i64, id: i64) -> QueryResult<SelectOption> {
        select_options::table
            .filter(select_options::select_id.eq(select_id))
            .filter(select_options::id.eq(id))
            .select(SelectOption::as_select())
            .first(conn)
    }

    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
        diesel::delete(select_options::table.find(id)).execute(conn)
    }
}

impl Status {
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<Status>> {
        statuses::table
            .filter(statuses::campaign_id.eq(campaign_id))
            .order((statuses::position, statuses::id))
            .select(Status::as_select())
            .load(conn)
    }

    pub fn insert(conn: &mut PgConnection, campaign_id: i64, slug: &str, label: &str) -> QueryResult<Status> {
        let position: i32 = statuses::table
            .filter(statuses::campaign_id.eq(campaign_id))
            .select(diesel::dsl::max(statuses::position))
            .first::<Option<i32>>(conn)?
            .map_or(0, |p| p + 1);
        diesel::insert_into(statuses::table)
            .values((
                statuses::campaign_id.eq(campaign_id),
                statuses::slug.eq(slug),
                statuses::label.eq(label),
                statuses::position.eq(position),
            ))
            .returning(Status::as_returning())
            .get_result(conn)
    }

    /// Makes `id` the campaign's only default status.
    pub fn set_default(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<usize> {
        diesel::update(statuses::table.filter(statuses::campaign_id.eq(campaign_id)).filter(statuses::is_default))
            .set(statuses::is_default.eq(false))
            .execute(conn)?;
        diesel::update(statuses::table.filter(statuses::campaign_id.eq(campaign_id)).filter(statuses::id.eq(id)))
            .set(statuses::is_default.eq(true))
            .execute(conn)
    }

    pub fn delete(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<usize> {
        diesel::delete(statuses::table.filter(statuses::campaign_id.eq(campaign_id)).filter(statuses::id.eq(id)))
            .execute(conn)
    }
}

impl Filter {
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<Filter>> {
        filters::table
            .filter(filters::campaign_id.eq(campaign_id))
            .order(filters::name)
            .select(Filter::as_select())
            .load(conn)
    }

    pub fn find(conn: &mut PgConnection, campaign_id: i64, id: i64) -> QueryResult<Filter> {
        filters::table
            .filter(filters::campaign_id.eq(campaign_id))
            .filter(filters::id.eq(id))
            .select(Filter::as_select())
            .first(conn)
    }

    pub fn insert(conn: &mut PgConnection, campaign_id: i64, name: &str, now: OffsetDateTime) -> QueryResult<Filter> {
        diesel::insert_into(filters::table)
            .values((
                filters::campaign_id.eq(campaign_id),
                filters::name.eq(name),
                filters::created_at.eq(now),
                filters::updated_at.eq(now),
            ))
            .returning(Filter::as_returning())
            .get_result(conn)
    }

    pub fn rename(conn: &mut PgConnection, id: i64, name: &str, now: OffsetDateTime) -> QueryResult<()> {
        diesel::update(filters::table.find(id))
            .set((filters::name.eq(name), filters::updated_at.eq(now)))
            .execute(conn)
            .map(drop)
    }

    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
        diesel::delete(filters::table.find(id)).execute(conn)
    }
}

impl FilterCondition {
    pub fn of_campaign(conn: &mut PgConnection, campaign_id: i64) -> QueryResult<Vec<FilterCondition>> {
        filter_conditions::table
            .inner_join(filters::table)
            .filter(filters::campaign_id.eq(campaign_id))
            .order(filter_conditions::id)
            .select(FilterCondition::as_select())
            .load(conn)
    }

    pub fn replace(conn: &mut PgConnection, filter_id: i64, conditions: &[(i64, i64)]) -> QueryResult<()> {
        diesel::delete(filter_conditions::table.filter(filter_conditions::filter_id.eq(filter_id))).execute(conn)?;
        let rows: Vec<_> = conditions
            .iter()
            .map(|(s, o)| {
                (
                    filter_conditions::filter_id.eq(filter_id),
                    filter_conditions::select_id.eq(*s),
                    filter_conditions::option_id.eq(*o),
                )
            })
            .collect();
        diesel::insert_into(filter_conditions::table).values(rows).execute(conn).map(drop)
    }

    /// Filters that use an option (or any option of a select).
    pub fn count_using_option(conn: &mut PgConnection, option_id: i64) -> QueryResult<i64> {
        filter_conditions::table.filter(filter_conditions::option_id.eq(option_id)).count().get_result(conn)
    }

    pub fn count_using_select(conn: &mut PgConnection, select_id: i64) -> QueryResult<i64> {
        filter_conditions::table.filter(filter_conditions::select_id.eq(select_id)).count().get_result(conn)
    }
}
