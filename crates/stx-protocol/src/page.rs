//! The camera's own web pages, beside `/api/`: which exist, and how their request
//! targets are read. A client bug the firmware tolerates is part of the vocabulary: the
//! query may come glued to the page name without `?` (`/filtersetup.htmlFilter=3`).
//!
//! Like [`RawRequest`], this only splits; what a page's fields mean is the server's.

use crate::request::{RawRequest, TargetError};

/// A page of the camera's web interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Page {
    /// `/` and `/index.html`: the status page.
    Index,
    /// `/setup.html`: form `CameraSetup`.
    Setup,
    /// `/exposure.html`: form `Exposure`.
    Exposure,
    /// `/filtersetup.html`: form `FilterNames`.
    FilterSetup,
    /// `/network.html`: form `EthernetParams`.
    Network,
    /// `/Image.FIT`: the last imager frame as FITS.
    ImageFit,
    /// `/Preview.jpg`: the last imager frame as a stretched JPEG.
    PreviewJpg,
}

impl Page {
    /// Every page, in the order of the pages' navigation bar.
    pub const ALL: [Page; 7] = [
        Page::Index,
        Page::Setup,
        Page::Exposure,
        Page::FilterSetup,
        Page::Network,
        Page::ImageFit,
        Page::PreviewJpg,
    ];

    /// The page's path.
    pub fn path(self) -> &'static str {
        match self {
            Page::Index => "/index.html",
            Page::Setup => "/setup.html",
            Page::Exposure => "/exposure.html",
            Page::FilterSetup => "/filtersetup.html",
            Page::Network => "/network.html",
            Page::ImageFit => "/Image.FIT",
            Page::PreviewJpg => "/Preview.jpg",
        }
    }

    /// Whether the page is a frame download (as large as a frame) rather than HTML.
    pub fn is_download(self) -> bool {
        matches!(self, Page::ImageFit | Page::PreviewJpg)
    }
}

/// A request for a page, its query read as [`RawRequest`] reads the API's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// Which page.
    pub page: Page,
    /// The query, split and decoded (`resource` is the page's path).
    pub query: RawRequest,
}

impl PageRequest {
    /// The page `target` names, with its query; `None` for any other target (the API,
    /// an unknown path). Page names match in any case, like the API's. The query may
    /// follow `?` or `&`, or be glued to the name (`/setup.htmlBin=2`); `/` alone is
    /// the index.
    pub fn parse(target: &str) -> Option<Result<PageRequest, TargetError>> {
        let (page, rest) = if target == "/" || target.starts_with("/?") {
            (Page::Index, &target[1..])
        } else {
            Page::ALL.into_iter().find_map(|page| {
                let head = target.get(..page.path().len())?;
                head.eq_ignore_ascii_case(page.path()).then(|| (page, &target[head.len()..]))
            })?
        };
        let query = rest.strip_prefix(['?', '&']).unwrap_or(rest);
        let query = if query.is_empty() {
            RawRequest::parse(page.path())
        } else {
            RawRequest::parse(&format!("{}?{query}", page.path()))
        };
        Some(query.map(|query| PageRequest { page, query }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::MAX_TARGET_LEN;

    fn check(target: &str, expect: &str) {
        let got = match PageRequest::parse(target) {
            None => "not a page".to_owned(),
            Some(Err(e)) => format!("error: {e}"),
            Some(Ok(r)) => {
                let params: Vec<String> = r
                    .query
                    .params
                    .iter()
                    .map(|p| match p.value.text() {
                        Some(v) => format!("{}={v}", p.name),
                        None => p.name.clone(),
                    })
                    .collect();
                format!("{:?} [{}]", r.page, params.join(", "))
            }
        };
        assert_eq!(got, expect, "target {target:?}");
    }

    #[test]
    fn pages_and_their_queries() {
        check("/", "Index []");
        check("/index.html", "Index []");
        check("/INDEX.HTML", "Index []");
        check("/?x=1", "Index [x=1]");
        check("/setup.html?Bin=1&CoolerState=0", "Setup [Bin=1, CoolerState=0]");
        check("/exposure.html?Abort", "Exposure [Abort]");
        check("/filtersetup.htmlFilter=3", "FilterSetup [Filter=3]");
        check("/setup.htmlBin=2&Fan=1", "Setup [Bin=2, Fan=1]");
        check("/exposure.html&ExposureTime=1", "Exposure [ExposureTime=1]");
        check("/network.html", "Network []");
        check("/Image.FIT", "ImageFit []");
        check("/preview.jpg", "PreviewJpg []");
        check("/exposure.html?DateTime=2026-11-21T15:36:", "Exposure [DateTime=2026-11-21T15:36:]");
    }

    #[test]
    fn other_targets_are_not_pages() {
        check("/api/ImagerState.cgi", "not a page");
        check("/index.htm", "not a page");
        check("/favicon.ico", "not a page");
        check("/sim/faults", "not a page");
        check(
            &format!("/setup.html?{}", "a".repeat(MAX_TARGET_LEN)),
            "error: Request URI longer than 8192 bytes.",
        );
    }
}
