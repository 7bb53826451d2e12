//! The links of leads through their campaign's relations.

use diesel::prelude::*;

use crate::domain::OnDelete;
use crate::schema::{lead_links, leads, relations};

/// One link: `lead_id` → `target_id` through `relation_id`.
#[derive(Queryable, Selectable, Debug, Clone, Copy, PartialEq, Eq)]
#[diesel(table_name = lead_links, check_for_backend(diesel::pg::Pg))]
pub struct LeadLink {
    pub lead_id: i64,
    pub relation_id: i64,
    pub target_id: i64,
}

/// A link that keeps a lead from being deleted.
#[derive(Debug, Clone)]
pub struct Blocking {
    pub lead_id: i64,
    pub relation_slug: String,
}

/// A link for `COPY`.
#[derive(Insertable, Debug)]
#[diesel(table_name = lead_links, treat_none_as_default_value = false)]
pub struct CopyLink {
    pub lead_id: i64,
    pub relation_id: i64,
    pub target_id: i64,
}

impl LeadLink {
    pub fn copy_in(conn: &mut PgConnection, rows: &[CopyLink]) -> QueryResult<usize> {
        diesel::copy_from(lead_links::table).from_insertable(rows).execute(conn)
    }

    /// The links of these leads, by lead, relation and target.
    pub fn of_leads(conn: &mut PgConnection, lead_ids: &[i64]) -> QueryResult<Vec<LeadLink>> {
        lead_links::table
            .filter(lead_links::lead_id.eq_any(lead_ids))
            .order((lead_links::lead_id, lead_links::relation_id, lead_links::target_id))
            .select(LeadLink::as_select())
            .load(conn)
    }

    /// Replaces a lead's links through one relation.
    pub fn replace(conn: &mut PgConnection, lead_id: i64, relation_id: i64, targets: &[i64]) -> QueryResult<()> {
        diesel::delete(
            lead_links::table.filter(lead_links::lead_id.eq(lead_id)).filter(lead_links::relation_id.eq(relation_id)),
        )
        .execute(conn)?;
        let rows: Vec<_> = targets
            .iter()
            .map(|t| {
                (lead_links::lead_id.eq(lead_id), lead_links::relation_id.eq(relation_id), lead_links::target_id.eq(*t))
            })
            .collect();
        diesel::insert_into(lead_links::table).values(rows).on_conflict_do_nothing().execute(conn).map(drop)
    }

    /// Which of `ids` are leads of campaign `campaign_id` (locked against
    /// deletion until the transaction ends).
    pub fn existing(
        conn: &mut PgConnection,
        campaign_id: i64,
        ids: &[i64],
    ) -> QueryResult<Vec<(i64, serde_json::Value)>> {
        leads::table
            .filter(leads::campaign_id.eq(campaign_id))
            .filter(leads::id.eq_any(ids))
            .select((leads::id, leads::selects))
            .for_share()
            .load(conn)
    }

    /// Links to `target_id` through relations that refuse its deletion.
    pub fn blocking(conn: &mut PgConnection, target_id: i64, limit: i64) -> QueryResult<Vec<Blocking>> {
        lead_links::table
            .inner_join(relations::table)
            .filter(lead_links::target_id.eq(target_id))
            .filter(relations::on_delete.eq(OnDelete::Restrict))
            .order(lead_links::lead_id)
            .limit(limit)
            .select((lead_links::lead_id, relations::slug))
            .load::<(i64, String)>(conn)
            .map(|rows| rows.into_iter().map(|(lead_id, relation_slug)| Blocking { lead_id, relation_slug }).collect())
    }
}
