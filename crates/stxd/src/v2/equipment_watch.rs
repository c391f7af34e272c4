//! Announces what the implementation announces of the camera and its wheel, where stxd
//! can know it: the camera lost and found again, the wheel lost and found again, and
//! each change of the filter in the beam, whichever client moved it.
//!
//! Found by asking: the camera is read every [`POLL`] and compared with the last
//! reading. A real camera's command budget is shared with its clients; one wheel query
//! a second is a small part of it.

use std::sync::Arc;
use std::time::Duration;

use stx_camera::Camera;
use stx_protocol::{FilterWheelState, FilterWheelStatus};
use tokio::sync::watch;

use super::equipment::FilterJson;
use super::events::{Event, EventBus};

/// How often the camera is read for changes.
pub(crate) const POLL: Duration = Duration::from_secs(1);

/// What one reading of the camera showed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Reading {
    /// The camera did not answer.
    Unreachable,
    /// The camera answered; the wheel is there (at rest or moving) or not.
    Reachable(Option<FilterWheelStatus>),
}

impl Reading {
    /// Reads the camera now. Blocking.
    pub(crate) fn take(camera: &dyn Camera) -> Reading {
        match camera.filter_wheel() {
            Ok(wheel) if wheel.state == FilterWheelState::Error => Reading::Reachable(None),
            Ok(wheel) => Reading::Reachable(Some(wheel)),
            Err(e) => match e.kind() {
                stx_camera::ErrorKind::Stx(_) => Reading::Reachable(None),
                _ => Reading::Unreachable,
            },
        }
    }

    /// The filter at rest in the beam, if any: a moving wheel has none yet.
    fn filter_at_rest(&self) -> Option<FilterJson> {
        match self {
            Reading::Reachable(Some(wheel)) if wheel.state == FilterWheelState::Idle => {
                FilterJson::current(wheel)
            }
            _ => None,
        }
    }
}

/// The events that lead from reading `before` to reading `now`, in the order they
/// happened. A wheel still moving announces nothing yet; the filter it leaves is the
/// last one seen at rest (`rested`).
pub(crate) fn changes(before: &Reading, now: &Reading, rested: &mut Option<FilterJson>) -> Vec<Event> {
    let mut events = Vec::new();
    match (before, now) {
        (Reading::Reachable(_), Reading::Unreachable) => events.push(Event::CameraDisconnected),
        (Reading::Unreachable, Reading::Reachable(_)) => events.push(Event::CameraConnected),
        _ => {}
    }
    let wheel_there = |r: &Reading| matches!(r, Reading::Reachable(Some(_)));
    match (wheel_there(before), wheel_there(now)) {
        (true, false) if matches!(now, Reading::Reachable(None)) => {
            events.push(Event::FilterWheelDisconnected)
        }
        (false, true) if matches!(before, Reading::Reachable(None)) => {
            events.push(Event::FilterWheelConnected)
        }
        _ => {}
    }
    if let Some(filter) = now.filter_at_rest()
        && let Some(previous) = rested.replace(filter.clone()).filter(|p| *p != filter)
    {
        events.push(Event::FilterWheelChanged { previous, new: filter });
    }
    events
}

/// Reads the camera every [`POLL`] and announces changes, until `shutdown` turns true.
pub(crate) async fn run(camera: Arc<dyn Camera>, events: Arc<EventBus>, mut shutdown: watch::Receiver<bool>) {
    let read = |camera: Arc<dyn Camera>| async move {
        tokio::task::spawn_blocking(move || Reading::take(camera.as_ref()))
            .await
            .unwrap_or(Reading::Unreachable)
    };
    let mut before = read(camera.clone()).await;
    let mut rested = before.filter_at_rest();
    let mut tick = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = read(camera.clone()).await;
        for event in changes(&before, &now, &mut rested) {
            events.publish(event);
        }
        before = now;
    }
}

#[cfg(test)]
mod tests {
    use stx_protocol::{FilterName, FilterSlot};

    use super::*;

    fn wheel(state: FilterWheelState, slot: i64) -> Reading {
        let names = ["L", "R", "G", "B", "Ha", "OIII", "SII", "Dark"].map(|n| FilterName::new(n).unwrap());
        Reading::Reachable(Some(FilterWheelStatus { state, current: FilterSlot::new(slot).unwrap(), names }))
    }

    /// Runs the readings in order from a camera at rest in slot 1 and gives every
    /// event announced, as JSON.
    fn check(readings: &[Reading], expect: &[&str]) {
        let mut before = wheel(FilterWheelState::Idle, 1);
        let mut rested = before.filter_at_rest();
        let mut got = Vec::new();
        for now in readings {
            got.extend(changes(&before, now, &mut rested).iter().map(|e| serde_json::to_string(e).unwrap()));
            before = now.clone();
        }
        assert_eq!(got, expect);
    }

    #[test]
    fn a_move_is_announced_once_it_rests() {
        use FilterWheelState::{Idle, Moving};
        check(&[wheel(Idle, 1), wheel(Moving, 5)], &[]);
        check(
            &[wheel(Moving, 5), wheel(Moving, 5), wheel(Idle, 5), wheel(Idle, 5)],
            &[r#"{"Event":"FILTERWHEEL-CHANGED","Previous":{"Name":"L","Id":0},"New":{"Name":"Ha","Id":4}}"#],
        );
        // Moved away and back between two readings: nothing changed.
        check(&[wheel(Moving, 1), wheel(Idle, 1)], &[]);
    }

    #[test]
    fn the_camera_and_the_wheel_lost_and_found() {
        use FilterWheelState::Idle;
        check(
            &[Reading::Unreachable, Reading::Unreachable, wheel(Idle, 1)],
            &[r#"{"Event":"CAMERA-DISCONNECTED"}"#, r#"{"Event":"CAMERA-CONNECTED"}"#],
        );
        check(
            &[Reading::Reachable(None), wheel(Idle, 2)],
            &[
                r#"{"Event":"FILTERWHEEL-DISCONNECTED"}"#,
                r#"{"Event":"FILTERWHEEL-CONNECTED"}"#,
                r#"{"Event":"FILTERWHEEL-CHANGED","Previous":{"Name":"L","Id":0},"New":{"Name":"R","Id":1}}"#,
            ],
        );
    }
}
