//! A tiny HTML writer shaped by the strict parsers the pages' clients use (see
//! `docs/stx-web-pages.md`): an element is written with a closure for its content, so it
//! is always closed; the tags that must *not* be closed (`meta`, `link`, `img`, `li`) and the
//! self-closed `input` have their own methods; text and attribute values
//! are always escaped.

use std::fmt::Write;

/// One attribute, written in the order given (a filter option's `value` must come first
/// and a bare `selected` second).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Attr<'a> {
    /// `name="value"`, the value escaped.
    Value(&'a str, &'a str),
    /// A bare attribute: `checked`, `selected`.
    Bare(&'a str),
}

/// `name="value"`.
pub(crate) fn a<'a>(name: &'a str, value: &'a str) -> Attr<'a> {
    Attr::Value(name, value)
}

/// HTML being written.
#[derive(Debug, Default)]
pub(crate) struct Html {
    out: String,
}

impl Html {
    /// The text written so far.
    pub(crate) fn finish(self) -> String {
        self.out
    }

    /// `<tag attrs>content</tag>`.
    pub(crate) fn el(&mut self, tag: &str, attrs: &[Attr<'_>], content: impl FnOnce(&mut Html)) {
        self.open(tag, attrs);
        self.out.push('>');
        content(self);
        let _ = write!(self.out, "</{tag}>");
    }

    /// `<tag attrs>text</tag>`.
    pub(crate) fn el_text(&mut self, tag: &str, attrs: &[Attr<'_>], text: &str) {
        self.el(tag, attrs, |h| h.text(text));
    }

    /// Escaped text.
    pub(crate) fn text(&mut self, text: &str) {
        escape_into(&mut self.out, text, false);
    }

    /// Text known to need no escaping (CSS, the doctype).
    pub(crate) fn raw(&mut self, text: &'static str) {
        self.out.push_str(text);
    }

    /// `<input attrs/>`.
    pub(crate) fn input(&mut self, attrs: &[Attr<'_>]) {
        self.open("input", attrs);
        self.out.push_str("/>");
    }

    /// `<meta attrs>`, never closed.
    pub(crate) fn meta(&mut self, attrs: &[Attr<'_>]) {
        self.never_closed("meta", attrs);
    }

    /// `<link attrs>`, never closed.
    pub(crate) fn link(&mut self, attrs: &[Attr<'_>]) {
        self.never_closed("link", attrs);
    }

    /// `<img attrs>`, never closed.
    pub(crate) fn img(&mut self, attrs: &[Attr<'_>]) {
        self.never_closed("img", attrs);
    }

    /// `<li>content`, never closed (`</li>` breaks the clients' parser).
    pub(crate) fn li(&mut self, content: impl FnOnce(&mut Html)) {
        self.out.push_str("<li>");
        content(self);
    }

    fn never_closed(&mut self, tag: &str, attrs: &[Attr<'_>]) {
        self.open(tag, attrs);
        self.out.push('>');
    }

    fn open(&mut self, tag: &str, attrs: &[Attr<'_>]) {
        let _ = write!(self.out, "<{tag}");
        for attr in attrs {
            match attr {
                Attr::Value(name, value) => {
                    let _ = write!(self.out, " {name}=\"");
                    escape_into(&mut self.out, value, true);
                    self.out.push('"');
                }
                Attr::Bare(name) => {
                    let _ = write!(self.out, " {name}");
                }
            }
        }
    }
}

fn escape_into(out: &mut String, text: &str, in_attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_close_and_the_exceptions_do_not() {
        let mut h = Html::default();
        h.meta(&[a("charset", "utf-8")]);
        h.el("form", &[a("name", "F")], |h| {
            h.input(&[a("type", "radio"), a("name", "Bin"), a("value", "1"), Attr::Bare("checked")]);
            h.el("select", &[a("name", "Filter")], |h| {
                h.el_text("option", &[a("value", "3"), Attr::Bare("selected")], "3 <Ha>");
            });
        });
        h.el("ul", &[], |h| h.li(|h| h.text("a & b")));
        h.img(&[a("src", "/Preview.jpg"), a("alt", "say \"hi\"")]);
        assert_eq!(
            h.finish(),
            concat!(
                r#"<meta charset="utf-8"><form name="F"><input type="radio" name="Bin" value="1" checked/>"#,
                r#"<select name="Filter"><option value="3" selected>3 &lt;Ha&gt;</option></select></form>"#,
                r#"<ul><li>a &amp; b</ul><img src="/Preview.jpg" alt="say &quot;hi&quot;">"#
            )
        );
    }
}
