//! Events the v2 API announces: pushed to every `/v2/socket` client and listed by
//! `/v2/api/event-history`, named and shaped as the widely used implementation sends
//! them.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::http::StatusCode;
use chrono::{Local, SecondsFormat};
use serde::Serialize;
use stx_history::ImageRecord;
use tokio::sync::broadcast;

use super::envelope::{SOCKET, envelope_text};
use super::equipment::FilterJson;
use super::record_json::RecordJson;
use crate::pipeline::{EventSink, PipelineEvent};

/// How many socket messages a slow WebSocket client may fall behind before it misses
/// some (it is told by a lag, and reads on).
const SOCKET_BACKLOG: usize = 256;
/// How many events `/v2/api/event-history` keeps.
const HISTORY_KEPT: usize = 10_000;

/// What happened, as `{"Event": NAME, …details}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "Event")]
pub(crate) enum Event {
    /// A new record (the socket message adds its `ImageStatistics`).
    #[serde(rename = "IMAGE-SAVE")]
    ImageSave,
    /// The camera answers again.
    #[serde(rename = "CAMERA-CONNECTED")]
    CameraConnected,
    /// The camera stopped answering.
    #[serde(rename = "CAMERA-DISCONNECTED")]
    CameraDisconnected,
    /// The filter wheel is there again.
    #[serde(rename = "FILTERWHEEL-CONNECTED")]
    FilterWheelConnected,
    /// The filter wheel is gone or failing.
    #[serde(rename = "FILTERWHEEL-DISCONNECTED")]
    FilterWheelDisconnected,
    /// Finished frames cannot be stored: they are held in memory and retried (stxd's
    /// own event).
    #[serde(rename = "IMAGE-STORE-FAILED", rename_all = "PascalCase")]
    ImageStoreFailed {
        /// What the store said, the OS error included.
        message: String,
    },
    /// Held frames are stored again (stxd's own event).
    #[serde(rename = "IMAGE-STORE-RESUMED", rename_all = "PascalCase")]
    ImageStoreResumed {
        /// Empty.
        message: String,
    },
    /// Another filter is in the beam.
    #[serde(rename = "FILTERWHEEL-CHANGED", rename_all = "PascalCase")]
    FilterWheelChanged {
        /// The filter before.
        previous: FilterJson,
        /// The filter now.
        new: FilterJson,
    },
}

/// One entry of the event history: the event and when it happened.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct EventEntry {
    #[serde(flatten)]
    pub(crate) event: Event,
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

impl EventSink for EventBus {
    fn send(&self, event: PipelineEvent) {
        match event {
            PipelineEvent::FrameKept(record) => self.image_saved(&record),
            PipelineEvent::StorageFailed(error) => self.publish(Event::ImageStoreFailed { message: error }),
            PipelineEvent::StorageResumed => {
                self.publish(Event::ImageStoreResumed { message: String::new() })
            }
        }
    }
}

impl EventBus {
    /// Announces a newly recorded image (`IMAGE-SAVE`).
    fn image_saved(&self, record: &ImageRecord) {
        let message = ImageSave { event: "IMAGE-SAVE", statistics: RecordJson::from(record) };
        self.announce(envelope_text(&message, "", StatusCode::OK, SOCKET), Event::ImageSave);
    }

    /// Announces an event that carries nothing but its details.
    pub(crate) fn publish(&self, event: Event) {
        self.announce(envelope_text(&event, "", StatusCode::OK, SOCKET), event);
    }

    fn announce(&self, message: String, event: Event) {
        // No subscriber is not an error: nobody is listening right now.
        let _ = self.socket.send(message);
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        if history.len() == HISTORY_KEPT {
            history.pop_front();
        }
        let time = Local::now().fixed_offset().to_rfc3339_opts(SecondsFormat::Millis, false);
        history.push_back(EventEntry { event, time });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(event: Event, expect: &str) {
        assert_eq!(serde_json::to_string(&event).unwrap(), expect);
    }

    #[test]
    fn events_are_named_and_shaped_as_the_plugin_sends_them() {
        check(Event::CameraConnected, r#"{"Event":"CAMERA-CONNECTED"}"#);
        check(Event::FilterWheelDisconnected, r#"{"Event":"FILTERWHEEL-DISCONNECTED"}"#);
        check(
            Event::FilterWheelChanged { previous: FilterJson::new("L", 0), new: FilterJson::new("Ha", 4) },
            r#"{"Event":"FILTERWHEEL-CHANGED","Previous":{"Name":"L","Id":0},"New":{"Name":"Ha","Id":4}}"#,
        );
        let entry = EventEntry { event: Event::ImageSave, time: "2026-12-04T21:00:00.000+00:00".to_owned() };
        assert_eq!(
            serde_json::to_string(&entry).unwrap(),
            r#"{"Event":"IMAGE-SAVE","Time":"2026-12-04T21:00:00.000+00:00"}"#
        );
    }
}
