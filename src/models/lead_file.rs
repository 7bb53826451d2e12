//! Lead files: a row of metadata each, and their bytes in numbered chunks
//! (`lead_file_chunks`, which only this module touches).

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::{lead_file_chunks, lead_files};

/// The size of a stored chunk: a range request reads only the chunks it
/// needs, and no chunk is large for PostgreSQL or for memory.
pub const CHUNK_BYTES: usize = 256 * 1024;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = lead_files, check_for_backend(diesel::pg::Pg))]
pub struct LeadFile {
    pub id: i64,
    pub lead_id: i64,
    pub campaign_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    pub created_at: OffsetDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = lead_files)]
pub struct NewLeadFile<'a> {
    pub lead_id: i64,
    pub campaign_id: i64,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a [u8],
    pub created_at: OffsetDateTime,
}

impl LeadFile {
    pub fn insert(conn: &mut PgConnection, new: &NewLeadFile<'_>) -> QueryResult<LeadFile> {
        diesel::insert_into(lead_files::table).values(new).returning(LeadFile::as_returning()).get_result(conn)
    }

    pub fn insert_chunk(conn: &mut PgConnection, file_id: i64, seq: i32, data: &[u8]) -> QueryResult<()> {
        diesel::insert_into(lead_file_chunks::table)
            .values((
                lead_file_chunks::file_id.eq(file_id),
                lead_file_chunks::seq.eq(seq),
                lead_file_chunks::data.eq(data),
            ))
            .execute(conn)
            .map(drop)
    }

    /// A lead's files, oldest first.
    pub fn of_lead(conn: &mut PgConnection, lead_id: i64) -> QueryResult<Vec<LeadFile>> {
        lead_files::table
            .filter(lead_files::lead_id.eq(lead_id))
            .order(lead_files::id)
            .select(LeadFile::as_select())
            .load(conn)
    }

    /// File `id` of lead `lead_id`.
    pub fn find_of_lead(conn: &mut PgConnection, lead_id: i64, id: i64) -> QueryResult<Option<LeadFile>> {
        lead_files::table
            .filter(lead_files::id.eq(id))
            .filter(lead_files::lead_id.eq(lead_id))
            .select(LeadFile::as_select())
            .first(conn)
            .optional()
    }

    /// Chunk `seq` of a file (empty past its end).
    pub fn chunk(conn: &mut PgConnection, file_id: i64, seq: i32) -> QueryResult<Vec<u8>> {
        lead_file_chunks::table
            .filter(lead_file_chunks::file_id.eq(file_id))
            .filter(lead_file_chunks::seq.eq(seq))
            .select(lead_file_chunks::data)
            .first(conn)
            .optional()
            .map(Option::unwrap_or_default)
    }

    /// Deletes a file and its chunks.
    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
        diesel::delete(lead_files::table.find(id)).execute(conn)
    }
}
