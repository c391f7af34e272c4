//! A blocking GET of stxd's v2 API through the project's HTTP/1.0 client (timeouts,
//! a length-checked body; the command line has no async runtime and needs no more),
//! its JSON envelope unwrapped.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Result;
use serde_json::value::RawValue;
use stx_client::{Client, ClientConfig, ErrorKind};

use crate::exit::{Failure, Status};

/// `GET {base}{target}` and the envelope's `Response` as the API wrote it (key order
/// and number forms kept); a refusal carries the API's own `Error` text.
pub(crate) fn get(base: &str, target: &str) -> Result<Box<RawValue>> {
    // One request: no pacing needed (that is for cameras).
    let config = ClientConfig { min_interval: Duration::ZERO, ..ClientConfig::default() };
    let client = Client::with_config(base, config).map_err(|e| match e.kind() {
        ErrorKind::BadUrl(_) => {
            Failure::usage(format!("invalid API URL '{base}': expected http://HOST[:PORT]"))
        }
        _ => Failure::error(Status::Unreachable, e.to_string()),
    })?;
    let addr = client.addr().to_owned();
    let unreachable = |why: String| Failure::error(Status::Unreachable, why);
    // The client's texts speak of a camera and name the address: say why only.
    let answer = client.forward(target).map_err(|e| {
        let why = match e.kind() {
            ErrorKind::Connect { source, .. } => source.to_string(),
            ErrorKind::Timeout(limit) => format!("no answer within {limit:?}"),
            _ => e.to_string(),
        };
        unreachable(format!("cannot reach the image-history API at {addr}: {why}"))
    })?;
    let status = answer.status;
    let not_api = |why: &str| {
        unreachable(format!("unexpected answer from the image-history API at {addr} (HTTP {status}): {why}"))
    };
    let mut envelope: BTreeMap<String, Box<RawValue>> =
        serde_json::from_slice(&answer.body).map_err(|e| not_api(&e.to_string()))?;
    if envelope.get("Success").map(|v| v.get()) == Some("true") {
        return envelope.remove("Response").ok_or_else(|| not_api("no Response"));
    }
    let error = envelope
        .get("Error")
        .and_then(|e| serde_json::from_str::<String>(e.get()).ok())
        .unwrap_or_else(|| "no error text".to_owned());
    Err(Failure::error(Status::Refused, format!("image-history API error (HTTP {status}): {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_are_usage_errors() {
        let e = get("localhost:1888", "/").unwrap_err();
        assert_eq!(e.to_string(), "invalid API URL 'localhost:1888': expected http://HOST[:PORT]");
        assert_eq!(crate::exit::status_of(&e), Status::Usage);
    }
}
