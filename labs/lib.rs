//! The InfraLens labs as data: every file of the labs directory (`info.toml`, each lab's
//! page, starter, exercises, solutions and pinned errors), embedded at build time from this
//! package's own directory, so that the `infralens` command carries them wherever it is
//! installed from — a checkout or a registry.
//!
//! ```
//! let info = infralens_lab_data::file("info.toml").expect("the catalogue");
//! assert!(info.contains("[[labs]]") && info.contains("[[exercises]]"));
//! assert!(infralens_lab_data::FILES.iter().any(|(path, _)| path.ends_with("/README.md")));
//! ```

#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/files.rs"));

// `NOT_DATA`: shared with the build script, which leaves these files out.
include!("not_data.rs");

/// A file of the labs, by its path relative to the labs directory (`"info.toml"`,
/// `"02-qkv-shape-walkthrough/README.md"`).
///
/// ```
/// let page = infralens_lab_data::file("02-qkv-shape-walkthrough/README.md").expect("Lab 02");
/// assert!(page.starts_with("# Lab 02"));
/// assert_eq!(infralens_lab_data::file("no/such/file"), None);
/// ```
pub fn file(path: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
}
