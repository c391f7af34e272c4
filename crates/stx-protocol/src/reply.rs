//! Replies as the camera sends them: status, content type and body bytes. Number
//! formatting lives here so every value is written one way, and beside each formatter
//! its parser, the client's direction (`parse_*`), round-tripped in the tests below.

use bytes::Bytes;

use crate::StxError;

/// Formats an integer reply value: plain decimal, never a decimal point (clients parse
/// these with integer conversions).
pub fn int(value: impl Into<i64>) -> String {
    value.into().to_string()
}

/// Formats a real reply value: exactly two decimals, `.` as separator (`9.00`, `-20.15`).
pub fn real(value: f64) -> String {
    let s = format!("{value:.2}");
    // `-0.00` would confuse clients that compare strings; the camera prints `0.00`.
    if s == "-0.00" { "0.00".to_owned() } else { s }
}

/// Formats a yes/no reply value (`ImageReady`, `IsPulseGuiding`, `AOStatus`): `1` or `0`.
pub fn flag(value: bool) -> String {
    int(u8::from(value))
}

/// Parses a yes/no value: `1` or `0`.
pub fn parse_flag(value: &str) -> Option<bool> {
    match parse_int(value)? {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

/// Parses an integer value (`2`).
pub fn parse_int(value: &str) -> Option<i64> {
    value.trim().parse().ok()
}

/// Parses a finite real as programs print them (`-20.15`, `1`, `0.5`, `1E-05`): reply
/// values and request parameters alike.
pub fn parse_real(value: &str) -> Option<f64> {
    value.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The values of a 200 text reply: one per CRLF-terminated line.
pub fn parse_values(body: &str) -> Vec<&str> {
    if body.is_empty() {
        return Vec::new();
    }
    body.strip_suffix("\r\n").unwrap_or(body).split("\r\n").collect()
}

/// The camera error of a 400 reply body (`0x8000100X\r\n<text>\r\n`), if it names one
/// of the spec's codes.
pub fn parse_error(body: &str) -> Option<StxError> {
    let code = body.lines().next()?.trim().strip_prefix("0x")?;
    StxError::from_code(u32::from_str_radix(code, 16).ok()?)
}

/// The three statuses the camera uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `200 OK`.
    Ok,
    /// `400 Bad Request`.
    BadRequest,
    /// `404 Not Found`.
    NotFound,
}

impl Status {
    /// The numeric status code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::BadRequest => 400,
            Status::NotFound => 404,
        }
    }
}

/// The content types the camera sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// `text/plain`: values and errors.
    Text,
    /// `application/octet-stream`: `.bin` and `.FIT` downloads.
    Binary,
    /// `text/html`: the camera's own web pages.
    Html,
    /// `image/jpeg`: the web pages' `Preview.jpg`.
    Jpeg,
}

impl ContentType {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Text => "text/plain",
            ContentType::Binary => "application/octet-stream",
            ContentType::Html => "text/html",
            ContentType::Jpeg => "image/jpeg",
        }
    }

    /// The content type a `Content-Type` header names (parameters such as `charset`
    /// ignored), if it is one of these; what the proxy passes on.
    pub fn from_header(value: &str) -> Option<ContentType> {
        let media = value.split(';').next().unwrap_or("").trim();
        [ContentType::Text, ContentType::Binary, ContentType::Html, ContentType::Jpeg]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(media))
    }
}

/// A complete reply of the STX API, before it is put on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The status line's code.
    pub status: Status,
    /// The `Content-Type`.
    pub content_type: ContentType,
    /// The body (shared, not copied, when it is a frame's pixels).
    pub body: Bytes,
}

impl Reply {
    /// A 200 text reply of values, each followed by CRLF; no values → empty body.
    pub fn values<I, S>(values: I) -> Reply
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut body = Vec::new();
        for v in values {
            body.extend_from_slice(v.as_ref().as_bytes());
            body.extend_from_slice(b"\r\n");
        }
        Reply { status: Status::Ok, content_type: ContentType::Text, body: body.into() }
    }

    /// A 200 reply with no data (a set call that worked).
    pub fn empty() -> Reply {
        Reply::values(std::iter::empty::<&str>())
    }

    /// A 200 reply of `content_type` with these bytes (a web page, a preview).
    pub fn typed(content_type: ContentType, body: impl Into<Bytes>) -> Reply {
        Reply { status: Status::Ok, content_type, body: body.into() }
    }

    /// A 200 binary download.
    pub fn binary(body: impl Into<Bytes>) -> Reply {
        Reply::typed(ContentType::Binary, body)
    }

    /// The 400 reply for a camera error: `0x8000100X\r\n<text>\r\n`.
    pub fn error(error: StxError) -> Reply {
        Reply { status: Status::BadRequest, ..Reply::values([error.code_text().as_str(), error.text()]) }
    }

    /// A 400 reply for a request that is not a well-formed STX request, with its reason.
    pub fn malformed(reason: &str) -> Reply {
        Reply { status: Status::BadRequest, ..Reply::values([reason]) }
    }

    /// The 404 reply for a path the camera does not know.
    pub fn not_found() -> Reply {
        Reply { status: Status::NotFound, ..Reply::values(["Not Found"]) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_one_way() {
        assert_eq!(real(9.0), "9.00");
        assert_eq!(real(-20.149), "-20.15");
        assert_eq!(real(-0.001), "0.00");
        assert_eq!(int(65535u32), "65535");
    }

    #[test]
    fn the_specs_example_replies() {
        assert_eq!(Reply::values(["0"]).body, &b"0\r\n"[..]);
        let e = Reply::error(StxError::NoValidParameter);
        assert_eq!(e.body, &b"0x80001000\r\nNo valid parameter.\r\n"[..]);
        assert_eq!(e.body.len(), 33);
        assert_eq!(Reply::empty().body.len(), 0);
    }

    #[test]
    fn content_types_read_back_from_headers() {
        for t in [ContentType::Text, ContentType::Binary, ContentType::Html, ContentType::Jpeg] {
            assert_eq!(ContentType::from_header(t.as_str()), Some(t));
        }
        assert_eq!(ContentType::from_header("Text/HTML; charset=utf-8"), Some(ContentType::Html));
        assert_eq!(ContentType::from_header("image/png"), None);
    }

    #[test]
    fn replies_read_back() {
        assert_eq!(parse_values("65535\r\n9\r\n9\r\n9.00\r\n"), ["65535", "9", "9", "9.00"]);
        assert_eq!(parse_values(""), Vec::<&str>::new());
        assert_eq!(parse_values("\r\n"), [""]);
        assert_eq!(parse_error("0x8000100b\r\nFilter Selector is busy.\r\n"), Some(StxError::FilterBusy));
        assert_eq!(parse_error("Not Found\r\n"), None);
    }

    #[test]
    fn what_is_written_reads_back() {
        let body = |r: Reply| String::from_utf8(r.body.to_vec()).unwrap();
        assert_eq!(parse_values(&body(Reply::values(["1", "", "x y"]))), ["1", "", "x y"]);
        assert_eq!(parse_error(&body(Reply::error(StxError::FilterBusy))), Some(StxError::FilterBusy));
        assert_eq!(parse_int(&int(-42)), Some(-42));
        assert_eq!(
            (parse_flag(&flag(true)), parse_flag(&flag(false)), parse_flag("2")),
            (Some(true), Some(false), None)
        );
        assert_eq!(parse_real(&real(-20.15)), Some(-20.15));
        assert_eq!(parse_real("1E-05"), Some(1e-5));
        assert_eq!(parse_real("NaN"), None);
        assert_eq!(parse_real("inf"), None);
    }
}
