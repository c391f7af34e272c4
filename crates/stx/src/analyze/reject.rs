//! Moving a flagged frame into the reject directory: never deleting, never
//! overwriting, across filesystems too.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Moves `file` into `dir` (created if needed) under its own name; returns the new
/// path. Refuses (`AlreadyExists`) if that name is taken. On one filesystem the file
/// is hard-linked to the new name (which fails rather than replaces) and then
/// unlinked; elsewhere, or where links are not supported, it is copied to a new
/// file, synced, and only then removed. Either way the file exists under at least
/// one name at every moment.
pub(crate) fn move_into(file: &Path, dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name =
        file.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let target = dir.join(name);
    match std::fs::hard_link(file, &target) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(taken(&target)),
        Err(_) => copy_new(file, &target)?,
    }
    sync_dir(dir)?;
    std::fs::remove_file(file)?;
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    Ok(target)
}

fn taken(target: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::AlreadyExists, format!("{} exists; not overwriting it", target.display()))
}

/// Copies to a file that must not exist yet, synced; a partial copy is removed.
fn copy_new(file: &Path, target: &Path) -> io::Result<()> {
    let mut out = File::create_new(target)
        .map_err(|e| if e.kind() == io::ErrorKind::AlreadyExists { taken(target) } else { e })?;
    let copied = io::copy(&mut File::open(file)?, &mut out).and_then(|_| out.sync_all());
    if let Err(e) = copied {
        let _ = std::fs::remove_file(target);
        return Err(e);
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_and_refuses_to_overwrite() {
        let tmp = tempfile::TempDir::new().unwrap();
        let (a, rejects) = (tmp.path().join("a.fits"), tmp.path().join("rejects"));
        std::fs::write(&a, b"frame a").unwrap();
        let moved = move_into(&a, &rejects).unwrap();
        assert_eq!((moved.clone(), a.exists()), (rejects.join("a.fits"), false));
        assert_eq!(std::fs::read(&moved).unwrap(), b"frame a");
        std::fs::write(&a, b"another a").unwrap();
        let err = move_into(&a, &rejects).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&a).unwrap(), b"another a");
        assert_eq!(std::fs::read(&moved).unwrap(), b"frame a");
    }

    #[test]
    fn across_filesystems_by_copy() {
        // /tmp and /dev/shm (tmpfs) are two filesystems on Linux: no hard link.
        let (from, to) = (tempfile::TempDir::new().unwrap(), tempfile::TempDir::new_in("/dev/shm").unwrap());
        let a = from.path().join("a.fits");
        std::fs::write(&a, vec![3u8; 50_000]).unwrap();
        assert!(std::fs::hard_link(&a, to.path().join("probe")).is_err(), "one filesystem: nothing tested");
        let moved = move_into(&a, &to.path().join("rejects")).unwrap();
        assert_eq!((std::fs::read(&moved).unwrap(), a.exists()), (vec![3u8; 50_000], false));
    }

    #[test]
    fn the_copy_path_refuses_too_and_copies_whole() {
        let tmp = tempfile::TempDir::new().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        std::fs::write(&a, vec![7u8; 100_000]).unwrap();
        copy_new(&a, &b).unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), vec![7u8; 100_000]);
        assert_eq!(copy_new(&a, &b).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
    }
}
