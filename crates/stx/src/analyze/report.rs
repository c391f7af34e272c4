//! How the results are printed: the table for people, one JSON object per frame,
//! CSV, and the listing of a single file. Every form names the figures as the
//! image history does, from one list ([`fields`]).

use std::fmt::Write;

use super::flags::Flag;
use super::measure::Measured;

/// A measured frame and its flags.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Row<'a> {
    pub(crate) frame: &'a Measured,
    pub(crate) flags: &'a [Flag],
}

/// One printed value.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Count(usize),
    Flags(Vec<Flag>),
    /// Not in the header, or not measured (stars on a dark).
    Missing,
}

impl Cell {
    fn text(v: Option<&str>) -> Cell {
        v.map_or(Cell::Missing, |s| Cell::Text(s.to_owned()))
    }

    fn number(v: Option<f64>) -> Cell {
        v.filter(|v| v.is_finite()).map_or(Cell::Missing, Cell::Number)
    }

    fn count(v: Option<usize>) -> Cell {
        v.map_or(Cell::Missing, Cell::Count)
    }

    /// As JSON. Rust's shortest round-trip formatting of a finite number is JSON.
    fn json(&self) -> String {
        match self {
            Cell::Text(s) => serde_json::Value::from(s.as_str()).to_string(),
            Cell::Number(v) => v.to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Flags(f) => {
                format!("[{}]", f.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(","))
            }
            Cell::Missing => "null".to_owned(),
        }
    }

    /// As plain text: numbers in full, flags joined by blanks, nothing for missing.
    fn plain(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(v) => v.to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Flags(f) => f.iter().map(|f| f.name()).collect::<Vec<_>>().join(" "),
            Cell::Missing => String::new(),
        }
    }

    /// As a table cell: numbers to `decimals`, "-" for missing.
    fn short(&self, decimals: usize) -> String {
        match self {
            Cell::Number(v) => format!("{v:.decimals$}"),
            Cell::Missing => "-".to_owned(),
            Cell::Flags(f) if f.is_empty() => String::new(),
            other => other.plain(),
        }
    }
}

/// The figures of a frame, named and ordered as in the image-history record, then
/// ours.
fn fields(row: Row<'_>) -> [(&'static str, Cell); 18] {
    let (info, f) = (&row.frame.info, &row.frame.figures);
    [
        ("Filename", Cell::Text(row.frame.path.display().to_string())),
        ("Date", Cell::text(info.date.map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).as_deref())),
        ("ImageType", Cell::text(info.image_type.map(|t| t.wire_name()))),
        ("Filter", Cell::text(info.filter.as_deref())),
        ("ExposureTime", Cell::number(info.exposure_s)),
        ("Temperature", Cell::number(info.temperature_c)),
        ("Mean", Cell::Number(f.mean)),
        ("Median", Cell::Number(f.median)),
        ("StDev", Cell::Number(f.std_dev)),
        ("Min", Cell::Number(f.min)),
        ("Max", Cell::Number(f.max)),
        ("Stars", Cell::count(f.stars)),
        ("HFR", Cell::number(f.hfr)),
        ("HFRStDev", Cell::number(f.hfr_std_dev)),
        ("Elongation", Cell::number(f.elongation)),
        ("SaturatedStars", Cell::count(f.saturated)),
        ("ColumnExcess", Cell::Number(f.column_excess)),
        ("Flags", Cell::Flags(row.flags.to_vec())),
    ]
}

/// One JSON object per frame, one per line.
pub(crate) fn json_lines(rows: &[Row<'_>]) -> String {
    let mut out = String::new();
    for &row in rows {
        let pairs: Vec<String> = fields(row).iter().map(|(k, v)| format!("\"{k}\":{}", v.json())).collect();
        let _ = writeln!(out, "{{{}}}", pairs.join(","));
    }
    out
}

/// CSV (RFC 4180): a header line of the field names, then one line per frame.
pub(crate) fn csv(rows: &[Row<'_>]) -> String {
    let quote = |s: String| {
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
    };
    let header: Vec<&str> = rows.first().map(|&r| fields(r).map(|(k, _)| k).to_vec()).unwrap_or_default();
    let mut out = if header.is_empty() { String::new() } else { format!("{}\r\n", header.join(",")) };
    for &row in rows {
        let cells: Vec<String> = fields(row).into_iter().map(|(_, v)| quote(v.plain())).collect();
        let _ = write!(out, "{}\r\n", cells.join(","));
    }
    out
}

/// One frame, one figure per line (`stx analyze FILE`).
pub(crate) fn listing(row: Row<'_>) -> String {
    let lines: Vec<String> = fields(row).iter().map(|(k, v)| format!("{k:<14} {}", v.plain())).collect();
    lines.join("\n") + "\n"
}

/// The table's columns: heading, the field shown, decimals, right-aligned.
const COLUMNS: [(&str, &str, usize, bool); 14] = [
    ("file", "Filename", 0, false),
    ("date", "Date", 0, false),
    ("type", "ImageType", 0, false),
    ("filter", "Filter", 0, false),
    ("exp", "ExposureTime", 1, true),
    ("temp", "Temperature", 1, true),
    ("HFR", "HFR", 2, true),
    ("HFRsd", "HFRStDev", 2, true),
    ("stars", "Stars", 0, true),
    ("median", "Median", 1, true),
    ("mean", "Mean", 1, true),
    ("stdev", "StDev", 1, true),
    ("elong", "Elongation", 2, true),
    ("flags", "Flags", 0, false),
];

/// The table, one line per frame, columns aligned.
pub(crate) fn table(rows: &[Row<'_>]) -> String {
    let mut cells: Vec<Vec<String>> = vec![COLUMNS.iter().map(|c| c.0.to_owned()).collect()];
    for &row in rows {
        let fields = fields(row);
        let value = |name: &str| &fields.iter().find(|(k, _)| *k == name).expect("a known field").1;
        cells.push(
            COLUMNS
                .iter()
                .map(|&(_, name, decimals, _)| match (name, value(name)) {
                    // The date to the second, as people read it.
                    ("Date", Cell::Text(d)) => d.get(..19).unwrap_or(d).replace('T', " "),
                    (_, cell) => cell.short(decimals),
                })
                .collect(),
        );
    }
    let widths: Vec<usize> =
        (0..COLUMNS.len()).map(|c| cells.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for line in &cells {
        let parts: Vec<String> = line
            .iter()
            .zip(&widths)
            .zip(&COLUMNS)
            .map(|((cell, &w), c)| if c.3 { format!("{cell:>w$}") } else { format!("{cell:<w$}") })
            .collect();
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
    }
    out
}
