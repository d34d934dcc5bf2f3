//! File names a peer chose, made safe to write: [`safe_name`] turns any announced name into one plain file
//! name (no directory part, no `..`, no leading dot, no control characters), and [`free_path`] finds a name
//! in the target directory that is not taken yet (`name`, `name (1)`, …). A peer can never make us write
//! outside the directory we were given.

use std::path::{Path, PathBuf};

/// The longest name kept, in characters (the web client cuts at 200 too).
const MAX_NAME_CHARS: usize = 200;

/// The name used when nothing usable is left.
const FALLBACK: &str = "file";

/// A plain file name from a name announced by a peer.
pub fn safe_name(announced: &str) -> String {
    // Only the last path component counts ("../../etc/passwd" → "passwd", "C:\x\y.txt" → "y.txt").
    let last = announced.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        last.chars().map(|c| if c.is_control() || c == ':' { '_' } else { c }).take(MAX_NAME_CHARS).collect();
    // No hidden files and no "." or "..": leading dots and surrounding spaces go.
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() { FALLBACK.to_owned() } else { trimmed.to_owned() }
}

/// A path in `dir` for `name` (already [`safe_name`]d) that does not exist yet: `name`, then `stem (1).ext`,
/// `stem (2).ext`, … up to `tries` attempts; `None` if all are taken.
pub fn free_path(dir: &Path, name: &str, tries: u32) -> Option<PathBuf> {
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => (&name[..dot], &name[dot..]),
        _ => (name, ""),
    };
    (0..tries).map(|n| if n == 0 { name.to_owned() } else { format!("{stem} ({n}){ext}") }).find_map(|candidate| {
        let path = dir.join(candidate);
        // (symlink_metadata: a dangling link is taken too)
        path.symlink_metadata().is_err().then_some(path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_leave_the_directory() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(safe_name(".."), "file");
        assert_eq!(safe_name("."), "file");
        assert_eq!(safe_name("dir/"), "file");
        assert_eq!(safe_name(".bashrc"), "bashrc");
        assert_eq!(safe_name("  ...hidden  "), "hidden");
        assert_eq!(safe_name("a\u{0}b\nc\u{7f}d"), "a_b_c_d");
        assert_eq!(safe_name("C:evil"), "C_evil");
        assert_eq!(safe_name(""), "file");
        assert_eq!(safe_name("report 2026.pdf"), "report 2026.pdf");
        assert_eq!(safe_name(&"x".repeat(500)).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn clashes_get_a_number() {
        let tmp = tempfile::Builder::new().prefix("ruang-peer-names-").tempdir().unwrap();
        let dir = tmp.path().to_owned();
        assert_eq!(free_path(&dir, "a.txt", 5).unwrap(), dir.join("a.txt"));
        std::fs::write(dir.join("a.txt"), b"1").unwrap();
        assert_eq!(free_path(&dir, "a.txt", 5).unwrap(), dir.join("a (1).txt"));
        std::fs::write(dir.join("a (1).txt"), b"1").unwrap();
        assert_eq!(free_path(&dir, "a.txt", 5).unwrap(), dir.join("a (2).txt"));
        assert_eq!(free_path(&dir, "a.txt", 2), None);
        std::fs::write(dir.join("noext"), b"1").unwrap();
        assert_eq!(free_path(&dir, "noext", 5).unwrap(), dir.join("noext (1)"));
    }
}
