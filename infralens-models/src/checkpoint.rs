//! Safetensors checkpoints: every tensor fetched by name into a typed shape, with errors
//! that name the tensor, the dims and both shapes.

use infralens::{Shape, Sizes, Tensor};
use safetensors::Dtype;
use safetensors::tensor::Metadata;
use std::fmt;
use std::path::{Path, PathBuf};

/// What can go wrong loading a model: each error names what to look at.
///
/// ```
/// use infralens_models::LoadError;
/// let err = LoadError::Missing { name: "lm_head.weight".into(), closest: vec!["model.lm_head.weight".into()] };
/// assert_eq!(err.to_string(), "no tensor `lm_head.weight` in the checkpoint; the closest names are `model.lm_head.weight`");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LoadError {
    /// A file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// A file is not a valid safetensors file or `config.json` (truncated, corrupt).
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The checkpoint has no tensor of this name.
    Missing {
        /// The name asked for.
        name: String,
        /// The names in the file that are closest to it.
        closest: Vec<String>,
    },
    /// The tensor's stored shape is not the typed shape.
    Shape {
        /// The tensor.
        name: String,
        /// Its shape in the file.
        stored: Vec<usize>,
        /// The typed shape, by names: `(Dkv, D)`.
        expected: String,
        /// The typed shape's sizes.
        sizes: Vec<usize>,
    },
    /// The tensor's element type is not one that loads into `f32`.
    Dtype {
        /// The tensor.
        name: String,
        /// Its type in the file.
        dtype: String,
    },
    /// `config.json` lacks a field, or its sizes disagree with each other or with the
    /// program's dims.
    Config {
        /// The field, as `config.json` names it.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, message } => {
                write!(f, "cannot read {}: {message}", path.display())
            }
            LoadError::Format { path, message } => {
                write!(f, "{} is not a valid file: {message}", path.display())
            }
            LoadError::Missing { name, closest } => {
                write!(f, "no tensor `{name}` in the checkpoint")?;
                if !closest.is_empty() {
                    let names: Vec<String> = closest.iter().map(|n| format!("`{n}`")).collect();
                    write!(f, "; the closest names are {}", names.join(", "))?;
                }
                Ok(())
            }
            LoadError::Shape {
                name,
                stored,
                expected,
                sizes,
            } => write!(
                f,
                "`{name}` is {stored:?} in the file, but `{expected}` = {sizes:?}"
            ),
            LoadError::Dtype { name, dtype } => write!(
                f,
                "`{name}` is stored as {dtype}; InfraLens loads F32, F16, BF16 and F64"
            ),
            LoadError::Config { field, message } => write!(f, "config.json: `{field}` {message}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// A safetensors file, read once: its header parsed, tensors fetched by name.
///
/// The file is read into memory (a memory map needs `unsafe`, which InfraLens forbids);
/// `bf16` and `f16` tensors are widened to `f32` as they are fetched.
///
/// ```no_run
/// use infralens::prelude::*;
/// use infralens_models::Checkpoint;
/// dims! { pub D = dyn; pub Dkv = dyn; }
/// let ckpt = Checkpoint::open("model.safetensors")?;
/// let k_proj = ckpt.tensor::<(Dkv, D)>("model.layers.0.self_attn.k_proj.weight", &sizes![D = 4096, Dkv = 1024])?;
/// # Ok::<(), infralens_models::LoadError>(())
/// ```
pub struct Checkpoint {
    path: PathBuf,
    bytes: Vec<u8>,
    header: usize,
    metadata: Metadata,
    names: Vec<String>,
}

impl fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checkpoint")
            .field("path", &self.path)
            .field("tensors", &self.names.len())
            .finish()
    }
}

impl Checkpoint {
    /// Reads and checks a safetensors file.
    ///
    /// ```
    /// use infralens_models::{Checkpoint, LoadError};
    /// let dir = std::env::temp_dir().join("infralens-not-safetensors.bin");
    /// std::fs::write(&dir, b"not a checkpoint")?;
    /// assert!(matches!(Checkpoint::open(&dir), Err(LoadError::Format { .. })));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref().to_path_buf();
        let bytes = std::fs::read(&path).map_err(|e| LoadError::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Self::from_bytes(path, bytes)
    }

    /// A checkpoint from bytes already in memory (`path` names it in errors).
    ///
    /// ```
    /// use infralens_models::Checkpoint;
    /// assert!(Checkpoint::from_bytes("mem".into(), vec![0; 4]).is_err());
    /// ```
    pub fn from_bytes(path: PathBuf, bytes: Vec<u8>) -> Result<Self, LoadError> {
        let (header, metadata) =
            safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| LoadError::Format {
                path: path.clone(),
                message: e.to_string(),
            })?;
        // `read_metadata` checks that the offsets cover the data; check the total length too.
        let end = metadata
            .tensors()
            .values()
            .map(|info| info.data_offsets.1)
            .max()
            .unwrap_or(0);
        if 8 + header + end > bytes.len() {
            return Err(LoadError::Format {
                path,
                message: format!(
                    "truncated: the header promises {} bytes of data, the file has {}",
                    end,
                    bytes.len().saturating_sub(8 + header)
                ),
            });
        }
        let mut names: Vec<String> = metadata.tensors().keys().cloned().collect();
        names.sort_unstable();
        Ok(Checkpoint {
            path,
            bytes,
            header,
            metadata,
            names,
        })
    }

    /// The names of its tensors, sorted.
    ///
    /// ```no_run
    /// let ckpt = infralens_models::Checkpoint::open("model.safetensors")?;
    /// for name in ckpt.names() { println!("{name}"); }
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether it holds a tensor called `name`.
    ///
    /// ```no_run
    /// let ckpt = infralens_models::Checkpoint::open("model.safetensors")?;
    /// let tied = !ckpt.contains("lm_head.weight");
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.metadata.info(name).is_some()
    }

    /// The tensor `name` as `Tensor<Sh>`: its stored shape must be `Sh` with the sizes of
    /// `sizes` (run-time dims) and of the types (compile-time dims).
    ///
    /// ```no_run
    /// use infralens::prelude::*;
    /// use infralens_models::Checkpoint;
    /// dims! { pub V = dyn; pub D = dyn; }
    /// let ckpt = Checkpoint::open("model.safetensors")?;
    /// let embed = ckpt.tensor::<(V, D)>("model.embed_tokens.weight", &sizes![V = 256, D = 64])?;
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn tensor<Sh: Shape>(&self, name: &str, sizes: &Sizes) -> Result<Tensor<Sh>, LoadError> {
        let Some(info) = self.metadata.info(name) else {
            return Err(LoadError::Missing {
                name: name.to_owned(),
                closest: self.closest(name),
            });
        };
        let expected = sizes.sizes_of::<Sh>().map_err(|e| LoadError::Config {
            field: name.to_owned(),
            message: e.to_string(),
        })?;
        if info.shape != expected {
            return Err(LoadError::Shape {
                name: name.to_owned(),
                stored: info.shape.clone(),
                expected: Sh::symbolic(),
                sizes: expected,
            });
        }
        let (start, end) = info.data_offsets;
        let raw = &self.bytes[8 + self.header + start..8 + self.header + end];
        let values: Vec<f32> = match info.dtype {
            Dtype::F32 => raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Dtype::F16 => raw
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::BF16 => raw
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::F64 => raw
                .chunks_exact(8)
                .map(|b| {
                    f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
                })
                .collect(),
            other => {
                return Err(LoadError::Dtype {
                    name: name.to_owned(),
                    dtype: format!("{other:?}"),
                });
            }
        };
        Tensor::from_vec_in(values, sizes).map_err(|e| LoadError::Format {
            path: self.path.clone(),
            message: format!("`{name}`: {e}"),
        })
    }

    /// The three names closest to `name` (by edit distance).
    fn closest(&self, name: &str) -> Vec<String> {
        let mut scored: Vec<(usize, &String)> = self
            .names
            .iter()
            .map(|k| (edit_distance(name, k), k))
            .collect();
        scored.sort();
        scored.into_iter().take(3).map(|(_, k)| k.clone()).collect()
    }
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("k_proj", "q_proj"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("lm_head", "lm_head"), 0);
    }
}
