//! One stxd per data directory: an OS file lock on `stxd.lock`, held for the process's
//! life. A second stxd on the same directory would repair the first one's history under
//! its feet (removing the temp files of frames being written), so it must stop before
//! touching anything, and say who holds the directory.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, flock};

/// The lock file's name in the data directory.
pub const LOCK_FILE: &str = "stxd.lock";

/// Why the data directory could not be locked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another process holds the lock.
    #[error(
        "data directory {dir} is in use by another stxd ({holder}); stop that one or give this one another --data-dir",
        dir = dir.display()
    )]
    Held {
        /// The directory.
        dir: PathBuf,
        /// What the holder wrote in the lock file (its pid and start time).
        holder: String,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock data directory {dir}: {source}", dir = dir.display())]
    Io {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The held lock: released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct DataLock {
    _file: File,
}

impl DataLock {
    /// Locks `dir` (which must exist) for this process, or says who holds it.
    pub fn acquire(dir: &Path) -> Result<DataLock, LockError> {
        let io = |source| LockError::Io { dir: dir.to_owned(), source };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(LOCK_FILE))
            .map_err(io)?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() { "pid unknown".to_owned() } else { holder.to_owned() };
                return Err(LockError::Held { dir: dir.to_owned(), holder });
            }
            Err(e) => return Err(io(e.into())),
        }
        let started = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S");
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "pid {}, started {started}", std::process::id()).map_err(io)?;
        Ok(DataLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::acquire(dir.path()).unwrap();
        let err = DataLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(&format!("in use by another stxd (pid {}, started ", std::process::id())),
            "{err}"
        );
        drop(first);
        DataLock::acquire(dir.path()).expect("free again once the holder is gone");
    }
}
