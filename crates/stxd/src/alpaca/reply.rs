//! The Alpaca reply: every answer to a well-formed device call is HTTP 200 with the JSON
//! envelope `{Value?, ClientTransactionID, ServerTransactionID, ErrorNumber,
//! ErrorMessage}`; a device error is an ASCOM error number in that envelope, never an
//! HTTP status. Only a call the protocol cannot read (unknown path, missing or
//! malformed parameter) is HTTP 400 with a text body. The error numbers and their texts
//! are defined here, once.

use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The transaction ids of one reply: the client's echoed, the server's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Transaction {
    /// `ClientTransactionID` as sent, or 0.
    pub(crate) client: u32,
    /// `ServerTransactionID`: ≥ 1, one more for each reply.
    pub(crate) server: u32,
}

/// The server's transaction counter.
#[derive(Debug, Default)]
pub(crate) struct Transactions(AtomicU32);

impl Transactions {
    /// The ids of the next reply, echoing `client`.
    pub(crate) fn next(&self, client: u32) -> Transaction {
        // Starts at 1 and skips 0 when it wraps: 0 means "none" to clients.
        let server = loop {
            let n = self.0.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
            if n != 0 {
                break n;
            }
        };
        Transaction { client, server }
    }
}

/// A device call that failed: its ASCOM error number and text are defined here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AlpacaError {
    /// 0x400: the device does not have this member (a CCD has no gain).
    NotImplemented(&'static str),
    /// 0x401: a value out of range; the text says which and why.
    InvalidValue(String),
    /// 0x402: a value read before anything set it (the last exposure before any).
    ValueNotSet(&'static str),
    /// 0x407: an operational call while the device is not connected.
    NotConnected,
    /// 0x40B: a call the device's state does not allow now; the text says why.
    InvalidOperation(String),
    /// 0x40C: `Action` names no action this device has.
    ActionNotImplemented,
    /// 0x500: the camera behind stxd failed or cannot be reached; the text is its own.
    Driver(String),
}

impl AlpacaError {
    /// The ASCOM error number.
    pub(crate) fn number(&self) -> u32 {
        match self {
            AlpacaError::NotImplemented(_) => 0x400,
            AlpacaError::InvalidValue(_) => 0x401,
            AlpacaError::ValueNotSet(_) => 0x402,
            AlpacaError::NotConnected => 0x407,
            AlpacaError::InvalidOperation(_) => 0x40B,
            AlpacaError::ActionNotImplemented => 0x40C,
            AlpacaError::Driver(_) => 0x500,
        }
    }

    /// The `ErrorMessage`.
    pub(crate) fn message(&self) -> String {
        match self {
            AlpacaError::NotImplemented(member) => format!("{member} is not implemented by this device"),
            AlpacaError::InvalidValue(why)
            | AlpacaError::InvalidOperation(why)
            | AlpacaError::Driver(why) => why.clone(),
            AlpacaError::ValueNotSet(what) => format!("{what} has no value yet"),
            AlpacaError::NotConnected => "The device is not connected: PUT connected=true first".to_owned(),
            AlpacaError::ActionNotImplemented => "This device supports no actions".to_owned(),
        }
    }
}

/// The envelope, keys in the order the ASCOM simulators write them.
#[derive(Serialize)]
struct Envelope<T: Serialize> {
    #[serde(rename = "Value", skip_serializing_if = "Option::is_none")]
    value: Option<T>,
    #[serde(rename = "ClientTransactionID")]
    client: u32,
    #[serde(rename = "ServerTransactionID")]
    server: u32,
    #[serde(rename = "ErrorNumber")]
    number: u32,
    #[serde(rename = "ErrorMessage")]
    message: String,
}

/// A successful getter's reply.
pub(crate) fn value<T: Serialize>(value: T, ids: Transaction) -> Response {
    envelope(Some(value), ids, 0, String::new())
}

/// A successful method's reply (no `Value`).
pub(crate) fn done(ids: Transaction) -> Response {
    envelope(None::<()>, ids, 0, String::new())
}

/// A device error's reply: HTTP 200, the number and text in the envelope.
pub(crate) fn error(error: &AlpacaError, ids: Transaction) -> Response {
    envelope(None::<()>, ids, error.number(), error.message())
}

/// A call the protocol cannot read: HTTP 400, text body.
pub(crate) fn bad_request(text: &str) -> Response {
    let mut response = (StatusCode::BAD_REQUEST, text.to_owned()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// Any JSON body (management replies and the envelope).
pub(crate) fn json_text<T: Serialize>(body: &T) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|e| {
        tracing::error!("alpaca reply not serialisable: {e}");
        String::new()
    });
    let mut response = (StatusCode::OK, text).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn envelope<T: Serialize>(value: Option<T>, ids: Transaction, number: u32, message: String) -> Response {
    json_text(&Envelope { value, client: ids.client, server: ids.server, number, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_ids_start_at_one_and_never_repeat_zero() {
        let t = Transactions::default();
        assert_eq!(t.next(5), Transaction { client: 5, server: 1 });
        assert_eq!(t.next(0).server, 2);
        let wrapping = Transactions(AtomicU32::new(u32::MAX - 1));
        assert_eq!(wrapping.next(0).server, u32::MAX);
        assert_eq!(wrapping.next(0).server, 1);
    }

    #[test]
    fn numbers_are_the_ascom_ones() {
        let numbers: Vec<u32> = [
            AlpacaError::NotImplemented("Gain"),
            AlpacaError::InvalidValue(String::new()),
            AlpacaError::ValueNotSet("LastExposureDuration"),
            AlpacaError::NotConnected,
            AlpacaError::InvalidOperation(String::new()),
            AlpacaError::ActionNotImplemented,
            AlpacaError::Driver(String::new()),
        ]
        .iter()
        .map(AlpacaError::number)
        .collect();
        assert_eq!(numbers, [0x400, 0x401, 0x402, 0x407, 0x40B, 0x40C, 0x500]);
    }
}
