//! Measures an xlsx file before calamine reads it. calamine inflates every part and holds a
//! sheet's whole used rectangle (first cell to last) in memory, so a file of a few kilobytes
//! holding only `A1` and `XFD1048576` asks for terabytes. The zip's central directory gives
//! the declared unpacked sizes; the parts are then inflated as a stream (counting what really
//! comes out) and each sheet's `<dimension>` and cell references give its rectangle.

use crate::AppError;
use crate::config::ImportsConfig;
use patron_domain::FieldError;
use quick_xml::events::{BytesStart, Event};
use std::io::{BufReader, Read};

/// The bounds of a table, in the units they are checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableLimits {
    pub max_rows: u64,
    pub max_columns: u64,
    pub max_cells: u64,
    pub max_unpacked_bytes: u64,
}

impl From<&ImportsConfig> for TableLimits {
    fn from(c: &ImportsConfig) -> Self {
        Self {
            max_rows: c.max_rows,
            max_columns: c.max_columns,
            max_cells: c.max_cells,
            max_unpacked_bytes: c.max_unpacked_mib.saturating_mul(1024 * 1024),
        }
    }
}

impl Default for TableLimits {
    fn default() -> Self {
        Self::from(&ImportsConfig::default())
    }
}

fn unreadable() -> AppError {
    FieldError::new("file", "error.import.unreadable").into()
}

fn too_big_unpacked() -> AppError {
    FieldError::new("file", "error.import.unpacked_size").into()
}

/// Refuses an xlsx file whose parts unpack to more than the limit or one of whose sheets
/// spans more rows, columns or cells than allowed. Every sheet is checked, not only the first
/// one the import reads: finding the first one needs the workbook's relations, and a huge
/// second sheet in an import file is a mistake anyway.
pub(crate) fn check_xlsx(bytes: &[u8], limits: &TableLimits) -> Result<(), AppError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| unreadable())?;
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|_| unreadable())?;
        declared = declared.saturating_add(part.size());
    }
    if declared > limits.max_unpacked_bytes {
        return Err(too_big_unpacked());
    }
    // The declared sizes may lie: count what inflating really yields, stopping at the limit.
    let mut unpacked: u64 = 0;
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(|_| unreadable())?;
        let is_sheet = part.name().is_ok_and(|n| {
            n.starts_with("xl/worksheets/") && n.ends_with(".xml") && !n[14..].contains('/')
        });
        let budget = limits.max_unpacked_bytes - unpacked;
        let mut counted = Counted {
            inner: part.take(budget + 1),
            count: 0,
        };
        if is_sheet {
            check_sheet(&mut counted, limits)?;
        }
        std::io::copy(&mut counted, &mut std::io::sink()).map_err(|_| unreadable())?;
        unpacked += counted.count;
        if unpacked > limits.max_unpacked_bytes {
            return Err(too_big_unpacked());
        }
    }
    Ok(())
}

struct Counted<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// The used rectangle seen so far (1-based rows and columns).
#[derive(Default)]
struct Rectangle {
    rows: Option<(u64, u64)>,
    columns: Option<(u64, u64)>,
}

impl Rectangle {
    fn add(&mut self, row: u64, column: u64) {
        let widen = |span: &mut Option<(u64, u64)>, v: u64| {
            *span = Some(match *span {
                None => (v, v),
                Some((lo, hi)) => (lo.min(v), hi.max(v)),
            });
        };
        widen(&mut self.rows, row);
        widen(&mut self.columns, column);
    }

    fn check(&self, limits: &TableLimits) -> Result<(), AppError> {
        let span = |s: Option<(u64, u64)>| s.map_or(0, |(lo, hi)| hi - lo + 1);
        let (rows, columns) = (span(self.rows), span(self.columns));
        if rows > limits.max_rows {
            return Err(FieldError::new("file", "error.import.too_many_rows").into());
        }
        if columns > limits.max_columns {
            return Err(FieldError::new("file", "error.import.too_many_columns").into());
        }
        if rows.saturating_mul(columns) > limits.max_cells {
            return Err(FieldError::new("file", "error.import.too_many_cells").into());
        }
        Ok(())
    }
}

/// `XFD1048576` as (row 1048576, column 16384); `None` if it is not a cell reference.
fn cell_ref(r: &[u8]) -> Option<(u64, u64)> {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let (col, row) = r.split_at(letters);
    if letters == 0 || letters > 3 || row.is_empty() || !row.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let column = col.iter().fold(0u64, |acc, b| {
        acc * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row = std::str::from_utf8(row).ok()?.parse().ok()?;
    Some((row, column))
}

fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| a.value.into_owned())
}

/// Reads one sheet's XML as a stream. Cells without a reference follow the previous one, as
/// calamine places them.
fn check_sheet(part: impl Read, limits: &TableLimits) -> Result<(), AppError> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let mut used = Rectangle::default();
    let (mut row, mut column) = (0u64, 0u64);
    let mut seen: u64 = 0;
    loop {
        let event = xml.read_event_into(&mut buf).map_err(|_| unreadable())?;
        match &event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "dimension" => {
                    let mut declared = Rectangle::default();
                    let value = attribute(e, "ref").unwrap_or_default();
                    for corner in value.split(':') {
                        if let Some((r, c)) = cell_ref(corner.as_bytes()) {
                            declared.add(r, c);
                        }
                    }
                    declared.check(limits)?;
                }
                "row" => {
                    row = attribute(e, "r")
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(row + 1);
                    column = 0;
                }
                "c" => {
                    (row, column) = attribute(e, "r")
                        .and_then(|r| cell_ref(r.as_bytes()))
                        .unwrap_or((row.max(1), column + 1));
                    used.add(row, column);
                    seen += 1;
                    // Checked now and then, so a huge sheet is refused before its end.
                    if seen.is_multiple_of(4096) {
                        used.check(limits)?;
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    used.check(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references() {
        assert_eq!(cell_ref(b"A1"), Some((1, 1)));
        assert_eq!(cell_ref(b"XFD1048576"), Some((1_048_576, 16_384)));
        assert_eq!(cell_ref(b"aa10"), Some((10, 27)));
        assert_eq!(cell_ref(b"10"), None);
        assert_eq!(cell_ref(b"A"), None);
    }

    #[test]
    fn a_sheet_spanning_the_whole_grid_is_refused() {
        let xml = br#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row>
            <row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>"#;
        let e = check_sheet(&xml[..], &TableLimits::default()).expect_err("refused");
        assert_eq!(e.field_errors()[0].key, "error.import.too_many_columns");
        let tall = br#"<worksheet><dimension ref="A1:B2000000"/></worksheet>"#;
        let e = check_sheet(&tall[..], &TableLimits::default()).expect_err("refused");
        assert_eq!(e.field_errors()[0].key, "error.import.too_many_rows");
        let fine =
            br#"<worksheet><sheetData><row><c><v>1</v></c><c/></row></sheetData></worksheet>"#;
        assert!(check_sheet(&fine[..], &TableLimits::default()).is_ok());
    }
}
