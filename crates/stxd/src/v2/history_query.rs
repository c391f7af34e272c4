//! The parameters of `GET /v2/api/image-history`, read and checked before any lookup.
//! Evaluation order (the decisions page): filter by `imageType` (and by date, `from`
//! and `to`: our addition), then `count`, `all`, `index`; no parameter means the newest
//! image.

use chrono::DateTime;
use stx_history::{DateRange, ImageType};
use stx_protocol::request::{RawParam, RawValue, last_param};

use super::envelope::ApiError;

/// What the caller asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Selection {
    /// `count=true`: the number of images.
    Count,
    /// `all=true`: every image, oldest first.
    All,
    /// `index=i`: the i-th image, 0 = oldest.
    Index(u64),
    /// No parameter: the newest image.
    Newest,
}

/// A read image-history request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HistoryQuery {
    /// Only images of this type, if given.
    pub(crate) image_type: Option<ImageType>,
    /// Only images dated in this span (unbounded when neither `from` nor `to` is given).
    pub(crate) dates: DateRange,
    /// What to return.
    pub(crate) selection: Selection,
}

/// Reads the parameters. Every parameter given is checked, even one that a
/// higher-precedence parameter makes moot: a typo should not pass silently.
pub(crate) fn parse(params: &[RawParam]) -> Result<HistoryQuery, ApiError> {
    let image_type = image_type(params)?;
    let dates = DateRange { from: date(params, "from")?, to: date(params, "to")? };
    let count = flag(params, "count")?;
    let all = flag(params, "all")?;
    let index = last_param(params, "index").map(|v| index(v.text())).transpose()?;
    let selection = if count {
        Selection::Count
    } else if all {
        Selection::All
    } else if let Some(i) = index {
        Selection::Index(i)
    } else {
        Selection::Newest
    };
    Ok(HistoryQuery { image_type, dates, selection })
}

/// The `imageType` filter, if given. Shared with the image endpoints, which select by
/// the same rules.
pub(crate) fn image_type(params: &[RawParam]) -> Result<Option<ImageType>, ApiError> {
    match last_param(params, "imageType") {
        None => Ok(None),
        Some(v) => Ok(Some(v.text().and_then(ImageType::parse).ok_or_else(|| {
            let valid: Vec<&str> = ImageType::ALL.iter().map(|t| t.wire_name()).collect();
            ApiError::BadParameter(format!("Invalid imageType: valid values are {}", valid.join(", ")))
        })?)),
    }
}

/// A date parameter (shared with the integration endpoint): ISO 8601 with an offset (`2026-12-04T12:00:00+01:00`, or `Z`), the
/// form the records' `Date` has. A `+` left unencoded reads as a space in a query; it
/// is taken back as the `+` it was.
pub(crate) fn date(
    params: &[RawParam],
    name: &str,
) -> Result<Option<DateTime<chrono::FixedOffset>>, ApiError> {
    let Some(value) = last_param(params, name) else { return Ok(None) };
    let text = value.text().map(|t| t.trim().replace(' ', "+"));
    let parsed = text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok());
    parsed.map(Some).ok_or_else(|| {
        ApiError::BadParameter(format!("Invalid {name}: expected a date such as 2026-12-04T12:00:00+01:00"))
    })
}

/// An image index (0 = oldest), from a query value or a path segment. A negative
/// integer is a well-formed index that no image has, hence out of range rather than
/// malformed.
pub(crate) fn index(text: Option<&str>) -> Result<u64, ApiError> {
    let n = text.and_then(|t| t.trim().parse::<i64>().ok());
    let n = n.ok_or_else(|| ApiError::BadParameter("Invalid index: expected an integer".to_owned()))?;
    u64::try_from(n).map_err(|_| ApiError::IndexOutOfRange)
}

/// The boolean parameter `name` (see [`boolean`]); false when not given. Shared with
/// the image and capture endpoints.
pub(super) fn flag(params: &[RawParam], name: &str) -> Result<bool, ApiError> {
    last_param(params, name).map(|v| boolean(v, name)).transpose().map(Option::unwrap_or_default)
}

/// `true`/`false` in any case, `1`/`0`, or a bare name (true).
pub(crate) fn boolean(value: &RawValue, name: &str) -> Result<bool, ApiError> {
    let bad = || ApiError::BadParameter(format!("Invalid {name}: expected true or false"));
    match value {
        RawValue::Absent => Ok(true),
        RawValue::Text(t) if t.eq_ignore_ascii_case("true") || t == "1" => Ok(true),
        RawValue::Text(t) if t.eq_ignore_ascii_case("false") || t == "0" => Ok(false),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stx_protocol::request::RawRequest;

    fn check(query: &str, expect: &str) {
        let raw = RawRequest::parse(&format!("/v2/api/image-history?{query}")).unwrap();
        let got = match parse(&raw.params) {
            Ok(q) if q.dates == DateRange::default() => format!("{:?} {:?}", q.image_type, q.selection),
            Ok(q) => format!("{:?} {:?} {:?} {:?}", q.image_type, q.selection, q.dates.from, q.dates.to),
            Err(e) => format!("{e:?}"),
        };
        assert_eq!(got, expect, "{query}");
    }

    #[test]
    fn parameter_rules() {
        check("", "None Newest");
        check("count=true", "None Count");
        check("count", "None Count");
        check("count=TRUE&all=true&index=3", "None Count");
        check("count=false&all=1&index=3", "None All");
        check("all=0&index=3", "None Index(3)");
        check("index=0", "None Index(0)");
        check("index=-1", "IndexOutOfRange");
        check("index=1.5", r#"BadParameter("Invalid index: expected an integer")"#);
        check("index=", r#"BadParameter("Invalid index: expected an integer")"#);
        check("all=yes", r#"BadParameter("Invalid all: expected true or false")"#);
        check("count=2", r#"BadParameter("Invalid count: expected true or false")"#);
        check("imageType=flat&all=true", "Some(Flat) All");
        check("imageType=Snapshot", "Some(Snapshot) Newest");
        check(
            "imageType=SCIENCE",
            r#"BadParameter("Invalid imageType: valid values are LIGHT, FLAT, DARK, BIAS, SNAPSHOT")"#,
        );
        check("whatever=1&count=false", "None Newest");
        check("all=true&from=2026-12-04T12:00:00%2B01:00", "None All Some(2026-12-04T12:00:00+01:00) None");
        check("count&to=2026-12-05T11:00:00Z", "None Count None Some(2026-12-05T11:00:00+00:00)");
        check("from=2026-12-04T12:00:00+01:00", "None Newest Some(2026-12-04T12:00:00+01:00) None");
        check(
            "from=yesterday",
            r#"BadParameter("Invalid from: expected a date such as 2026-12-04T12:00:00+01:00")"#,
        );
        check("to=", r#"BadParameter("Invalid to: expected a date such as 2026-12-04T12:00:00+01:00")"#);
    }
}
