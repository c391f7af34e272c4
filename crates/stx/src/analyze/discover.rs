//! Which files a run measures: the files named, and the matching files of the
//! directories named, recursively, in name order.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Names taken from directories when no `--glob` is given: FITS files, and their
/// compressed forms, which are then reported as unreadable rather than ignored.
const DEFAULT_GLOBS: [&str; 6] = ["*.fits", "*.fit", "*.fts", "*.fits.fz", "*.fits.gz", "*.fit.gz"];

/// The files to measure: each named file as it is (whatever its name), and the
/// files under each named directory whose name matches `glob` (case-insensitive;
/// default: FITS names), in name order. Symbolic links to directories are not
/// followed (no loops); files under `exclude` (the reject directory) are left out.
pub(crate) fn discover(
    inputs: &[PathBuf],
    glob: Option<&str>,
    exclude: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    let exclude = exclude.and_then(|d| d.canonicalize().ok());
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, glob, exclude.as_deref(), &mut files)?;
        } else {
            // Missing or unreadable: the reader reports it with the others.
            files.push(input.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, glob: Option<&str>, exclude: Option<&Path>, files: &mut Vec<PathBuf>) -> Result<()> {
    if exclude.is_some_and(|e| dir.canonicalize().is_ok_and(|d| d.starts_with(e))) {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot list {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type().with_context(|| format!("cannot read {}", path.display()))?;
        if kind.is_dir() {
            walk(&path, glob, exclude, files)?;
        } else if path.is_file() && wanted(&entry.file_name().to_string_lossy(), glob) {
            files.push(path);
        }
    }
    Ok(())
}

fn wanted(name: &str, glob: Option<&str>) -> bool {
    match glob {
        Some(g) => matches(g, name),
        None => DEFAULT_GLOBS.iter().any(|g| matches(g, name)),
    }
}

/// Whether `name` matches the shell pattern `pattern` (`*` any run of characters,
/// `?` one character), ignoring ASCII case.
fn matches(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (
        pattern.chars().map(|c| c.to_ascii_lowercase()).collect(),
        name.chars().map(|c| c.to_ascii_lowercase()).collect(),
    );
    // Iterative matching with one backtrack point, the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, name: &str, expect: bool) {
        assert_eq!(matches(pattern, name), expect, "{pattern} vs {name}");
    }

    #[test]
    fn shell_patterns() {
        check("*.fits", "m27_0001.fits", true);
        check("*.fits", "M27_0001.FITS", true);
        check("*.fits", "m27.fits.fz", false);
        check("m27_*_R.fit", "m27_0012_R.fit", true);
        check("m27_*_R.fit", "m27_0012_G.fit", false);
        check("frame_??.fits", "frame_07.fits", true);
        check("frame_??.fits", "frame_7.fits", false);
        check("*", "anything", true);
        check("a*b*c", "aXXbYYbc", true);
        check("", "", true);
        check("", "x", false);
    }

    #[test]
    fn directories_recursively_in_name_order_without_the_excluded() {
        let dir = tempfile::TempDir::new().unwrap();
        let root = dir.path();
        for name in ["b.fits", "a.FIT", "notes.txt", "night2/c.fts", "night2/d.fits.fz", "rejects/e.fits"] {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"").unwrap();
        }
        let names = |files: Vec<PathBuf>| -> Vec<String> {
            files.iter().map(|f| f.strip_prefix(root).unwrap().display().to_string()).collect()
        };
        let all = discover(&[root.to_path_buf()], None, Some(&root.join("rejects"))).unwrap();
        assert_eq!(names(all), ["a.FIT", "b.fits", "night2/c.fts", "night2/d.fits.fz"]);
        let txt = discover(&[root.to_path_buf(), root.join("b.fits")], Some("*.txt"), None).unwrap();
        assert_eq!(names(txt), ["notes.txt", "b.fits"]);
    }
}
