//! `/network.html`, form `EthernetParams`. On a camera, submitting it means "apply and
//! reboot". stxd is not the camera's network stack: the values are checked and kept
//! for this page only (until stxd stops), nothing restarts, and the page answers at
//! once with what it keeps.

use std::net::Ipv4Addr;

use stx_camera::Camera;
use stx_protocol::page::Page;
use stx_protocol::request::RawParam;

use super::form::{self, NetworkForm};
use super::html::{Html, a};
use super::layout::{self, Entry, Notice};

/// The network form's values as last submitted; at first a camera's factory-style
/// placeholders (stxd does not know the address a client reached it by).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Remembered {
    dhcp: bool,
    address: Ipv4Addr,
    mask: Ipv4Addr,
    gateway: Ipv4Addr,
}

impl Default for Remembered {
    fn default() -> Remembered {
        Remembered {
            dhcp: true,
            address: Ipv4Addr::new(192, 168, 0, 2),
            mask: Ipv4Addr::new(255, 255, 255, 0),
            gateway: Ipv4Addr::new(192, 168, 0, 1),
        }
    }
}

/// Answers `/network.html` with `params`.
pub(super) fn answer(camera: &dyn Camera, remembered: &mut Remembered, params: &[RawParam]) -> String {
    let notice = if params.is_empty() {
        Notice::Nothing
    } else {
        match form::network(params) {
            Ok(f) => {
                apply(remembered, &f);
                Notice::Done(
                    "Network settings kept. stxd is not the camera's network: nothing restarts.".to_owned(),
                )
            }
            Err(errors) => errors.into(),
        }
    };
    render(&super::model(camera), remembered, &notice)
}

fn apply(r: &mut Remembered, f: &NetworkForm) {
    *r = Remembered {
        dhcp: f.dhcp.unwrap_or(r.dhcp),
        address: f.address.unwrap_or(r.address),
        mask: f.mask.unwrap_or(r.mask),
        gateway: f.gateway.unwrap_or(r.gateway),
    };
}

fn render(model: &str, r: &Remembered, notice: &Notice) -> String {
    layout::page(Page::Network, "Network", model, notice, None, |h: &mut Html| {
        layout::section(h, "Ethernet", |h| {
            h.el("form", &[a("name", "EthernetParams"), a("action", Page::Network.path())], |h| {
                h.el("table", &[], |h| {
                    layout::row(h, "Address from", |h| {
                        let checked = if r.dhcp { "1" } else { "0" };
                        layout::radios(h, "DHCP", &[("1", "DHCP"), ("0", "Fixed")], checked);
                    });
                    layout::row(h, "IP address", |h| {
                        layout::text_input(h, "IPAddress", &r.address.to_string(), Entry::Number);
                    });
                    layout::row(h, "Subnet mask", |h| {
                        layout::text_input(h, "SubnetMask", &r.mask.to_string(), Entry::Number);
                    });
                    layout::row(h, "Gateway", |h| {
                        layout::text_input(h, "Gateway", &r.gateway.to_string(), Entry::Number)
                    });
                });
                layout::submit(h, "Apply and restart");
            });
            layout::hint(
                h,
                "On a camera this restarts its network. stxd keeps the values for this page only and serves \
                 on the address it was started with.",
            );
        });
    })
}
