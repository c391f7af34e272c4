//! An Alpaca request's parameters, read in two stages as the STX port's are: stage one
//! splits the GET query or the PUT form body into percent-decoded pairs
//! (`stx_protocol::request`), stage two finds a key by the protocol's case rule and
//! reads its value as a typed number or flag. Both are pure functions of strings.
//!
//! The case rule: GET keys match in any case; PUT form keys must match exactly (the
//! conformance checker sends `bINX` and expects a 400), and `ClientTransactionID` in the
//! wrong case is ignored (0), not refused. Extra keys are accepted.

use stx_protocol::request::{RawParam, RawRequest, RawValue};

/// The HTTP method of a device call: GET reads a property, PUT sets one or acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verb {
    /// Reads.
    Get,
    /// Writes or acts.
    Put,
}

/// Why a request's parameters cannot be used: answered as HTTP 400 with this text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ParamError {
    /// The query or body is too long to read.
    #[error("{0}")]
    Unreadable(String),
    /// A required key is absent (or, in a PUT, present only in another case).
    #[error("Missing parameter {0}")]
    Missing(&'static str),
    /// The device type has no member of this name for the verb.
    #[error("No such member: {0} (members are lower case)")]
    UnknownMember(String),
    /// A key's value is not of its kind (a number, an integer, true or false).
    #[error("Invalid value for {name}: '{text}'")]
    Malformed {
        /// The key.
        name: &'static str,
        /// What was sent.
        text: String,
    },
}

/// The parameters of one request, with the case rule of its verb.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Params {
    verb: Verb,
    raw: Vec<RawParam>,
}

impl Params {
    /// Stage one: the pairs of a query (GET) or an `x-www-form-urlencoded` body (PUT).
    pub(crate) fn parse(verb: Verb, text: &str) -> Result<Params, ParamError> {
        let raw =
            RawRequest::parse(&format!("/?{text}")).map_err(|e| ParamError::Unreadable(e.to_string()))?;
        Ok(Params { verb, raw: raw.params })
    }

    /// The last value of `name` under the verb's case rule.
    fn find(&self, name: &str) -> Option<&RawValue> {
        let matches = |p: &&RawParam| match self.verb {
            Verb::Get => p.name.eq_ignore_ascii_case(name),
            Verb::Put => p.name == name,
        };
        self.raw.iter().rev().find(matches).map(|p| &p.value)
    }

    /// `ClientTransactionID`, echoed in the reply: 0 when absent, misspelt or not a
    /// 32-bit unsigned number (the protocol's rule, never an error).
    pub(crate) fn client_transaction_id(&self) -> u32 {
        self.find("ClientTransactionID")
            .and_then(RawValue::text)
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The text of a required key.
    pub(crate) fn text(&self, name: &'static str) -> Result<&str, ParamError> {
        match self.find(name) {
            Some(RawValue::Text(t)) => Ok(t),
            Some(RawValue::NotUtf8) => Err(ParamError::Malformed { name, text: "(not UTF-8)".to_owned() }),
            Some(RawValue::Absent) | None => Err(ParamError::Missing(name)),
        }
    }

    /// A required finite number.
    pub(crate) fn real(&self, name: &'static str) -> Result<f64, ParamError> {
        let text = self.text(name)?;
        text.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| malformed(name, text))
    }

    /// A required integer.
    pub(crate) fn int(&self, name: &'static str) -> Result<i64, ParamError> {
        let text = self.text(name)?;
        text.trim().parse::<i64>().map_err(|_| malformed(name, text))
    }

    /// A required `true` or `false`, in any case (alpyca sends `True`).
    pub(crate) fn flag(&self, name: &'static str) -> Result<bool, ParamError> {
        let text = self.text(name)?;
        match text.trim() {
            t if t.eq_ignore_ascii_case("true") => Ok(true),
            t if t.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(malformed(name, text)),
        }
    }
}

fn malformed(name: &'static str, text: &str) -> ParamError {
    ParamError::Malformed { name, text: text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What each reader makes of `key` in a request of `verb` with `input`, one line:
    /// `id=N text=… real=… int=… flag=…`, each value or its error.
    fn check(verb: Verb, input: &str, key: &'static str, expect: &str) {
        let got = match Params::parse(verb, input) {
            Err(e) => format!("error: {e}"),
            Ok(p) => {
                let show = |r: Result<String, ParamError>| r.unwrap_or_else(|e| format!("<{e}>"));
                format!(
                    "id={} text={} real={} int={} flag={}",
                    p.client_transaction_id(),
                    show(p.text(key).map(str::to_owned)),
                    show(p.real(key).map(|v| v.to_string())),
                    show(p.int(key).map(|v| v.to_string())),
                    show(p.flag(key).map(|v| v.to_string())),
                )
            }
        };
        assert_eq!(got, expect, "{verb:?} {input:?} {key}");
    }

    #[test]
    fn get_keys_match_in_any_case() {
        check(
            Verb::Get,
            "binx=2&clienttransactionid=7",
            "BinX",
            "id=7 text=2 real=2 int=2 flag=<Invalid value for BinX: '2'>",
        );
        check(
            Verb::Get,
            "",
            "BinX",
            "id=0 text=<Missing parameter BinX> real=<Missing parameter BinX> int=<Missing parameter BinX> flag=<Missing parameter BinX>",
        );
    }

    #[test]
    fn put_keys_must_match_exactly_but_a_misspelt_transaction_id_is_only_ignored() {
        check(
            Verb::Put,
            "bINX=2&ClientTransactionId=9",
            "BinX",
            "id=0 text=<Missing parameter BinX> real=<Missing parameter BinX> int=<Missing parameter BinX> flag=<Missing parameter BinX>",
        );
        check(
            Verb::Put,
            "BinX=3&ClientID=1&ClientTransactionID=4294967295&Extra=x",
            "BinX",
            "id=4294967295 text=3 real=3 int=3 flag=<Invalid value for BinX: '3'>",
        );
        check(
            Verb::Put,
            "ClientTransactionID=-1",
            "X",
            "id=0 text=<Missing parameter X> real=<Missing parameter X> int=<Missing parameter X> flag=<Missing parameter X>",
        );
    }

    #[test]
    fn values_read_as_their_kind() {
        check(
            Verb::Put,
            "Light=True",
            "Light",
            "id=0 text=True real=<Invalid value for Light: 'True'> int=<Invalid value for Light: 'True'> flag=true",
        );
        check(
            Verb::Put,
            "Light=fALSE",
            "Light",
            "id=0 text=fALSE real=<Invalid value for Light: 'fALSE'> int=<Invalid value for Light: 'fALSE'> flag=false",
        );
        check(
            Verb::Put,
            "Duration=1.5E-01",
            "Duration",
            "id=0 text=1.5E-01 real=0.15 int=<Invalid value for Duration: '1.5E-01'> flag=<Invalid value for Duration: '1.5E-01'>",
        );
        check(
            Verb::Put,
            "Duration=NaN",
            "Duration",
            "id=0 text=NaN real=<Invalid value for Duration: 'NaN'> int=<Invalid value for Duration: 'NaN'> flag=<Invalid value for Duration: 'NaN'>",
        );
        check(
            Verb::Put,
            "Duration",
            "Duration",
            "id=0 text=<Missing parameter Duration> real=<Missing parameter Duration> int=<Missing parameter Duration> flag=<Missing parameter Duration>",
        );
        check(
            Verb::Put,
            "Name=a+b%21",
            "Name",
            "id=0 text=a b! real=<Invalid value for Name: 'a b!'> int=<Invalid value for Name: 'a b!'> flag=<Invalid value for Name: 'a b!'>",
        );
    }

    #[test]
    fn an_over_long_body_is_unreadable() {
        let long = format!("BinX={}", "1".repeat(9000));
        check(Verb::Put, &long, "BinX", "error: Request URI longer than 8192 bytes.");
    }
}
