//! Thumbnails already made, by the file they show. A stored image file never changes,
//! so a thumbnail made once stays right. Dashboards fetch the newest thumbnails again
//! at every refresh, and making one from a full 4096² frame (read, decode, stretch,
//! shrink, encode) takes over a tenth of a second of a small machine's CPU.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

/// How many thumbnails are kept: a dashboard gallery's worth. A thumbnail is a few
/// kilobytes, so the cache stays well under a megabyte.
const CAPACITY: usize = 64;

/// The most recently used thumbnails, most recent first.
#[derive(Debug, Default)]
pub struct ThumbnailCache {
    entries: Mutex<VecDeque<(String, Vec<u8>)>>,
}

impl ThumbnailCache {
    /// The thumbnail of `filename` if one was made lately; it becomes the most recent.
    pub(crate) fn get(&self, filename: &str) -> Option<Vec<u8>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let at = entries.iter().position(|(name, _)| name == filename)?;
        let entry = entries.remove(at)?;
        let bytes = entry.1.clone();
        entries.push_front(entry);
        Some(bytes)
    }

    /// Keeps `thumbnail` of `filename` as the most recent, forgetting the least
    /// recently used beyond [`CAPACITY`].
    pub(crate) fn insert(&self, filename: &str, thumbnail: Vec<u8>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|(name, _)| name != filename);
        entries.push_front((filename.to_owned(), thumbnail));
        entries.truncate(CAPACITY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_most_recently_used() {
        let cache = ThumbnailCache::default();
        for i in 0..CAPACITY {
            cache.insert(&format!("f{i}"), vec![i as u8]);
        }
        // Using the oldest makes it the most recent, so the next insert drops f1.
        assert_eq!(cache.get("f0"), Some(vec![0]));
        cache.insert("new", vec![255]);
        assert_eq!(cache.get("f1"), None);
        assert_eq!(cache.get("f0"), Some(vec![0]));
        assert_eq!(cache.get("new"), Some(vec![255]));
        assert_eq!(cache.get(&format!("f{}", CAPACITY - 1)), Some(vec![(CAPACITY - 1) as u8]));
    }

    #[test]
    fn a_second_insert_of_a_file_replaces_the_first() {
        let cache = ThumbnailCache::default();
        cache.insert("a", vec![1]);
        cache.insert("a", vec![2]);
        assert_eq!(cache.get("a"), Some(vec![2]));
        assert_eq!(cache.entries.lock().unwrap().len(), 1);
    }
}
