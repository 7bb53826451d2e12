//! Group commit for new leads. A lead that is one row and nothing else
//! (no links, no webhook event, no Idempotency-Key: see
//! [`crate::services::leads::plain`]) from intake or the leads API joins the inserts
//! of the moment: one multi-row `INSERT … RETURNING`, a transaction of its
//! own, one commit for the batch. Each request is answered when that
//! statement has committed, so every 201 is durable.
//!
//! A bad row fails alone: when the batch's statement fails, its halves
//! are written apart (and theirs, down to single rows), so only the row
//! that fails on its own is refused. Everything else (pings, posts, keyed requests, leads with links
//! or webhook events) keeps its own transaction and its rules.

use std::sync::Arc;

use diesel::PgConnection;
use serde_json::Value;

use crate::db::Db;
use crate::db::batch::Batcher;
use crate::error::AppError;
use crate::models::{Lead, LeadRow};

/// Rows per statement, and statements in flight at once. One at a time
/// was measured best (intake at 32 connections: 11,600 leads/s with one
/// in flight, 10,600 with two, 8,200 with four): the cost is per batch,
/// in hand-offs between threads, more than in PostgreSQL's commit.
const MAX_ROWS: usize = 500;
const IN_FLIGHT: usize = 1;

/// A new lead waiting for its batch: its row, and how its answer is made
/// from the lead as stored (the caller knows the campaign's shape).
pub struct PendingLead {
    pub row: LeadRow,
    pub answer: Box<dyn FnOnce(&Lead) -> Value + Send>,
}

pub type LeadWriter = Batcher<PendingLead, Value>;

pub fn lead_writer(db: Db) -> LeadWriter {
    Batcher::new("lead insert", db, MAX_ROWS, IN_FLIGHT, Arc::new(write))
}

/// Writes a batch; each lead's answer is made from its stored row.
fn write(conn: &mut PgConnection, batch: Vec<PendingLead>) -> Result<Vec<Result<Value, AppError>>, AppError> {
    let (rows, answers): (Vec<LeadRow>, Vec<_>) = batch.into_iter().map(|p| (p.row, p.answer)).unzip();
    let written = insert(conn, rows)?;
    Ok(written.into_iter().zip(answers).map(|(lead, answer)| lead.map(|lead| answer(&lead))).collect())
}

/// One statement for all. If it fails on a live connection, each half is
/// tried on its own, and so on down: a bad row fails alone, and its
/// batch-mates are written in a few statements, not one each.
fn insert(conn: &mut PgConnection, rows: Vec<LeadRow>) -> Result<Vec<Result<Lead, AppError>>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    match Lead::insert_many(conn, &rows) {
        Ok(leads) if leads.len() == rows.len() => Ok(leads.into_iter().map(Ok).collect()),
        Ok(_) => Err(lost()),
        Err(e) if crate::db::ping(conn).is_err() => Err(e.into()),
        Err(e) if rows.len() == 1 => Ok(vec![Err(e.into())]),
        Err(e) => {
            tracing::warn!(error = %e, rows = rows.len(), "a grouped lead insert failed; writing its halves apart");
            let mut first = rows;
            let second = first.split_off(first.len() / 2);
            let mut written = insert(conn, first)?;
            written.extend(insert(conn, second)?);
            Ok(written)
        }
    }
}

fn lost() -> AppError {
    AppError::Internal(crate::error::Cause::msg("a grouped insert returned fewer leads than rows"))
}
