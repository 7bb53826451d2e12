//! The rows of an import: CSV columns matched to the campaign's fields, or
//! NDJSON objects, each read into a lead's body.

use crate::domain::{FieldType, LeadFormat};
use crate::error::AppError;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::io::{BufRead as _, BufReader, Seek as _};

/// Rows read, checked and stored together.
pub const BATCH: usize = 5000;
use crate::services::campaigns::catalog::CampaignSnapshot;

/// What a CSV column holds.
#[derive(Debug, Clone)]
pub(super) enum Column {
    Field(String, FieldType),
    Select(String),
    Status,
    Source,
    Relation(String, bool),
    /// Written by the export, ignored by the import.
    Ignored,
}

/// The columns of a CSV header, against the campaign: `fields.email` or
/// `email`, `select_field_values.partner` or `partner`, `status`,
/// `source`, `relations.account`; the export's `id`, `created_at` and
/// `updated_at` are ignored, so an export imports again.
pub(super) fn columns(header: &csv::StringRecord, snap: &CampaignSnapshot) -> Result<Vec<Column>, AppError> {
    let mut columns = Vec::new();
    let mut seen = HashSet::new();
    for name in header.iter() {
        let name = name.trim().trim_start_matches('\u{feff}');
        if !seen.insert(name.to_owned()) {
            return Err(AppError::invalid("header", format!("the column `{name}` appears twice")));
        }
        let bare = name.split_once('.').map_or(name, |(_, rest)| rest);
        let column = match name {
            "id" | "created_at" | "updated_at" => Column::Ignored,
            "status" => Column::Status,
            "source" => Column::Source,
            _ if name.starts_with("relations.") => {
                let r = snap.relation(bare).ok_or_else(|| unknown_column(name, snap))?;
                Column::Relation(bare.to_owned(), r.relation.many)
            }
            _ if !name.starts_with("select_field_values.") && snap.field(bare).is_some() => {
                let f = snap.field(bare).ok_or_else(|| unknown_column(name, snap))?;
                Column::Field(bare.to_owned(), f.field_type)
            }
            _ if !name.starts_with("fields.") && snap.select(bare).is_some() => Column::Select(bare.to_owned()),
            _ => return Err(unknown_column(name, snap)),
        };
        columns.push(column);
    }
    Ok(columns)
}

pub(super) fn unknown_column(name: &str, snap: &CampaignSnapshot) -> AppError {
    let mut known: Vec<String> = snap.fields.iter().map(|f| f.slug.clone()).collect();
    known.extend(snap.selects.iter().map(|s| s.select.slug.clone()));
    known.extend(["status".to_owned(), "source".to_owned()]);
    known.extend(snap.relations.iter().map(|r| format!("relations.{}", r.relation.slug)));
    AppError::invalid("header", format!("the column `{name}` is not one of this campaign's: {}", known.join(", ")))
}

/// A CSV cell as the JSON value the API would take.
pub(super) fn cell_value(column: &Column, cell: &str) -> Option<Value> {
    let cell = cell.trim();
    if cell.is_empty() {
        return None;
    }
    let integer = |s: &str| s.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(s.to_owned()));
    Some(match column {
        Column::Field(_, FieldType::Number) => match cell.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => cell
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Value::String(cell.to_owned()), Value::Number),
        },
        Column::Relation(_, true) => Value::Array(
            cell.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).map(integer).collect(),
        ),
        Column::Relation(_, false) => integer(cell),
        _ => Value::String(cell.to_owned()),
    })
}

/// The rows of an import's body, one lead (as the leads API's JSON) each.
pub(super) enum Rows {
    Csv { reader: csv::Reader<std::fs::File>, columns: Vec<Column>, record: csv::StringRecord, row: u64 },
    Ndjson { lines: BufReader<std::fs::File>, line: String, row: u64 },
}

impl Rows {
    pub(super) fn open(format: LeadFormat, mut file: std::fs::File, snap: &CampaignSnapshot) -> Result<Self, AppError> {
        file.rewind().map_err(AppError::internal)?;
        Ok(match format {
            LeadFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
                let header = reader
                    .headers()
                    .map_err(|e| AppError::invalid("header", format!("the CSV header cannot be read: {e}")))?
                    .clone();
                let columns = columns(&header, snap)?;
                Rows::Csv { reader, columns, record: csv::StringRecord::new(), row: 0 }
            }
            LeadFormat::Ndjson => Rows::Ndjson { lines: BufReader::new(file), line: String::new(), row: 0 },
        })
    }

    pub(super) fn into_file(self) -> std::fs::File {
        match self {
            Rows::Csv { reader, .. } => reader.into_inner(),
            Rows::Ndjson { lines, .. } => lines.into_inner(),
        }
    }

    /// The next row: its number (from 1, the CSV header not counted; for
    /// NDJSON, the line), and the lead or why it cannot be read.
    pub(super) fn next(&mut self) -> Option<(u64, Result<Value, String>)> {
        match self {
            Rows::Csv { reader, columns, record, row } => {
                *row += 1;
                match reader.read_record(record) {
                    Ok(false) => None,
                    Err(e) => Some((*row, Err(format!("the row cannot be read: {e}")))),
                    Ok(true) if record.len() != columns.len() => {
                        Some((*row, Err(format!("has {} cells; the header has {}", record.len(), columns.len()))))
                    }
                    Ok(true) => {
                        let (mut fields, mut selects, mut relations) = (Map::new(), Map::new(), Map::new());
                        let mut lead = Map::new();
                        for (column, cell) in columns.iter().zip(record.iter()) {
                            let Some(value) = cell_value(column, cell) else { continue };
                            match column {
                                Column::Field(slug, _) => drop(fields.insert(slug.clone(), value)),
                                Column::Select(slug) => drop(selects.insert(slug.clone(), value)),
                                Column::Relation(slug, _) => drop(relations.insert(slug.clone(), value)),
                                Column::Status => drop(lead.insert("status".into(), value)),
                                Column::Source => drop(lead.insert("source".into(), value)),
                                Column::Ignored => {}
                            }
                        }
                        lead.insert("fields".into(), Value::Object(fields));
                        lead.insert("select_field_values".into(), Value::Object(selects));
                        if !relations.is_empty() {
                            lead.insert("relations".into(), Value::Object(relations));
                        }
                        Some((*row, Ok(Value::Object(lead))))
                    }
                }
            }
            Rows::Ndjson { lines, line, row } => loop {
                line.clear();
                *row += 1;
                match lines.read_line(line) {
                    Ok(0) => return None,
                    Err(e) => return Some((*row, Err(format!("the line cannot be read: {e}")))),
                    Ok(_) if line.trim().is_empty() => continue,
                    Ok(_) => {
                        return Some((
                            *row,
                            serde_json::from_str::<Value>(line).map_err(|e| format!("is not JSON: {e}")),
                        ));
                    }
                }
            },
        }
    }

    pub(super) fn batch(&mut self) -> Vec<(u64, Result<Value, String>)> {
        std::iter::from_fn(|| self.next()).take(BATCH).collect()
    }
}
