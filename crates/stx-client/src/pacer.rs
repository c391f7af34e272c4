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

impl Turn<'_> {
    /// When this turn started: the pacer's own schedule, which the spacing is kept on.
    #[cfg(test)]
    fn started(&self) -> Instant {
        self._guard.expect("a turn has a start")
    }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// The pacer's own schedule, not a clock read elsewhere: eight threads asking at
    /// once get turns whose starts are each at least the interval after the last.
    #[test]
    fn turns_start_at_least_the_interval_apart() {
        let interval = Duration::from_millis(20);
        let pacer = Arc::new(Pacer::new(interval));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let pacer = pacer.clone();
                std::thread::spawn(move || (0..3).map(|_| pacer.turn().started()).collect::<Vec<_>>())
            })
            .collect();
        let mut starts: Vec<Instant> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
        starts.sort();
        assert_eq!(starts.len(), 24);
        for pair in starts.windows(2) {
            assert!(pair[1] - pair[0] >= interval, "two turns {:?} apart", pair[1] - pair[0]);
        }
    }
}
