//! The web pages read as their strictest client reads them (`docs/stx-web-pages.md`):
//! a small tokenizer, the strict rules as a checker, and a form's fields in form order
//! as that client collects and sends them back.

/// One piece of a page.
#[derive(Clone, Debug, PartialEq)]
pub enum Token {
    /// `<name attrs>` or `<name attrs/>`.
    Start { name: String, attrs: Vec<(String, Option<String>)>, closed: bool },
    /// `</name>`.
    End(String),
    /// Text between tags (entities left as written).
    Text(String),
}

/// The page cut into tags and text; comments and the doctype dropped. The content of
/// `<style>` and `<script>` is text up to their end tag, as HTML parsers read it.
pub fn tokens(html: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").ok_or("unclosed comment")?;
            rest = &after[end + 3..];
        } else if let Some(after) = rest.strip_prefix("<!") {
            let end = after.find('>').ok_or("unclosed declaration")?;
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').ok_or("unclosed end tag")?;
            out.push(Token::End(after[..end].trim().to_ascii_lowercase()));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix('<') {
            let (token, len) = start_tag(after)?;
            rest = &after[len..];
            if let Token::Start { name, closed: false, .. } = &token
                && (name == "style" || name == "script")
            {
                let end = rest.find(&format!("</{name}")).ok_or(format!("unclosed <{name}>"))?;
                let body = rest[..end].to_owned();
                out.push(token);
                out.push(Token::Text(body));
                rest = &rest[end..];
                continue;
            }
            out.push(token);
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            out.push(Token::Text(rest[..end].to_owned()));
            rest = &rest[end..];
        }
    }
    Ok(out)
}

/// A start tag after its `<`: the token and the bytes it took, `>` included.
fn start_tag(s: &str) -> Result<(Token, usize), String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
        i += 1;
    }
    let name = s[..i].to_ascii_lowercase();
    if name.is_empty() {
        return Err(format!("a bare '<' at {:?}", &s[..s.len().min(20)]));
    }
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        match b.get(i) {
            None => return Err(format!("unclosed <{name}")),
            Some(b'>') => return Ok((Token::Start { name, attrs, closed: false }, i + 1)),
            Some(b'/') if b.get(i + 1) == Some(&b'>') => {
                return Ok((Token::Start { name, attrs, closed: true }, i + 2));
            }
            _ => {}
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        if i == start {
            return Err(format!("bad attribute in <{name}"));
        }
        let key = s[start..i].to_ascii_lowercase();
        if b.get(i) == Some(&b'=') {
            i += 1;
            let value = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let end = s[i + 1..].find(q as char).ok_or(format!("unclosed quote in <{name}"))?;
                    let v = &s[i + 1..i + 1 + end];
                    i += end + 2;
                    v
                }
                _ => {
                    let v0 = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    &s[v0..i]
                }
            };
            attrs.push((key, Some(unescape(value))));
        } else {
            attrs.push((key, None));
        }
    }
}

/// The few entities the pages write.
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Tags that must not be closed.
const NEVER_CLOSED: [&str; 4] = ["meta", "link", "img", "li"];
/// The input types the clients accept.
const INPUT_TYPES: [&str; 5] = ["radio", "text", "hidden", "submit", "button"];

fn attr<'a>(attrs: &'a [(String, Option<String>)], key: &str) -> Option<&'a Option<String>> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Checks `html` against the strict rules; the first broken rule, said plainly.
pub fn check_strict(html: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut form_names: Vec<String> = Vec::new();
    let mut form: Option<Form> = None;
    let mut selects: Vec<usize> = Vec::new();
    for token in tokens(html)? {
        match token {
            Token::Start { name, attrs, closed } => {
                if NEVER_CLOSED.contains(&name.as_str()) {
                    if closed {
                        return Err(format!("<{name}/> is closed; it must not be"));
                    }
                } else if !closed {
                    stack.push(name.clone());
                }
                match name.as_str() {
                    "form" => {
                        let form_name =
                            attr(&attrs, "name").cloned().flatten().ok_or("a <form> without a name")?;
                        if form_names.contains(&form_name) {
                            return Err(format!("two forms named {form_name}"));
                        }
                        form_names.push(form_name.clone());
                        form = Some(Form { name: form_name, ..Form::default() });
                    }
                    "input" => {
                        let f = form.as_mut().ok_or("an <input> outside any <form>")?;
                        f.input(&attrs)?;
                    }
                    "select" => selects.push(0),
                    "option" => {
                        let selected = option(&attrs)?;
                        if let Some(n) = selects.last_mut() {
                            *n += usize::from(selected);
                        }
                    }
                    _ => {}
                }
            }
            Token::End(name) => {
                if NEVER_CLOSED.contains(&name.as_str()) {
                    return Err(format!("</{name}> closes a tag that must stay open"));
                }
                match stack.pop() {
                    Some(open) if open == name => {}
                    Some(open) => return Err(format!("</{name}> while <{open}> is open")),
                    None => return Err(format!("</{name}> closes nothing")),
                }
                if name == "form" {
                    form.take().ok_or("</form> without a form")?.finish()?;
                }
                if name == "select" {
                    let n = selects.pop().unwrap_or(0);
                    if n != 1 {
                        return Err(format!("a <select> with {n} selected options (must be exactly one)"));
                    }
                }
            }
            Token::Text(_) => {}
        }
    }
    match stack.last() {
        Some(open) => Err(format!("<{open}> is never closed")),
        None => Ok(()),
    }
}

/// An option's rules: `value=<integer>` first, and a bare `selected`, if any, second.
fn option(attrs: &[(String, Option<String>)]) -> Result<bool, String> {
    match attrs.first() {
        Some((k, Some(v))) if k == "value" && v.parse::<i64>().is_ok() => {}
        _ => return Err(format!("an <option> whose first attribute is not value=<integer>: {attrs:?}")),
    }
    match attr(attrs, "selected") {
        None => Ok(false),
        Some(None) if attrs[1].0 == "selected" => Ok(true),
        Some(_) => Err(format!("an <option> whose `selected` is not the bare second attribute: {attrs:?}")),
    }
}

/// What the checker knows of the form being read.
#[derive(Default)]
struct Form {
    name: String,
    texts: Vec<String>,
    /// Each radio group and how many of its choices are checked.
    radios: Vec<(String, usize)>,
}

impl Form {
    fn input(&mut self, attrs: &[(String, Option<String>)]) -> Result<(), String> {
        let kind = attr(attrs, "type").cloned().flatten().unwrap_or_default();
        if !INPUT_TYPES.contains(&kind.as_str()) {
            return Err(format!("an <input> of type {kind:?} in {}", self.name));
        }
        let name = attr(attrs, "name").cloned().flatten().unwrap_or_default();
        match kind.as_str() {
            "text" | "hidden" => {
                if self.texts.contains(&name) {
                    return Err(format!("two inputs named {name} in {}", self.name));
                }
                self.texts.push(name);
            }
            "radio" => {
                let checked = usize::from(attr(attrs, "checked").is_some());
                match self.radios.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, count)) => *count += checked,
                    None => self.radios.push((name, checked)),
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(self) -> Result<(), String> {
        match self.radios.iter().find(|(_, checked)| *checked != 1) {
            Some((group, n)) => Err(format!("radio group {group} of {} has {n} checked", self.name)),
            None => Ok(()),
        }
    }
}

/// The fields of form `form_name` as the strict client collects them: text and hidden
/// inputs, and each radio group's checked value, in page order (select and submit
/// inputs are not collected).
pub fn form_fields(html: &str, form_name: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut inside = false;
    for token in tokens(html).expect("a page that tokenizes") {
        match token {
            Token::Start { name, attrs, .. } if name == "form" => {
                inside = attr(&attrs, "name").cloned().flatten().as_deref() == Some(form_name);
            }
            Token::End(name) if name == "form" => inside = false,
            Token::Start { name, attrs, .. } if name == "input" && inside => {
                let get = |k: &str| attr(&attrs, k).cloned().flatten().unwrap_or_default();
                let keep = match get("type").as_str() {
                    "text" | "hidden" => true,
                    "radio" => attr(&attrs, "checked").is_some(),
                    _ => false,
                };
                if keep {
                    fields.push((get("name"), get("value")));
                }
            }
            _ => {}
        }
    }
    fields
}

/// The selected option's value in each `<select>` of the page, in order.
pub fn selected_options(html: &str) -> Vec<String> {
    tokens(html)
        .expect("a page that tokenizes")
        .into_iter()
        .filter_map(|t| match t {
            Token::Start { name, attrs, .. } if name == "option" && attr(&attrs, "selected").is_some() => {
                attr(&attrs, "value").cloned().flatten()
            }
            _ => None,
        })
        .collect()
}

/// The status page's `valuename`/`value` pairs, in order.
pub fn value_pairs(html: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut class = String::new();
    let mut key = None;
    for token in tokens(html).expect("a page that tokenizes") {
        match token {
            Token::Start { name, attrs, .. } => {
                class = if name == "td" {
                    attr(&attrs, "class").cloned().flatten().unwrap_or_default()
                } else {
                    String::new()
                };
            }
            Token::Text(text) if class == "valuename" => key = Some(unescape(&text)),
            Token::Text(text) if class == "value" => {
                if let Some(k) = key.take() {
                    pairs.push((k, unescape(&text)));
                }
            }
            _ => class.clear(),
        }
    }
    pairs
}
