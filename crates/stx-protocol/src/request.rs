//! Stage one of reading a request: the request target split into a resource name and
//! percent-decoded parameters. Nothing here knows what the names mean.

use percent_encoding::percent_decode;

/// The longest request target the camera accepts, in bytes (the spec's URI limit).
pub const MAX_TARGET_LEN: usize = 8192;

/// A parameter's value as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawValue {
    /// The name came without `=`.
    Absent,
    /// The decoded text after `=`.
    Text(String),
    /// Bytes after `=` that are not UTF-8 once decoded: a bad value wherever it is used.
    NotUtf8,
}

impl RawValue {
    /// The text, if there is valid text.
    pub fn text(&self) -> Option<&str> {
        match self {
            RawValue::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// One `name[=value]` of the query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawParam {
    /// The decoded name (lossily: a name that is not UTF-8 matches nothing anyway).
    pub name: String,
    /// The value.
    pub value: RawValue,
}

/// The value of the last parameter named `name` (matched in any case), if it was sent:
/// on the STX API the last of repeated parameters wins.
pub fn last_param<'a>(params: &'a [RawParam], name: &str) -> Option<&'a RawValue> {
    params.iter().rev().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| &p.value)
}

/// Why a request target cannot be read at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Longer than [`MAX_TARGET_LEN`].
    #[error("Request URI longer than 8192 bytes.")]
    TooLong,
    /// Not an origin-form target (must start with `/`).
    #[error("Request URI must start with '/'.")]
    NotAPath,
}

/// A request target split into its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRequest {
    /// The decoded resource path, e.g. `/api/ImagerState.cgi`. It ends at the first `?`
    /// or `&`: one client appends `&<random>` to defeat caches even without a `?`.
    pub resource: String,
    /// The parameters in the order sent; empty pieces (`&&`) are dropped.
    pub params: Vec<RawParam>,
}

impl RawRequest {
    /// Splits a request target such as `/api/ImagerGetSettings.cgi?BinX&NumX`.
    pub fn parse(target: &str) -> Result<RawRequest, TargetError> {
        if target.len() > MAX_TARGET_LEN {
            return Err(TargetError::TooLong);
        }
        if !target.starts_with('/') {
            return Err(TargetError::NotAPath);
        }
        let (path, query) = match target.find(['?', '&']) {
            Some(i) => (&target[..i], &target[i + 1..]),
            None => (target, ""),
        };
        let resource = percent_decode(path.as_bytes()).decode_utf8_lossy().into_owned();
        let params = query.split('&').filter(|p| !p.is_empty()).map(parse_param).collect();
        Ok(RawRequest { resource, params })
    }
}

fn parse_param(piece: &str) -> RawParam {
    let (name, value) = match piece.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (piece, None),
    };
    let name = String::from_utf8_lossy(&decode_component(name)).into_owned();
    let value = match value {
        None => RawValue::Absent,
        Some(v) => match String::from_utf8(decode_component(v)) {
            Ok(text) => RawValue::Text(text),
            Err(_) => RawValue::NotUtf8,
        },
    };
    RawParam { name, value }
}

/// Form decoding: `+` is a space (what common HTTP libraries send), then `%XX`.
fn decode_component(text: &str) -> Vec<u8> {
    let plus_as_space = text.replace('+', " ");
    percent_decode(plus_as_space.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(target: &str, expect: &str) {
        let got = match RawRequest::parse(target) {
            Ok(r) => {
                let params: Vec<String> = r
                    .params
                    .iter()
                    .map(|p| match &p.value {
                        RawValue::Absent => p.name.clone(),
                        RawValue::Text(t) => format!("{}={t:?}", p.name),
                        RawValue::NotUtf8 => format!("{}=<not utf-8>", p.name),
                    })
                    .collect();
                format!("{} [{}]", r.resource, params.join(", "))
            }
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expect, "target {target:?}");
    }

    #[test]
    fn splits_resource_and_params() {
        check("/api/ImagerState.cgi", "/api/ImagerState.cgi []");
        check("/api/ImagerGetSettings.cgi?MaxADU&MaxBinX", "/api/ImagerGetSettings.cgi [MaxADU, MaxBinX]");
        check(
            "/api/ImagerSetSettings.cgi?BinX=2&BinY=2",
            r#"/api/ImagerSetSettings.cgi [BinX="2", BinY="2"]"#,
        );
        check("/api/FilterState.cgi&0.84", "/api/FilterState.cgi [0.84]");
        check("/api/X.cgi?a=&&b", r#"/api/X.cgi [a="", b]"#);
        check("/api/X.cgi?a=b=c", r#"/api/X.cgi [a="b=c"]"#);
    }

    #[test]
    fn decodes_percent_and_plus() {
        check(
            "/api/SetFITSSetting.cgi?ObjectName=California%20Nebula%20%28NGC1499%29",
            r#"/api/SetFITSSetting.cgi [ObjectName="California Nebula (NGC1499)"]"#,
        );
        check(
            "/api/SetFITSSetting.cgi?Observer=O%27Brien+Jr",
            r#"/api/SetFITSSetting.cgi [Observer="O'Brien Jr"]"#,
        );
        check("/api/SetFITSSetting.cgi?Observer=a%2Bb%26c", r#"/api/SetFITSSetting.cgi [Observer="a+b&c"]"#);
        check("/api/X.cgi?v=%ff", "/api/X.cgi [v=<not utf-8>]");
        check("/api/X.cgi?v=%zz", r#"/api/X.cgi [v="%zz"]"#);
    }

    #[test]
    fn refuses_what_is_not_a_target() {
        check(&format!("/{}", "a".repeat(MAX_TARGET_LEN)), "error: Request URI longer than 8192 bytes.");
        check(
            &format!("/{}", "a".repeat(MAX_TARGET_LEN - 1)),
            &format!("/{} []", "a".repeat(MAX_TARGET_LEN - 1)),
        );
        check("*", "error: Request URI must start with '/'.");
    }
}
