//! The words of bulk data: the formats leads travel in (export and
//! import), and how an import runs.

use crate::text_enum;

text_enum! {
    /// How leads are written in bulk: CSV with a header row, or one JSON
    /// lead per line.
    pub enum LeadFormat {
        Csv => "csv",
        Ndjson => "ndjson",
    }
}

impl LeadFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Ndjson => "application/x-ndjson",
        }
    }
}

text_enum! {
    /// What an import does with a bad row.
    pub enum ImportMode {
        /// One transaction: any bad row, and nothing is stored.
        AllOrNothing => "all_or_nothing",
        /// Good rows are stored; bad ones are reported.
        Partial => "partial",
    }
}

text_enum! {
    pub enum ImportState {
        Running => "running",
        Done => "done",
        /// Stopped by something other than its rows (a restart, the
        /// database): see its failure.
        Failed => "failed",
    }
}
