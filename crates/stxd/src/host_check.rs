//! The `Host` check against DNS rebinding: a web page on another origin cannot read
//! stxd's replies, but one whose own name its attacker re-points at the observatory's
//! address can, and its requests then carry that name in `Host`. Requests are answered
//! only when `Host` names an address (no rebinding names an IP literal), `localhost`,
//! or a name the user allowed with `--allowed-host`, as Jupyter and Home Assistant do.
//! A request without `Host` (an HTTP/1.0 client, as the STX spec's examples) is not
//! from a browser and is answered.

use std::net::IpAddr;
use std::sync::Arc;

use hyper::header::HeaderValue;

/// The host names requests may use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    /// Lower-case names, besides addresses and `localhost`.
    names: Vec<String>,
}

impl AllowedHosts {
    /// Addresses, `localhost` and `names`.
    pub fn new(names: &[String]) -> AllowedHosts {
        AllowedHosts {
            names: names.iter().map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase()).collect(),
        }
    }

    /// Whether a request with this `Host` header (if any) is answered.
    pub fn allows(&self, host: Option<&HeaderValue>) -> bool {
        let Some(host) = host else { return true };
        let Some(name) = host.to_str().ok().and_then(host_name) else { return false };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        name.parse::<IpAddr>().is_ok() || name == "localhost" || self.names.contains(&name)
    }
}

/// `router` answering only the requests whose `Host` `hosts` allows; the others get
/// `refused()` (each port's own form of the refusal).
pub(crate) fn guard(
    router: axum::Router,
    hosts: Arc<AllowedHosts>,
    refused: fn() -> axum::response::Response,
) -> axum::Router {
    router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let allowed = hosts.allows(request.headers().get(hyper::header::HOST));
            async move { if allowed { next.run(request).await } else { refused() } }
        },
    ))
}

/// The name or address of a `Host` value, without its port: `name`, `name:port`,
/// `1.2.3.4:port`, `[::1]:port`.
fn host_name(value: &str) -> Option<&str> {
    if let Some(rest) = value.strip_prefix('[') {
        let (address, after) = rest.split_once(']')?;
        return (after.is_empty() || after.starts_with(':')).then_some(address);
    }
    let name = value.rsplit_once(':').map_or(value, |(name, _port)| name);
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(allowed: &[&str], host: Option<&str>, expect: bool) {
        let hosts = AllowedHosts::new(&allowed.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let value = host.map(|h| HeaderValue::from_str(h).unwrap());
        assert_eq!(hosts.allows(value.as_ref()), expect, "{host:?} with {allowed:?}");
    }

    #[test]
    fn addresses_localhost_and_allowed_names_pass() {
        check(&[], None, true);
        check(&[], Some("127.0.0.1:1888"), true);
        check(&[], Some("192.168.1.20"), true);
        check(&[], Some("[::1]:8080"), true);
        check(&[], Some("localhost:1888"), true);
        check(&[], Some("LOCALHOST."), true);
        check(&["stx.observatory.lan"], Some("STX.observatory.lan:1888"), true);
    }

    #[test]
    fn other_names_are_refused() {
        check(&[], Some("evil.example:1888"), false);
        check(&[], Some("stx.observatory.lan"), false);
        check(&["stx.observatory.lan"], Some("stx.observatory.lan.evil.example"), false);
        check(&[], Some("127.0.0.1.nip.io"), false);
        check(&[], Some(""), false);
        check(&[], Some("[::1"), false);
    }
}
