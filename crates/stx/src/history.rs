//! `stx history [--type T] [--last N]`: stxd's image history as a table, or its records'
//! JSON as the API gives them.

use anyhow::Result;
use serde_json::Value;
use serde_json::value::RawValue;
use stx_history::ImageType;

use crate::api;
use crate::exit::{Failure, Status};
use crate::options::{Global, Output};

/// Arguments of `stx history`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only images of this type.
    #[arg(long = "type", value_parser = image_type, value_name = "TYPE")]
    image_type: Option<ImageType>,
    /// Only the newest N images (after --type).
    #[arg(long, value_name = "N")]
    last: Option<usize>,
    #[command(flatten)]
    output: Output,
}

/// An image type as the history API names it, in any case (`light`, `LIGHT`).
fn image_type(text: &str) -> Result<ImageType, String> {
    ImageType::parse(text).ok_or_else(|| {
        let names: Vec<&str> = ImageType::ALL.iter().map(|t| t.wire_name()).collect();
        format!("'{text}' is not an image type: one of {}", names.join(", "))
    })
}

/// The table's columns: heading and the record field shown under it.
const COLUMNS: [(&str, &str); 8] = [
    ("date", "Date"),
    ("type", "ImageType"),
    ("exposure", "ExposureTime"),
    ("filter", "Filter"),
    ("temp", "Temperature"),
    ("stars", "Stars"),
    ("HFR", "HFR"),
    ("median", "Median"),
];

/// Runs `stx history`.
pub(crate) fn run(global: &Global, args: &Args) -> Result<()> {
    let mut target = "/v2/api/image-history?all=true".to_owned();
    if let Some(t) = args.image_type {
        target.push_str("&imageType=");
        target.push_str(t.wire_name());
    }
    let response = api::get(&global.api, &target)?;
    let records: Vec<Box<RawValue>> = serde_json::from_str(response.get()).map_err(|_| {
        Failure::error(
            Status::Unreachable,
            "unexpected answer from the image-history API: not a list of images",
        )
    })?;
    // Indices stay those of the (filtered) history, 0 the oldest, as `index=` reads them.
    let first = records.len().saturating_sub(args.last.unwrap_or(records.len()));
    let shown = &records[first..];
    if args.output.json {
        // The records as the API wrote them, its field order included.
        let texts: Vec<&str> = shown.iter().map(|r| r.get()).collect();
        println!("[{}]", texts.join(","));
    } else if shown.is_empty() {
        println!("no images");
    } else {
        let values =
            shown.iter().map(|r| serde_json::from_str(r.get())).collect::<Result<Vec<Value>, _>>()?;
        println!("{}", table(first, &values));
    }
    Ok(())
}

fn table(first: usize, records: &[Value]) -> String {
    let mut rows: Vec<Vec<String>> =
        vec![std::iter::once("index").chain(COLUMNS.iter().map(|(h, _)| *h)).map(str::to_owned).collect()];
    for (i, record) in records.iter().enumerate() {
        let cells = COLUMNS.iter().map(|(_, field)| cell(field, &record[*field]));
        rows.push(std::iter::once((first + i).to_string()).chain(cells).collect());
    }
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect();
    lines.join("\n")
}

/// One field as a table cell: dates to the second, numbers of the integer fields
/// (`Stars`) as they are, other numbers to two decimals, text as is. The API writes a
/// whole double without a fraction, so the field, not the JSON text, says which is which.
fn cell(field: &str, value: &Value) -> String {
    match value {
        Value::String(date) if field == "Date" => date.get(..19).unwrap_or(date).replace('T', " "),
        Value::String(text) => text.clone(),
        Value::Number(n) if field != "Stars" => format!("{:.2}", n.as_f64().unwrap_or(f64::NAN)),
        Value::Number(n) => n.to_string(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_rows() {
        let records = [
            json!({"Date":"2026-11-21T22:13:45.123+00:00","ImageType":"LIGHT","ExposureTime":30,"Filter":"Red",
                   "Temperature":-20,"Stars":12,"HFR":2.3456,"Median":1013}),
            json!({"Date":"2026-11-21T22:14:45.000+00:00","ImageType":"DARK","ExposureTime":1.5,"Filter":"",
                   "Temperature":-19.875,"Stars":0,"HFR":"NaN","Median":1000.5}),
        ];
        assert_eq!(
            table(7, &records),
            "index  date                 type   exposure  filter  temp    stars  HFR   median\n\
             7      2026-11-21 22:13:45  LIGHT  30.00     Red     -20.00  12     2.35  1013.00\n\
             8      2026-11-21 22:14:45  DARK   1.50              -19.88  0      NaN   1000.50"
        );
    }
}
