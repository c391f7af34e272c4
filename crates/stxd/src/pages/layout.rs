//! The frame every HTML page shares: head (inline style, phone viewport, nothing
//! fetched from elsewhere: the camera is often on a network without internet), the
//! navigation bar, the notice saying what a submitted form did, and the form rows.

use stx_protocol::page::Page;

use super::form::FieldError;
use super::html::{Attr, Html, a};

/// The pages' style: a small instrument's own UI, readable on a phone in the dark.
const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#eef1f4;color:#1b2430}\
header{background:#1b2430;color:#fff;padding:10px 16px}\
header h1{margin:0;font-size:18px;font-weight:600}\
header p{margin:2px 0 0;font-size:13px;color:#a9b6c6}\
nav{display:flex;flex-wrap:wrap;gap:4px;padding:8px 12px;background:#27323f}\
nav a{color:#d5dee9;text-decoration:none;padding:6px 10px;border-radius:6px;font-size:14px}\
nav a.here{background:#3d7bd9;color:#fff}\
main{max-width:760px;margin:0 auto;padding:12px}\
main:has(.columns){max-width:1180px}\
.columns{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:0 16px;align-items:start}\
section{background:#fff;border:1px solid #d4dae2;border-radius:10px;padding:12px 16px;margin:12px 0}\
h2{font-size:15px;margin:0 0 8px;color:#3a4757;text-transform:uppercase;letter-spacing:.04em}\
table{border-collapse:collapse;width:100%}\
td{padding:6px 4px;border-bottom:1px solid #edf0f3;vertical-align:middle}\
td.valuename,td.label{color:#55626f;width:42%}\
td.value{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:600}\
label.choice{display:inline-block;margin:2px 14px 2px 0;white-space:nowrap}\
input[type=text],select{font:inherit;padding:6px 8px;border:1px solid #b8c2ce;border-radius:6px;width:11em;max-width:100%}\
input.long{width:17em}\
input[type=submit],a.button{font:inherit;font-weight:600;border:0;border-radius:6px;padding:9px 18px;\
background:#3d7bd9;color:#fff;text-decoration:none;display:inline-block;margin-top:10px;cursor:pointer}\
a.button.stop{background:#c8372d}\
.notice{border-radius:8px;padding:10px 14px;margin:12px 0}\
.done{background:#e5f4ea;border:1px solid #8fcca1}\
.refused{background:#fdecea;border:1px solid #e39a93}\
.refused ul{margin:4px 0 0;padding-left:20px}\
.hint{color:#6b7785;font-size:13px;margin:6px 0 0}\
.state{display:inline-block;padding:1px 8px;border-radius:10px;background:#e3e8ee}\
.state.busy{background:#fff0c2}\
img.preview{width:100%;height:auto;border-radius:6px;background:#000;display:block}\
@media (max-width:860px){.columns{display:block}}\
@media (max-width:520px){td.label{display:block;width:auto;border:0;padding-bottom:0}\
td.field{display:block;padding-top:2px}}";

/// What the request did, shown above the page's content.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum Notice {
    /// A plain GET: nothing to say.
    #[default]
    Nothing,
    /// The form was applied.
    Done(String),
    /// Nothing was applied, for these reasons.
    Refused(Vec<String>),
}

impl From<Vec<FieldError>> for Notice {
    fn from(errors: Vec<FieldError>) -> Notice {
        Notice::Refused(errors.iter().map(ToString::to_string).collect())
    }
}

impl From<stx_camera::Error> for Notice {
    fn from(error: stx_camera::Error) -> Notice {
        Notice::Refused(vec![format!("the camera refused: {error}")])
    }
}

/// The navigation bar's pages and their labels.
const NAV: [(Page, &str); 7] = [
    (Page::Index, "Status"),
    (Page::Setup, "Setup"),
    (Page::Exposure, "Exposure"),
    (Page::FilterSetup, "Filters"),
    (Page::Network, "Network"),
    (Page::ImageFit, "Image.FIT"),
    (Page::PreviewJpg, "Preview.jpg"),
];

/// A whole page: `title` names it, `camera` is the model in the header, `content`
/// writes the sections. `refresh_s` reloads the page (the status page only: a
/// form's page reloaded would submit its query again).
pub(crate) fn page(
    here: Page,
    title: &str,
    camera: &str,
    notice: &Notice,
    refresh_s: Option<u32>,
    content: impl FnOnce(&mut Html),
) -> String {
    let mut h = Html::default();
    h.raw("<!DOCTYPE html>");
    h.el("html", &[a("lang", "en")], |h| {
        h.el("head", &[], |h| {
            h.meta(&[a("charset", "utf-8")]);
            h.meta(&[a("name", "viewport"), a("content", "width=device-width, initial-scale=1")]);
            // No icon: without this a browser asks for /favicon.ico, a 404.
            h.link(&[a("rel", "icon"), a("href", "data:,")]);
            if let Some(seconds) = refresh_s {
                h.meta(&[a("http-equiv", "refresh"), a("content", &seconds.to_string())]);
            }
            h.el_text("title", &[], &format!("{title} · {camera}"));
            h.el("style", &[], |h| h.raw(STYLE));
        });
        h.el("body", &[], |h| {
            h.el("header", &[], |h| {
                h.el_text("h1", &[], camera);
                h.el_text("p", &[], &format!("{title} · stxd"));
            });
            h.el("nav", &[], |h| {
                for (page, label) in NAV {
                    let class = if page == here { "here" } else { "" };
                    h.el_text("a", &[a("href", page.path()), a("class", class)], label);
                }
            });
            h.el("main", &[], |h| {
                notice_box(h, notice);
                content(h);
            });
        });
    });
    h.finish()
}

fn notice_box(h: &mut Html, notice: &Notice) {
    match notice {
        Notice::Nothing => {}
        Notice::Done(text) => h.el_text("p", &[a("class", "notice done")], text),
        Notice::Refused(reasons) => h.el("div", &[a("class", "notice refused")], |h| {
            h.el_text("strong", &[], "Not applied:");
            h.el("ul", &[], |h| {
                for reason in reasons {
                    h.li(|h| h.text(reason));
                }
            });
        }),
    }
}

/// A `<section>` with a heading.
pub(crate) fn section(h: &mut Html, heading: &str, content: impl FnOnce(&mut Html)) {
    h.el("section", &[], |h| {
        h.el_text("h2", &[], heading);
        content(h);
    });
}

/// A read-only table of `valuename`/`value` rows (what the status page's clients read).
pub(crate) fn values(h: &mut Html, rows: &[(&str, String)]) {
    h.el("table", &[], |h| {
        for (name, value) in rows {
            h.el("tr", &[], |h| {
                h.el_text("td", &[a("class", "valuename")], name);
                h.el_text("td", &[a("class", "value")], value);
            });
        }
    });
}

/// A form row: its label, then its input(s).
pub(crate) fn row(h: &mut Html, label: &str, field: impl FnOnce(&mut Html)) {
    h.el("tr", &[], |h| {
        h.el_text("td", &[a("class", "label")], label);
        h.el("td", &[a("class", "field")], field);
    });
}

/// What a text input holds: how wide it is, which keyboard a phone shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A number (a phone shows digits).
    Number,
    /// A short text (a filter name).
    Text,
    /// A long text (a date and time).
    Long,
}

/// A text input named `name` showing `value`.
pub(crate) fn text_input(h: &mut Html, name: &str, value: &str, entry: Entry) {
    let (mode, class) = match entry {
        Entry::Number => ("decimal", "short"),
        Entry::Text => ("text", "short"),
        Entry::Long => ("text", "long"),
    };
    h.input(&[
        a("type", "text"),
        a("name", name),
        a("value", value),
        a("inputmode", mode),
        a("class", class),
    ]);
}

/// A radio group `name` with one choice per `(value, label)`; the one equal to
/// `checked` is checked (the caller passes one of the values: exactly one is checked).
pub(crate) fn radios(h: &mut Html, name: &str, choices: &[(&str, &str)], checked: &str) {
    for &(value, label) in choices {
        h.el("label", &[a("class", "choice")], |h| {
            let mut attrs = vec![a("type", "radio"), a("name", name), a("value", value)];
            if value == checked {
                attrs.push(Attr::Bare("checked"));
            }
            h.input(&attrs);
            h.text(" ");
            h.text(label);
        });
    }
}

/// The form's submit button (unnamed: it sends no field).
pub(crate) fn submit(h: &mut Html, label: &str) {
    h.input(&[a("type", "submit"), a("value", label)]);
}

/// A hint under a form or table.
pub(crate) fn hint(h: &mut Html, text: &str) {
    h.el_text("p", &[a("class", "hint")], text);
}
