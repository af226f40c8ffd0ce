/// The files of the labs directory that are this package's own, not labs (its manifest,
/// build script, library, license texts; what `cargo package` adds): left out of `FILES`.
///
/// ```
/// assert!(infralens_lab_data::NOT_DATA.contains(&"Cargo.toml"));
/// assert!(infralens_lab_data::FILES.iter().all(|(path, _)| *path != "lib.rs"));
/// ```
pub const NOT_DATA: &[&str] = &[
    "Cargo.toml",
    "Cargo.toml.orig",
    "Cargo.lock",
    "build.rs",
    "lib.rs",
    "not_data.rs",
    "LICENSE-APACHE",
    "LICENSE-MIT",
    "README.md",
    ".cargo_vcs_info.json",
    "target",
];
