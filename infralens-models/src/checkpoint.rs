//! Safetensors checkpoints: every tensor fetched by name into a typed shape, with errors
//! that name the tensor, the dims and both shapes.

use infralens::layers::{Conv1D, Embedding, LayerNorm, Linear, RmsNorm, SwiGlu};
use infralens::{Dim, Half, HalfTensor, Shape, Sizes, Tensor};
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
    /// The checkpoint holds tensors the model does not read: a config with fewer layers
    /// than the weights, or parts this decoder has no place for.
    Unused {
        /// The first of them, sorted.
        names: Vec<String>,
        /// How many there are.
        count: usize,
    },
    /// The `Sizes` the program passed lack a size a typed shape needs, or give a
    /// compile-time dim another size: a bug in the calling code, not in the checkpoint.
    Sizes {
        /// The tensor being loaded.
        name: String,
        /// What is wrong with the sizes.
        message: String,
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
            LoadError::Unused { names, count } => {
                let shown: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                write!(
                    f,
                    "the checkpoint holds {count} tensor{} this model does not read ({}{}): a config with fewer layers than the weights, or parts this decoder does not implement; it is not run without them",
                    if *count == 1 { "" } else { "s" },
                    shown.join(", "),
                    if *count > names.len() { ", …" } else { "" }
                )
            }
            LoadError::Sizes { name, message } => write!(
                f,
                "loading `{name}`: the sizes the program passed are incomplete: {message}"
            ),
            LoadError::Config { field, message } => write!(f, "config.json: `{field}` {message}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// Reads `path`, a regular file (a FIFO would block, `/dev/zero` never end), of at most
/// `cap` bytes; the error names the file and says what it is instead.
pub(crate) fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let io = |message: String| LoadError::Io {
        path: path.to_path_buf(),
        message,
    };
    let meta = regular(path)?;
    if meta.len() > cap {
        return Err(io(format!(
            "it is {} bytes, more than the {cap} such a file can be",
            meta.len()
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| io(e.to_string()))?;
    let mut bytes = Vec::new();
    // No more than the size it had when looked at: a file that grows meanwhile is cut there.
    file.take(meta.len())
        .read_to_end(&mut bytes)
        .map_err(|e| io(e.to_string()))?;
    Ok(bytes)
}

/// The metadata of `path` when it is a regular file; else an error saying what it is.
fn regular(path: &Path) -> Result<std::fs::Metadata, LoadError> {
    let io = |message: String| LoadError::Io {
        path: path.to_path_buf(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| io(e.to_string()))?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a device, a pipe, a socket)"
        };
        return Err(io(format!("it is {what}; give the file itself")));
    }
    Ok(meta)
}

/// What a safetensors error means, in words, naming the tensor or field when the header
/// says (the crate's own text is its variant's name, `HeaderTooSmall`).
fn in_words(error: &safetensors::SafeTensorError, bytes: &[u8]) -> String {
    use safetensors::SafeTensorError as E;
    match error {
        E::HeaderTooSmall => format!(
            "it is {} bytes; a safetensors file starts with 8 bytes giving the length of its header",
            bytes.len()
        ),
        E::InvalidHeaderLength => "its first 8 bytes give a header length past the end of the file: truncated, or not a safetensors file".to_owned(),
        E::HeaderTooLarge => "its first 8 bytes give a header of more than 100 MB: not a safetensors file".to_owned(),
        E::InvalidHeader => "its header is not UTF-8 text".to_owned(),
        E::InvalidHeaderStart => "its header does not start with `{`: not a safetensors file".to_owned(),
        E::InvalidHeaderDeserialization => header_problem(bytes),
        E::MetadataIncompleteBuffer => "the tensors' data offsets in its header leave gaps or do not reach the end of the file".to_owned(),
        E::ValidationOverflow => "a tensor's shape in its header is too large to hold (its size overflows)".to_owned(),
        E::TensorInvalidInfo => "a tensor's data range in its header does not match its shape and dtype".to_owned(),
        E::InvalidOffset(name) => format!("the data range of `{name}` in its header does not follow the previous tensor's, or does not match its shape and dtype"),
        E::TensorNotFound(name) => format!("no tensor `{name}`"),
        E::InvalidTensorView(dtype, shape, len) => format!("{len} bytes cannot hold a {dtype:?} tensor of shape {shape:?}"),
        E::IoError(e) => e.to_string(),
        E::JsonError(e) => format!("its header is not valid JSON: {e}"),
    }
}

/// Why a header that is JSON does not describe tensors: the first entry that is not
/// `{"dtype": …, "shape": […], "data_offsets": [begin, end]}`, by name.
fn header_problem(bytes: &[u8]) -> String {
    let header = bytes
        .get(..8)
        .and_then(|n| usize::try_from(u64::from_le_bytes(n.try_into().ok()?)).ok())
        .and_then(|n| bytes.get(8..8usize.checked_add(n)?));
    let json: Option<serde_json::Value> = header.and_then(|h| serde_json::from_slice(h).ok());
    let Some(serde_json::Value::Object(entries)) = json else {
        return "its header is not a JSON object of tensors".to_owned();
    };
    const DTYPES: &[&str] = &[
        "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32",
        "F64", "I64", "U64",
    ];
    for (name, entry) in &entries {
        if name == "__metadata__" {
            if !entry.is_object()
                || entry
                    .as_object()
                    .is_some_and(|m| m.values().any(|v| !v.is_string()))
            {
                return "its `__metadata__` is not a table of strings".to_owned();
            }
            continue;
        }
        match entry.get("dtype") {
            Some(serde_json::Value::String(dtype)) if !DTYPES.contains(&dtype.as_str()) => {
                return format!(
                    "tensor `{name}` has dtype `{dtype}`, which safetensors does not define (a quantised format such as GGUF's needs its own loader)"
                );
            }
            Some(serde_json::Value::String(_)) => {}
            _ => return format!("tensor `{name}` has no `dtype` string in the header"),
        }
        let whole_numbers = |key: &str, len: Option<usize>| {
            entry.get(key).and_then(|v| v.as_array()).is_some_and(|a| {
                len.is_none_or(|l| a.len() == l) && a.iter().all(|n| n.as_u64().is_some())
            })
        };
        if !whole_numbers("shape", None) {
            return format!("tensor `{name}` has no `shape` list of whole numbers in the header");
        }
        if !whole_numbers("data_offsets", Some(2)) {
            return format!(
                "tensor `{name}` has no `data_offsets` pair of whole numbers in the header"
            );
        }
    }
    "its header does not describe tensors as safetensors does".to_owned()
}

/// What [`read_header`] read: the open file (its tensors' data after `head`), the 8-byte
/// length and the header, and the length of the data the header describes.
struct Header {
    file: std::fs::File,
    head: Vec<u8>,
    data: u64,
}

/// Reads the 8-byte length and the header of the safetensors file at `path`, a regular
/// file, and checks that the data the header describes is exactly the rest of the file.
fn read_header(path: &Path) -> Result<Header, LoadError> {
    use std::io::Read;
    let format = |message: String| LoadError::Format {
        path: path.to_path_buf(),
        message,
    };
    let io = |e: std::io::Error| LoadError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let meta = regular(path)?;
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut len = [0u8; 8];
    if meta.len() < 8 {
        return Err(format(in_words(
            &safetensors::SafeTensorError::HeaderTooSmall,
            &vec![0; meta.len() as usize],
        )));
    }
    file.read_exact(&mut len).map_err(io)?;
    let header = u64::from_le_bytes(len);
    // safetensors' own limit on a header: 100 MB.
    if header > 100_000_000 || header > meta.len() - 8 {
        return Err(format(if header > 100_000_000 {
            in_words(&safetensors::SafeTensorError::HeaderTooLarge, &[])
        } else {
            in_words(&safetensors::SafeTensorError::InvalidHeaderLength, &[])
        }));
    }
    let mut text = Vec::new();
    (&mut file)
        .take(header)
        .read_to_end(&mut text)
        .map_err(io)?;
    let head = [&len[..], &text].concat();
    let Ok(serde_json::Value::Object(entries)) = serde_json::from_slice(&text) else {
        // Not a header: said from its bytes alone, the data unread.
        return Err(format(
            match safetensors::SafeTensors::read_metadata(&head) {
                Err(e) => in_words(&e, &head),
                Ok(_) => "its header is not a JSON object of tensors".to_owned(),
            },
        ));
    };
    let end = entries
        .iter()
        .filter(|(name, _)| *name != "__metadata__")
        .filter_map(|(_, e)| e.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .unwrap_or(0);
    let data = meta.len() - 8 - header;
    if end != data {
        return Err(format(format!(
            "{}: the header describes {end} bytes of data, the file holds {data}",
            if end > data {
                "truncated"
            } else {
                "data past what the header describes"
            }
        )));
    }
    Ok(Header { file, head, data })
}

/// One safetensors file of a checkpoint, read once, its header parsed.
struct Shard {
    path: PathBuf,
    source: Source,
    header: usize,
    metadata: Metadata,
}

/// Where a shard's tensors are read from: bytes in memory, or the file itself, a tensor at
/// a time as it is fetched (so that loading never holds the whole file beside the weights).
enum Source {
    Memory(Vec<u8>),
    File(std::sync::Mutex<std::fs::File>),
}

/// A safetensors checkpoint — one file, or the shards of a `model.safetensors.index.json`
/// — read once: headers parsed, tensors fetched by name.
///
/// The file is read into memory (a memory map needs `unsafe`, which InfraLens forbids);
/// `bf16` and `f16` tensors are widened to `f32` as [`Checkpoint::tensor`] fetches them, or
/// kept half by [`Checkpoint::half_tensor`].
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
    /// The file, or the index of a sharded checkpoint.
    path: PathBuf,
    shards: Vec<Shard>,
    /// Which shard holds each tensor.
    holder: std::collections::HashMap<String, usize>,
    names: Vec<String>,
    /// The names fetched so far: what [`Checkpoint::unused`] leaves out.
    used: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// The bytes of tensor data fetched so far (a tensor fetched twice counts twice).
    fetched: std::sync::atomic::AtomicU64,
}

impl Shard {
    /// Parses a safetensors file's header and checks that the data it describes is there.
    fn parse(path: PathBuf, bytes: Vec<u8>) -> Result<Self, LoadError> {
        let (header, metadata) =
            safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| LoadError::Format {
                path: path.clone(),
                message: in_words(&e, &bytes),
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
        Ok(Shard {
            path,
            source: Source::Memory(bytes),
            header,
            metadata,
        })
    }

    /// Opens a safetensors file and reads its header only: the tensors are read from the
    /// file as they are fetched. The header is checked as `read_metadata` checks a whole
    /// file (each tensor's data range follows the previous one's and holds its shape and
    /// dtype; the data ends where the file does).
    fn open_file(path: PathBuf) -> Result<Self, LoadError> {
        let format = |message: String| LoadError::Format {
            path: path.clone(),
            message,
        };
        // A regular file, its header checked against its length first.
        let Header { file, head, data } = read_header(&path)?;
        let metadata: Metadata = serde_json::from_slice(&head[8..]).map_err(|_| {
            format(in_words(
                &safetensors::SafeTensorError::InvalidHeaderDeserialization,
                &head,
            ))
        })?;
        if let Err(e) = validate(&metadata, data) {
            return Err(format(in_words(&e, &head)));
        }
        Ok(Shard {
            path,
            source: Source::File(std::sync::Mutex::new(file)),
            header: head.len() - 8,
            metadata,
        })
    }

    /// The stored bytes of a tensor whose data is at `start..end` of the data section.
    fn raw(&self, start: usize, end: usize) -> Result<std::borrow::Cow<'_, [u8]>, LoadError> {
        let at = 8 + self.header;
        match &self.source {
            Source::Memory(bytes) => Ok(std::borrow::Cow::Borrowed(&bytes[at + start..at + end])),
            Source::File(file) => {
                use std::io::{Read, Seek, SeekFrom};
                let io = |e: std::io::Error| LoadError::Io {
                    path: self.path.clone(),
                    message: e.to_string(),
                };
                let mut file = file
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                file.seek(SeekFrom::Start((at + start) as u64))
                    .map_err(io)?;
                let mut bytes = Vec::new();
                bytes
                    .try_reserve_exact(end - start)
                    .map_err(|_| LoadError::Io {
                        path: self.path.clone(),
                        message: format!("{} bytes of a tensor do not fit in memory", end - start),
                    })?;
                bytes.resize(end - start, 0);
                file.read_exact(&mut bytes).map_err(io)?;
                Ok(std::borrow::Cow::Owned(bytes))
            }
        }
    }
}

/// `safetensors`' own checks on a header, for a file whose data is `data` bytes long: each
/// tensor's range follows the previous one's and holds exactly its shape and dtype, and the
/// last ends where the data does.
fn validate(metadata: &Metadata, data: u64) -> Result<(), safetensors::SafeTensorError> {
    use safetensors::SafeTensorError as E;
    let mut tensors: Vec<(String, &safetensors::tensor::TensorInfo)> =
        metadata.tensors().into_iter().collect();
    tensors.sort_by_key(|(_, info)| info.data_offsets);
    let mut at = 0usize;
    for (name, info) in tensors {
        let (start, end) = info.data_offsets;
        if start != at || end < start {
            return Err(E::InvalidOffset(name));
        }
        let bytes = info
            .shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .and_then(|n| n.checked_mul(info.dtype.size()))
            .ok_or(E::ValidationOverflow)?;
        if end - start != bytes {
            return Err(E::TensorInvalidInfo);
        }
        at = end;
    }
    if at as u64 != data {
        return Err(E::MetadataIncompleteBuffer);
    }
    Ok(())
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
    /// let path = std::env::temp_dir().join("infralens-not-safetensors.bin");
    /// std::fs::write(&path, b"not a checkpoint")?;
    /// assert!(matches!(Checkpoint::open(&path), Err(LoadError::Format { .. })));
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref().to_path_buf();
        // The header first: a file that is not a checkpoint, or whose header promises other
        // data than the file holds, is refused before gigabytes are read.
        Ok(Self::single(path.clone(), Shard::open_file(path)?))
    }

    /// A checkpoint from bytes already in memory (`path` names it in errors).
    ///
    /// ```
    /// use infralens_models::Checkpoint;
    /// assert!(Checkpoint::from_bytes("mem".into(), vec![0; 4]).is_err());
    /// ```
    pub fn from_bytes(path: PathBuf, bytes: Vec<u8>) -> Result<Self, LoadError> {
        Ok(Self::single(path.clone(), Shard::parse(path, bytes)?))
    }

    /// A checkpoint of one file.
    fn single(path: PathBuf, shard: Shard) -> Self {
        let holder = shard
            .metadata
            .tensors()
            .keys()
            .map(|name| (name.clone(), 0))
            .collect();
        Self::from_shards(path, vec![shard], holder)
    }

    fn from_shards(
        path: PathBuf,
        shards: Vec<Shard>,
        holder: std::collections::HashMap<String, usize>,
    ) -> Self {
        let mut names: Vec<String> = holder.keys().cloned().collect();
        names.sort_unstable();
        Checkpoint {
            path,
            shards,
            holder,
            names,
            used: Default::default(),
            fetched: Default::default(),
        }
    }

    /// The checkpoint in a model's directory, as `transformers` saves it: `model.safetensors`,
    /// or, for a model saved in shards, `model.safetensors.index.json` and the files its
    /// `weight_map` names (the single file first, as `transformers` looks for it first).
    ///
    /// ```
    /// use infralens_models::Checkpoint;
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama-sharded");
    /// let ckpt = Checkpoint::open_dir(dir)?;
    /// assert!(ckpt.contains("model.layers.1.mlp.down_proj.weight"));
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`LoadError::Io`] when neither file is there; as [`Checkpoint::open_sharded`].
    pub fn open_dir(dir: impl AsRef<Path>) -> Result<Self, LoadError> {
        let dir = dir.as_ref();
        let single = dir.join("model.safetensors");
        let index = dir.join("model.safetensors.index.json");
        if !single.exists() && index.exists() {
            return Self::open_sharded(index);
        }
        Self::open(single)
    }

    /// A checkpoint saved in shards: `index` is its `model.safetensors.index.json`, whose
    /// `weight_map` names the file (beside it) holding each tensor.
    ///
    /// Every tensor must be where the index says, and every tensor of every shard in the
    /// index: a shard that holds a tensor the index does not list, or a tensor in two shards,
    /// is refused by name, as is a shard named by a path (only file names beside the index).
    ///
    /// ```
    /// use infralens_models::Checkpoint;
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama-sharded");
    /// let ckpt = Checkpoint::open_sharded(format!("{dir}/model.safetensors.index.json"))?;
    /// assert_eq!(ckpt.names().len(), 21);
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`LoadError::Format`] for an index that is not one, or that disagrees with its shards;
    /// as [`Checkpoint::open`] for each shard.
    pub fn open_sharded(index: impl AsRef<Path>) -> Result<Self, LoadError> {
        let index = index.as_ref().to_path_buf();
        let format = |message: String| LoadError::Format {
            path: index.clone(),
            message,
        };
        let text = read_regular(&index, 64 << 20)?;
        let json: serde_json::Value =
            serde_json::from_slice(&text).map_err(|e| format(format!("not JSON: {e}")))?;
        let Some(map) = json
            .get("weight_map")
            .and_then(serde_json::Value::as_object)
        else {
            return Err(format("has no `weight_map` object".to_owned()));
        };
        let mut files: Vec<&str> = Vec::new();
        let mut wanted: Vec<(&String, &str)> = Vec::new();
        for (name, file) in map {
            let Some(file) = file.as_str() else {
                return Err(format(format!(
                    "`weight_map` gives `{name}` a file {file}, not a name"
                )));
            };
            let plain = Path::new(file)
                .file_name()
                .is_some_and(|f| f == std::ffi::OsStr::new(file));
            if !plain || file == ".." || file == "." {
                return Err(format(format!(
                    "`weight_map` puts `{name}` in `{file}`: a shard is a file beside the index, named without a path"
                )));
            }
            if !files.contains(&file) {
                files.push(file);
            }
            wanted.push((name, file));
        }
        files.sort_unstable();
        let dir = index.parent().unwrap_or(Path::new("."));
        let mut shards = Vec::with_capacity(files.len());
        for file in &files {
            let path = dir.join(file);
            shards.push(Shard::open_file(path)?);
        }
        let mut holder = std::collections::HashMap::new();
        for (i, shard) in shards.iter().enumerate() {
            for name in shard.metadata.tensors().keys() {
                if let Some(&other) = holder.get(name) {
                    return Err(format(format!(
                        "`{name}` is in two shards, `{}` and `{}`",
                        files[other], files[i]
                    )));
                }
                holder.insert(name.clone(), i);
            }
        }
        for (name, file) in wanted {
            match holder.get(name) {
                Some(&i) if files[i] == file => {}
                Some(&i) => {
                    return Err(format(format!(
                        "`weight_map` puts `{name}` in `{file}`, but it is in `{}`",
                        files[i]
                    )));
                }
                None => {
                    return Err(format(format!(
                        "`weight_map` puts `{name}` in `{file}`, which does not hold it"
                    )));
                }
            }
        }
        if let Some(name) = holder.keys().filter(|n| !map.contains_key(*n)).min() {
            return Err(format(format!(
                "`{}` holds `{name}`, which `weight_map` does not list",
                files[holder[name]]
            )));
        }
        Ok(Self::from_shards(index, shards, holder))
    }

    /// The tensors never fetched, sorted: after a model is loaded, what it did not
    /// understand (more layers than its config says, a bias it has no place for).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens_models::Checkpoint;
    /// dims! { pub V = dyn; pub D = dyn; }
    /// let ckpt = Checkpoint::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama/model.safetensors"))?;
    /// assert!(ckpt.unused().contains(&"model.embed_tokens.weight".to_owned()));
    /// ckpt.tensor::<(V, D)>("model.embed_tokens.weight", &sizes![V = 256, D = 64])?;
    /// assert!(!ckpt.unused().contains(&"model.embed_tokens.weight".to_owned()));
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn unused(&self) -> Vec<String> {
        let used = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.names
            .iter()
            .filter(|n| !used.contains(*n))
            .cloned()
            .collect()
    }

    /// The names fetched so far, taken out: [`Checkpoint::unused`] then counts from nothing.
    pub(crate) fn take_used(&self) -> std::collections::BTreeSet<String> {
        std::mem::take(
            &mut *self
                .used
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Puts back names taken by [`Checkpoint::take_used`], beside those fetched since.
    pub(crate) fn restore_used(&self, names: std::collections::BTreeSet<String>) {
        self.used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(names);
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
        self.holder.contains_key(name)
    }

    /// The `nn.Linear` saved as `{name}.weight` — stored `(out, in)`, as `Linear<In, Out>`
    /// holds it — and `{name}.bias` `(Out,)` when the checkpoint has one (Qwen2's q/k/v,
    /// `attention_bias`, `mlp_bias`). Loading through the layer keeps the orientation right
    /// even for a square weight, where `(D, D)` read the wrong way would still fit.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens_models::Checkpoint;
    /// dims! { pub S = 2; pub D = dyn; pub Dq = dyn; }
    /// let ckpt = Checkpoint::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama/model.safetensors"))?;
    /// let sizes = sizes![D = 64, Dq = 64];
    /// let q_proj = ckpt.linear::<D, Dq>("model.layers.0.self_attn.q_proj", &sizes)?;
    /// let x = Tensor::<(S, D)>::randn_in(0, &sizes);
    /// assert_eq!(q_proj.forward(&x).describe(), "[S=2, Dq=64]");
    /// // the weight the wrong way round is refused, naming the tensor and both shapes
    /// let wrong = ckpt.linear::<D, Dq>("model.layers.0.mlp.down_proj", &sizes![D = 64, Dq = 96]);
    /// assert!(wrong.unwrap_err().to_string().contains("model.layers.0.mlp.down_proj.weight"));
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Checkpoint::tensor`], for the weight and the bias.
    pub fn linear<In: Dim, Out: Dim>(
        &self,
        name: &str,
        sizes: &Sizes,
    ) -> Result<Linear<In, Out>, LoadError> {
        self.linear_as(name, sizes, WeightDtype::F32)
    }

    /// [`Checkpoint::linear`] with the weight kept as `dtype` says (the bias in `f32`).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens::Half;
    /// use infralens_models::{Checkpoint, WeightDtype};
    /// dims! { pub D = 64; pub Dq = 64; }
    /// let ckpt = Checkpoint::open_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama-bf16"))?;
    /// let q = ckpt.linear_as::<D, Dq>("model.layers.0.self_attn.q_proj", &sizes![], WeightDtype::AsStored)?;
    /// assert_eq!(q.half_weight().map(|w| w.half()), Some(Half::Bf16));
    /// assert_eq!(q.weight_bytes(), 2 * 64 * 64);
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn linear_as<In: Dim, Out: Dim>(
        &self,
        name: &str,
        sizes: &Sizes,
        dtype: WeightDtype,
    ) -> Result<Linear<In, Out>, LoadError> {
        let bias = self.optional::<(Out,)>(&format!("{name}.bias"), sizes)?;
        self.linear_with(&format!("{name}.weight"), bias, sizes, dtype)
    }

    /// A layer of the weight `weight`, kept as `dtype` says, and `bias`.
    pub(crate) fn linear_with<In: Dim, Out: Dim>(
        &self,
        weight: &str,
        bias: Option<Tensor<(Out,)>>,
        sizes: &Sizes,
        dtype: WeightDtype,
    ) -> Result<Linear<In, Out>, LoadError> {
        Ok(match dtype.half_for(self.stored_half(weight)) {
            Some(half) => Linear::new_half(self.half_tensor(weight, sizes, half)?, bias),
            None => Linear::new(self.tensor(weight, sizes)?, bias),
        })
    }

    /// A Llama-family gated MLP saved as `{name}.gate_proj`, `{name}.up_proj` and
    /// `{name}.down_proj` (each a [`Checkpoint::linear`], with its bias when stored).
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens_models::Checkpoint;
    /// dims! { pub D = dyn; pub F = dyn; }
    /// let ckpt = Checkpoint::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama/model.safetensors"))?;
    /// let mlp = ckpt.swiglu::<D, F>("model.layers.0.mlp", &sizes![D = 64, F = 96])?;
    /// assert_eq!(mlp.parameters(), 3 * 64 * 96);
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Checkpoint::linear`], for each of the three.
    pub fn swiglu<D: Dim, F: Dim>(
        &self,
        name: &str,
        sizes: &Sizes,
    ) -> Result<SwiGlu<D, F>, LoadError> {
        Ok(SwiGlu::new(
            self.linear(&format!("{name}.gate_proj"), sizes)?,
            self.linear(&format!("{name}.up_proj"), sizes)?,
            self.linear(&format!("{name}.down_proj"), sizes)?,
        ))
    }

    /// GPT-2's `Conv1D` saved as `{name}.weight` — stored `(in, out)` — and `{name}.bias`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens_models::Checkpoint;
    /// dims! { pub D = dyn; pub F = dyn; }
    /// let ckpt = Checkpoint::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gpt2/model.safetensors"))?;
    /// let c_fc = ckpt.conv1d::<D, F>("transformer.h.0.mlp.c_fc", &sizes![D = 64, F = 256])?;
    /// assert_eq!(c_fc.parameters(), 64 * 256 + 256);
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Checkpoint::tensor`], for the weight and the bias.
    pub fn conv1d<In: Dim, Out: Dim>(
        &self,
        name: &str,
        sizes: &Sizes,
    ) -> Result<Conv1D<In, Out>, LoadError> {
        Ok(Conv1D::new(
            self.tensor::<(In, Out)>(&format!("{name}.weight"), sizes)?,
            self.tensor::<(Out,)>(&format!("{name}.bias"), sizes)?,
        ))
    }

    /// The `RMSNorm` saved as `{name}.weight` `(D,)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens_models::Checkpoint;
    /// dims! { pub D = dyn; }
    /// let ckpt = Checkpoint::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama/model.safetensors"))?;
    /// let norm = ckpt.rms_norm::<D>("model.norm", 1e-6, &sizes![D = 64])?;
    /// let x = Tensor::<(D,)>::randn_in(0, &sizes![D = 64]);
    /// assert_eq!(norm.forward(&x).describe(), "[D=64]");
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Checkpoint::tensor`].
    pub fn rms_norm<D: Dim>(
        &self,
        name: &str,
        eps: f32,
        sizes: &Sizes,
    ) -> Result<RmsNorm<D>, LoadError> {
        Ok(RmsNorm::new(
            self.tensor::<(D,)>(&format!("{name}.weight"), sizes)?,
            eps,
        ))
    }

    /// The `LayerNorm` saved as `{name}.weight` and `{name}.bias`, both `(D,)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens_models::Checkpoint;
    /// dims! { pub D = dyn; }
    /// let ckpt = Checkpoint::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gpt2/model.safetensors"))?;
    /// let ln_f = ckpt.layer_norm::<D>("transformer.ln_f", 1e-5, &sizes![D = 64])?;
    /// let x = Tensor::<(D,)>::randn_in(0, &sizes![D = 64]);
    /// assert_eq!(ln_f.forward(&x).describe(), "[D=64]");
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Checkpoint::tensor`], for the weight and the bias.
    pub fn layer_norm<D: Dim>(
        &self,
        name: &str,
        eps: f32,
        sizes: &Sizes,
    ) -> Result<LayerNorm<D>, LoadError> {
        Ok(LayerNorm::new(
            self.tensor::<(D,)>(&format!("{name}.weight"), sizes)?,
            self.tensor::<(D,)>(&format!("{name}.bias"), sizes)?,
            eps,
        ))
    }

    /// The token embedding saved as `{name}.weight` `(V, D)`.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens_models::Checkpoint;
    /// dims! { pub V = dyn; pub D = dyn; }
    /// let ckpt = Checkpoint::open(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama/model.safetensors"))?;
    /// let embed = ckpt.embedding::<V, D>("model.embed_tokens", &sizes![V = 256, D = 64])?;
    /// assert_eq!(embed.table().describe(), "[V=256, D=64]");
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Checkpoint::tensor`].
    pub fn embedding<V: Dim, D: Dim>(
        &self,
        name: &str,
        sizes: &Sizes,
    ) -> Result<Embedding<V, D>, LoadError> {
        self.embedding_as(name, sizes, WeightDtype::F32)
    }

    /// [`Checkpoint::embedding`] with the table kept as `dtype` says.
    ///
    /// ```
    /// use infralens::prelude::*;
    /// use infralens_models::{Checkpoint, WeightDtype};
    /// dims! { pub V = 256; pub D = 64; }
    /// let ckpt = Checkpoint::open_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama-bf16"))?;
    /// let embed = ckpt.embedding_as::<V, D>("model.embed_tokens", &sizes![], WeightDtype::F32)?;
    /// assert_eq!(embed.table_bytes(), 4 * 256 * 64); // widened, as asked
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn embedding_as<V: Dim, D: Dim>(
        &self,
        name: &str,
        sizes: &Sizes,
        dtype: WeightDtype,
    ) -> Result<Embedding<V, D>, LoadError> {
        let table = format!("{name}.weight");
        Ok(match dtype.half_for(self.stored_half(&table)) {
            Some(half) => Embedding::new_half(self.half_tensor(&table, sizes, half)?),
            None => Embedding::new(self.tensor(&table, sizes)?),
        })
    }

    /// The tensor `name` when the checkpoint has it (a layer's optional bias).
    fn optional<Sh: Shape>(
        &self,
        name: &str,
        sizes: &Sizes,
    ) -> Result<Option<Tensor<Sh>>, LoadError> {
        if self.contains(name) {
            self.tensor::<Sh>(name, sizes).map(Some)
        } else {
            Ok(None)
        }
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
        let (shard, info) = self.locate::<Sh>(name, sizes)?;
        let values = widened(name, shard, info)?;
        self.count_fetched(info);
        Tensor::from_vec_in(values, sizes).map_err(|e| LoadError::Format {
            path: shard.path.clone(),
            message: format!("`{name}`: {e}"),
        })
    }

    /// The tensor `name` kept in half precision, `half`'s format: copied as stored when it is
    /// stored so, rounded (to nearest, ties to even) from `f32` or `f64` or the other half
    /// format otherwise. Shapes are checked as [`Checkpoint::tensor`] checks them.
    ///
    /// ```no_run
    /// use infralens::prelude::*;
    /// use infralens::Half;
    /// use infralens_models::Checkpoint;
    /// dims! { pub D = dyn; pub F = dyn; }
    /// let ckpt = Checkpoint::open("model.safetensors")?;
    /// let up = ckpt.half_tensor::<(F, D)>("model.layers.0.mlp.up_proj.weight", &sizes![D = 2048, F = 8192], Half::Bf16)?;
    /// assert_eq!(up.bytes(), 2 * 2048 * 8192);
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn half_tensor<Sh: Shape>(
        &self,
        name: &str,
        sizes: &Sizes,
        half: Half,
    ) -> Result<HalfTensor<Sh>, LoadError> {
        let (shard, info) = self.locate::<Sh>(name, sizes)?;
        let bits = if stored_half(info.dtype) == Some(half) {
            let (start, end) = info.data_offsets;
            words(&shard.raw(start, end)?)
        } else {
            let wide =
                Tensor::<Sh>::from_vec_in(widened(name, shard, info)?, sizes).map_err(|e| {
                    LoadError::Format {
                        path: shard.path.clone(),
                        message: format!("`{name}`: {e}"),
                    }
                })?;
            self.count_fetched(info);
            return Ok(HalfTensor::from_tensor(&wide, half));
        };
        self.count_fetched(info);
        HalfTensor::from_bits_in(bits, half, sizes).map_err(|e| LoadError::Format {
            path: shard.path.clone(),
            message: format!("`{name}`: {e}"),
        })
    }

    /// The half-precision format `name` is stored in: `Some(Half::Bf16)` for a `BF16`
    /// tensor, `Some(Half::F16)` for `F16`, `None` for any other dtype or a missing name.
    ///
    /// ```
    /// use infralens::Half;
    /// use infralens_models::Checkpoint;
    /// let ckpt = Checkpoint::open_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama-bf16"))?;
    /// assert_eq!(ckpt.stored_half("model.embed_tokens.weight"), Some(Half::Bf16));
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn stored_half(&self, name: &str) -> Option<Half> {
        let shard = &self.shards[*self.holder.get(name)?];
        stored_half(shard.metadata.info(name)?.dtype)
    }

    /// The bytes of tensor data the checkpoint holds, over all its shards: what loading
    /// every tensor reads.
    ///
    /// ```
    /// use infralens_models::Checkpoint;
    /// let ckpt = Checkpoint::open_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/llama-bf16"))?;
    /// assert!(ckpt.data_bytes() > 0);
    /// assert_eq!(ckpt.fetched_bytes(), 0);
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn data_bytes(&self) -> u64 {
        self.shards
            .iter()
            .flat_map(|s| s.metadata.tensors().into_values())
            .map(|info| (info.data_offsets.1 - info.data_offsets.0) as u64)
            .sum()
    }

    /// The bytes of tensor data fetched so far, readable from another thread while a model
    /// loads (a progress line: against [`Checkpoint::data_bytes`]).
    ///
    /// ```
    /// use infralens_models::{Checkpoint, Config, Decoder};
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llama");
    /// let ckpt = Checkpoint::open_dir(&dir)?;
    /// let model = Decoder::from_checkpoint(Config::load(&dir)?, &ckpt)?;
    /// assert_eq!(ckpt.fetched_bytes(), ckpt.data_bytes()); // every tensor, once
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn fetched_bytes(&self) -> u64 {
        self.fetched.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Adds a tensor read to [`Checkpoint::fetched_bytes`].
    fn count_fetched(&self, info: &safetensors::tensor::TensorInfo) {
        self.fetched.fetch_add(
            (info.data_offsets.1 - info.data_offsets.0) as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// The shard and header entry of `name`, its stored shape checked against `Sh` with
    /// `sizes`; marks it fetched.
    fn locate<Sh: Shape>(
        &self,
        name: &str,
        sizes: &Sizes,
    ) -> Result<(&Shard, &safetensors::tensor::TensorInfo), LoadError> {
        let shard = self.holder.get(name).map(|&i| &self.shards[i]);
        let Some((shard, info)) = shard.and_then(|s| Some((s, s.metadata.info(name)?))) else {
            return Err(LoadError::Missing {
                name: name.to_owned(),
                closest: self.closest(name),
            });
        };
        self.used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_owned());
        let expected = sizes.sizes_of::<Sh>().map_err(|e| LoadError::Sizes {
            name: name.to_owned(),
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
        if !matches!(
            info.dtype,
            Dtype::F32 | Dtype::F16 | Dtype::BF16 | Dtype::F64
        ) {
            return Err(unsupported(name, info.dtype));
        }
        Ok((shard, info))
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

/// How a loaded model keeps its matrices — the projections, the embedding table, the output
/// projection. Norm weights and biases are small and stay `f32`; activations are `f32`
/// whatever this says.
///
/// ```
/// use infralens_models::WeightDtype;
/// assert_eq!("bf16".parse::<WeightDtype>()?, WeightDtype::Bf16);
/// assert_eq!(WeightDtype::default(), WeightDtype::AsStored);
/// let err = "fp8".parse::<WeightDtype>().unwrap_err();
/// assert_eq!(err, "`fp8` is not a weight dtype: write f32, bf16, f16, or stored (as the checkpoint keeps each)");
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WeightDtype {
    /// As the checkpoint stores each matrix: `bf16` and `f16` stay half, `f32` and `f64`
    /// become `f32`.
    #[default]
    AsStored,
    /// Every matrix widened to `f32`.
    F32,
    /// Every matrix in `bf16` (rounded from `f32` where it is stored wider).
    Bf16,
    /// Every matrix in `f16` (rounded where it is stored otherwise; `f16` ends at 65504).
    F16,
}

impl WeightDtype {
    /// The half format a matrix stored as `stored` is kept in; `None`: `f32`.
    fn half_for(self, stored: Option<Half>) -> Option<Half> {
        match self {
            WeightDtype::AsStored => stored,
            WeightDtype::F32 => None,
            WeightDtype::Bf16 => Some(Half::Bf16),
            WeightDtype::F16 => Some(Half::F16),
        }
    }
}

impl std::str::FromStr for WeightDtype {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "stored" => Ok(WeightDtype::AsStored),
            "f32" => Ok(WeightDtype::F32),
            "bf16" => Ok(WeightDtype::Bf16),
            "f16" => Ok(WeightDtype::F16),
            _ => Err(format!(
                "`{s}` is not a weight dtype: write f32, bf16, f16, or stored (as the checkpoint keeps each)"
            )),
        }
    }
}

impl fmt::Display for WeightDtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WeightDtype::AsStored => "stored",
            WeightDtype::F32 => "f32",
            WeightDtype::Bf16 => "bf16",
            WeightDtype::F16 => "f16",
        })
    }
}

/// The values of the tensor `name` (at `info` in `shard`) as `f32`.
fn widened(
    name: &str,
    shard: &Shard,
    info: &safetensors::tensor::TensorInfo,
) -> Result<Vec<f32>, LoadError> {
    let (start, end) = info.data_offsets;
    let raw = shard.raw(start, end)?;
    Ok(match info.dtype {
        Dtype::F32 => raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F16 => widen_words(&raw, Half::F16),
        Dtype::BF16 => widen_words(&raw, Half::Bf16),
        Dtype::F64 => raw
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32)
            .collect(),
        other => return Err(unsupported(name, other)),
    })
}

/// Little-endian 16-bit words in `half`'s format, widened to `f32` (a block at a time: no
/// copy of the words beside the bytes and the result).
fn widen_words(raw: &[u8], half: Half) -> Vec<f32> {
    let mut values = vec![0.0f32; raw.len() / 2];
    let mut words = [0u16; 64];
    for (out, bytes) in values.chunks_mut(64).zip(raw.chunks(128)) {
        let words = &mut words[..out.len()];
        for (w, b) in words.iter_mut().zip(bytes.chunks_exact(2)) {
            *w = u16::from_le_bytes([b[0], b[1]]);
        }
        half.widen_into(words, out);
    }
    values
}

/// The half-precision format of a stored dtype.
fn stored_half(dtype: Dtype) -> Option<Half> {
    match dtype {
        Dtype::BF16 => Some(Half::Bf16),
        Dtype::F16 => Some(Half::F16),
        _ => None,
    }
}

/// Little-endian 16-bit words.
fn words(raw: &[u8]) -> Vec<u16> {
    raw.chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// The error for a dtype InfraLens does not load.
fn unsupported(name: &str, dtype: Dtype) -> LoadError {
    LoadError::Dtype {
        name: name.to_owned(),
        dtype: format!("{dtype:?}"),
    }
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
