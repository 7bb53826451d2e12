//! CSV for downloads. Cells that a spreadsheet would run as a formula (they
//! start with `=`, `+`, `-`, `@`, tab or carriage return) get a leading `'`.

use std::borrow::Cow;

pub fn safe_cell(value: &str) -> Cow<'_, str> {
    match value.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

/// One CSV record (with its line ending), every cell made safe.
pub fn record<'a>(cells: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    let cells: Vec<Cow<'_, str>> = cells.into_iter().map(safe_cell).collect();
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(cells.iter().map(|c| c.as_ref()));
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(safe_cell(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(safe_cell("ann@example.com"), "ann@example.com");
    }

    #[test]
    fn records_are_quoted() {
        assert_eq!(record(["a,b", "=x", "q\"q"]), b"\"a,b\",'=x,\"q\"\"q\"\n".to_vec());
    }
}
