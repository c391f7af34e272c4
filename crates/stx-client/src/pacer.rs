//! One command at a time, at least `min_interval` apart: the camera's embedded server
//! slows down (the spec: "similar to a denial-of-service attack") when polled faster.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Serialises commands and spaces their starts.
#[derive(Debug)]
pub(crate) struct Pacer {
    min_interval: Duration,
    last_start: Mutex<Option<Instant>>,
}

/// A turn to talk to the camera; other commands wait until it is dropped.
#[derive(Debug)]
pub(crate) struct Turn<'a> {
    _guard: MutexGuard<'a, Option<Instant>>,
}

impl Pacer {
    /// A pacer spacing command starts by `min_interval`.
    pub(crate) fn new(min_interval: Duration) -> Pacer {
        Pacer { min_interval, last_start: Mutex::new(None) }
    }

    /// Waits for this command's turn: until no other command is under way and
    /// `min_interval` has passed since the last one started.
    pub(crate) fn turn(&self) -> Turn<'_> {
        let mut last = self.last_start.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = *last {
            let next = at + self.min_interval;
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
        }
        *last = Some(Instant::now());
        Turn { _guard: last }
    }
}
