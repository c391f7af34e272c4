//! Events the v2 API announces: pushed to every `/v2/socket` client and listed by
//! `/v2/api/event-history`.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::http::StatusCode;
use chrono::{Local, SecondsFormat};
use serde::Serialize;
use stx_history::ImageRecord;
use tokio::sync::broadcast;

use super::envelope::{SOCKET, envelope_text};
use super::record_json::RecordJson;

/// How many socket messages a slow WebSocket client may fall behind before it misses
/// some (it is told by a lag, and reads on).
const SOCKET_BACKLOG: usize = 256;
/// How many events `/v2/api/event-history` keeps.
const HISTORY_KEPT: usize = 10_000;

/// One entry of the event history.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct EventEntry {
    #[serde(rename = "Event")]
    pub(crate) event: &'static str,
    #[serde(rename = "Time")]
    pub(crate) time: String,
}

/// The announcer: a broadcast channel of ready-made JSON messages, and the list.
#[derive(Debug)]
pub struct EventBus {
    socket: broadcast::Sender<String>,
    history: Mutex<VecDeque<EventEntry>>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus { socket: broadcast::channel(SOCKET_BACKLOG).0, history: Mutex::new(VecDeque::new()) }
    }
}

#[derive(Serialize)]
struct ImageSave<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "ImageStatistics")]
    statistics: RecordJson<'a>,
}

impl EventBus {
    /// Announces a newly recorded image (`IMAGE-SAVE`).
    pub fn image_saved(&self, record: &ImageRecord) {
        let message = ImageSave { event: "IMAGE-SAVE", statistics: RecordJson::from(record) };
        // No subscriber is not an error: nobody is listening right now.
        let _ = self.socket.send(envelope_text(&message, "", StatusCode::OK, SOCKET));
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        if history.len() == HISTORY_KEPT {
            history.pop_front();
        }
        history.push_back(EventEntry {
            event: "IMAGE-SAVE",
            time: Local::now().fixed_offset().to_rfc3339_opts(SecondsFormat::Millis, false),
        });
    }

    /// Announces that finished frames cannot be stored (`IMAGE-STORE-FAILED`, with
    /// the error): they are held in memory and retried.
    pub fn storage_failed(&self, error: &str) {
        self.notice("IMAGE-STORE-FAILED", error);
    }

    /// Announces that held frames are stored again (`IMAGE-STORE-RESUMED`).
    pub fn storage_resumed(&self) {
        self.notice("IMAGE-STORE-RESUMED", "");
    }

    /// Sends an event that carries only its name and a message, and lists it.
    fn notice(&self, event: &'static str, message: &str) {
        #[derive(Serialize)]
        struct Notice<'a> {
            #[serde(rename = "Event")]
            event: &'static str,
            #[serde(rename = "Message")]
            message: &'a str,
        }
        let _ = self.socket.send(envelope_text(&Notice { event, message }, "", StatusCode::OK, SOCKET));
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        if history.len() == HISTORY_KEPT {
            history.pop_front();
        }
        history.push_back(EventEntry {
            event,
            time: Local::now().fixed_offset().to_rfc3339_opts(SecondsFormat::Millis, false),
        });
    }

    /// A receiver of every message sent from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<String> {
        self.socket.subscribe()
    }

    /// The events so far, oldest first.
    pub(crate) fn history(&self) -> Vec<EventEntry> {
        self.history.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }
}
