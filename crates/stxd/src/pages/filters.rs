//! `/filtersetup.html`, form `FilterNames`: the eight filter names (`Filter1`…`Filter8`)
//! and a `<select name="Filter">` of positions. A GET with `Filter=N` moves the wheel
//! (`0` initialises it: the wheel goes home to position 1), names sent are saved. The
//! selected option is the position asked for, at once, as the clients expect.

use stx_camera::Camera;
use stx_protocol::page::Page;
use stx_protocol::request::RawParam;
use stx_protocol::{FilterSlot, FilterWheelState, FilterWheelStatus};

use super::form::{self, FilterForm};
use super::html::{Attr, Html, a};
use super::layout::{self, Entry, Notice};

/// Answers `/filtersetup.html` with `params`.
pub(super) fn answer(camera: &dyn Camera, params: &[RawParam]) -> String {
    let notice = if params.is_empty() {
        Notice::Nothing
    } else {
        match form::filters(params) {
            Ok(form) => apply(camera, &form),
            Err(errors) => errors.into(),
        }
    };
    let model = super::model(camera);
    match camera.filter_wheel() {
        Ok(wheel) => render(&model, &wheel, &notice),
        Err(e) => super::unavailable(Page::FilterSetup, "Filters", &model, e),
    }
}

/// The move first (the camera may refuse it: then nothing is applied), then the names.
fn apply(camera: &dyn Camera, form: &FilterForm) -> Notice {
    let wheel = match camera.filter_wheel() {
        Ok(w) => w,
        Err(e) => return e.into(),
    };
    let mut done = Vec::new();
    if let Some(asked) = form.position {
        let home = FilterSlot::new(1).expect("1 is a slot");
        let target = if asked == FilterSlot::NONE { home } else { asked };
        // Asking for the slot the wheel is at, or already moving to, is no new move.
        if (target != wheel.current || wheel.state == FilterWheelState::Error)
            && let Err(e) = camera.change_filter(target)
        {
            return e.into();
        }
        done.push(if asked == FilterSlot::NONE {
            "Filter wheel initialised (home: position 1).".to_owned()
        } else {
            format!("Filter wheel to position {}.", target.get())
        });
    }
    if !form.names.is_empty() {
        if let Err(e) = camera.set_filter_names(&form.names) {
            return e.into();
        }
        done.push("Names saved.".to_owned());
    }
    Notice::Done(done.join(" "))
}

/// A position with its filter's name: `3 · Ha`, `0 · no filter`.
pub(super) fn slot_text(wheel: &FilterWheelStatus, slot: FilterSlot) -> String {
    match slot.filter_index() {
        Some(i) => format!("{} · {}", slot.get(), wheel.names[i]),
        None => format!("{} · no filter", slot.get()),
    }
}

fn render(model: &str, wheel: &FilterWheelStatus, notice: &Notice) -> String {
    layout::page(Page::FilterSetup, "Filters", model, notice, None, |h: &mut Html| {
        layout::section(h, "Filter wheel", |h| {
            let state = match wheel.state {
                FilterWheelState::Idle => "Idle",
                FilterWheelState::Moving => "Moving",
                FilterWheelState::Error => "Error",
            };
            layout::values(h, &[("State", state.to_owned()), ("Position", slot_text(wheel, wheel.current))]);
        });
        layout::section(h, "Filters", |h| {
            h.el("form", &[a("name", "FilterNames"), a("action", Page::FilterSetup.path())], |h| {
                h.el("table", &[], |h| {
                    layout::row(h, "Move to", |h| {
                        h.el("select", &[a("name", "Filter")], |h| {
                            for n in 0..=FilterSlot::MAX {
                                let slot = FilterSlot::new(i64::from(n)).expect("0..=8 are slots");
                                let value = n.to_string();
                                // `value` first, a bare `selected` second: the clients' parser
                                // reads them by position.
                                let mut attrs = vec![a("value", &value)];
                                if slot == wheel.current {
                                    attrs.push(Attr::Bare("selected"));
                                }
                                let label = if n == 0 {
                                    "0 · initialise".to_owned()
                                } else {
                                    slot_text(wheel, slot)
                                };
                                h.el_text("option", &attrs, &label);
                            }
                        });
                    });
                    for (i, name) in wheel.names.iter().enumerate() {
                        layout::row(h, &format!("Filter {}", i + 1), |h| {
                            layout::text_input(h, &format!("Filter{}", i + 1), name.as_str(), Entry::Text);
                        });
                    }
                });
                layout::submit(h, "Apply");
            });
            layout::hint(h, "Names: up to 16 characters. Initialise sends the wheel home to position 1.");
        });
    })
}
