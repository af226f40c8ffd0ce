//! Writes that cannot lose a user's file.
//!
//! Every file the tool writes goes through here: a temporary file beside the target, then
//! one `rename` over it (so a full disk or a crash leaves the old file whole, never half of
//! the new one), with the old file's permissions. A file the tool rewrites (`lint --fix`) is
//! rewritten only if it still holds the bytes that were analysed, once per file identity
//! (device and inode, so two names of one file are fixed once). Nothing is written through a
//! symbolic link that leads out of the tree being worked on.

use infralens_lint::source::Fingerprint;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a file was not written. Each message names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file changed after it was read.
    #[error("`{0}` changed since it was read (saved by an editor?): not written; run again")]
    Changed(String),
    /// A symbolic link that leads out of the tree.
    #[error(
        "`{path}` is a link to `{target}`, outside `{root}`: not written through it; replace the link with the file, or work in the tree it leads to"
    )]
    OutsideTree {
        /// The link.
        path: String,
        /// Where it leads.
        target: String,
        /// The tree being worked on.
        root: String,
    },
    /// An existing file the tool did not write, which it would replace.
    #[error("`{0}` exists and was not written by infralens: not overwritten; {1}")]
    NotOurs(String, &'static str),
    /// The file system refused.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A file's identity: its device and inode where the system has them, its canonical path
/// elsewhere. Two names of one file (a hard or symbolic link, `src//a.rs`) have one
/// identity.
///
/// ```
/// use infralens_cli::write::Identity;
/// let here = Identity::of(std::path::Path::new("Cargo.toml")).expect("exists");
/// assert_eq!(here, Identity::of(std::path::Path::new("./Cargo.toml")).expect("exists"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity(IdentityInner);

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum IdentityInner {
    #[cfg_attr(not(unix), allow(dead_code))]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

impl Identity {
    /// The identity of the file `path` names (through links).
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn of(path: &Path) -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(path)?;
            Ok(Identity(IdentityInner::Inode(meta.dev(), meta.ino())))
        }
        #[cfg(not(unix))]
        {
            Ok(Identity(IdentityInner::Path(std::fs::canonicalize(path)?)))
        }
    }
}

/// The directory `path` is in (`.` for a bare file name).
///
/// ```
/// use infralens_cli::write::dir_of;
/// use std::path::Path;
/// assert_eq!(dir_of(Path::new("src/a.rs")), Path::new("src"));
/// assert_eq!(dir_of(Path::new("a.rs")), Path::new("."));
/// ```
pub fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Where a write to `path` lands: the file itself, or the end of the links it is, refused
/// when that is outside `root`.
fn target_within(path: &Path, root: &Path) -> Result<PathBuf, WriteError> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    // A link is followed to its end; a new or plain file is written where it is, but its
    // directory may itself be reached through a link.
    let (target, lands) = if is_link {
        let end = std::fs::canonicalize(path).map_err(io(path))?;
        (end.clone(), end)
    } else {
        let dir = dir_of(path);
        let lands = std::fs::canonicalize(dir).map_err(io(dir))?;
        (path.to_path_buf(), lands)
    };
    let root_c = std::fs::canonicalize(root).map_err(io(root))?;
    if !lands.starts_with(&root_c) {
        return Err(WriteError::OutsideTree {
            path: path.display().to_string(),
            target: lands.display().to_string(),
            root: root_c.display().to_string(),
        });
    }
    Ok(target)
}

/// Writes `contents` to `target` through a temporary file beside it and a rename, keeping
/// the permissions of the file it replaces.
fn atomic(target: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let dir = dir_of(target);
    let mut temp = tempfile::Builder::new()
        .prefix(".infralens-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io(target))?;
    temp.write_all(contents).map_err(io(target))?;
    temp.as_file().sync_all().map_err(io(target))?;
    if let Ok(meta) = std::fs::metadata(target) {
        std::fs::set_permissions(temp.path(), meta.permissions()).map_err(io(target))?;
    }
    temp.persist(target).map_err(|e| WriteError::Io {
        path: target.display().to_string(),
        source: e.error,
    })?;
    Ok(())
}

/// Rewrites the existing file `path` with `edit(bytes)`, computed from the bytes it holds,
/// only if those are the bytes that were analysed (`analysed`), never through a link out of
/// `root`. Returns what was written (`None` when `edit` leaves the bytes as they are).
///
/// ```
/// use infralens_cli::write::replace;
/// use infralens_lint::source::Fingerprint;
/// let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
/// let file = dir.path().join("a.rs");
/// std::fs::write(&file, "old").map_err(|e| e.to_string())?;
/// let seen = Fingerprint::of(b"old");
/// replace(&file, seen, dir.path(), |_| b"new".to_vec()).map_err(|e| e.to_string())?;
/// assert_eq!(std::fs::read_to_string(&file).map_err(|e| e.to_string())?, "new");
/// // the file no longer holds the bytes the fix was computed from: refused
/// let err = replace(&file, seen, dir.path(), |_| b"newer".to_vec()).unwrap_err();
/// assert!(err.to_string().contains("changed since it was read"));
/// # Ok::<(), String>(())
/// ```
///
/// # Errors
/// [`WriteError`]: the file changed, leads out of `root`, or cannot be written.
pub fn replace(
    path: &Path,
    analysed: Fingerprint,
    root: &Path,
    edit: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Result<Option<Vec<u8>>, WriteError> {
    let target = target_within(path, root)?;
    let now = std::fs::read(&target).map_err(io(path))?;
    if Fingerprint::of(&now) != analysed {
        return Err(WriteError::Changed(path.display().to_string()));
    }
    let new = edit(&now);
    if new == now {
        return Ok(None);
    }
    atomic(&target, &new)?;
    Ok(Some(new))
}

/// Writes a file the tool owns (a page of the handbook, an exercise put back, a progress
/// file): created, or replaced when `ours` says the file there is the tool's own output;
/// never through a link out of `root`.
///
/// ```
/// use infralens_cli::write::create;
/// let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
/// let page = dir.path().join("index.html");
/// create(&page, b"<!-- infralens -->", dir.path(), |_| true).map_err(|e| e.to_string())?;
/// std::fs::write(&page, "my own notes").map_err(|e| e.to_string())?;
/// let err = create(&page, b"<!-- infralens -->", dir.path(), |old| old.starts_with(b"<!-- infralens")).unwrap_err();
/// assert!(err.to_string().contains("was not written by infralens"));
/// # Ok::<(), String>(())
/// ```
///
/// # Errors
/// [`WriteError`]: a file that is not the tool's is in the way, the path leads out of
/// `root`, or it cannot be written.
pub fn create(
    path: &Path,
    contents: &[u8],
    root: &Path,
    ours: impl FnOnce(&[u8]) -> bool,
) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir_of(path)).map_err(io(dir_of(path)))?;
    let target = target_within(path, root)?;
    match std::fs::metadata(&target) {
        Ok(meta) if meta.is_dir() => {
            return Err(WriteError::NotOurs(
                path.display().to_string(),
                "it is a directory",
            ));
        }
        Ok(_) => {
            let old = std::fs::read(&target).map_err(io(path))?;
            if !ours(&old) {
                return Err(WriteError::NotOurs(
                    path.display().to_string(),
                    "move it away, or choose another place",
                ));
            }
        }
        Err(_) => {}
    }
    atomic(&target, contents)
}
