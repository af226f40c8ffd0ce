//! `tokenizer.json`, read with Hugging Face's own `tokenizers` crate: text in, token ids out,
//! and the generated ids back to text as they come.

use crate::LoadError;
use std::path::{Path, PathBuf};

/// A model's tokenizer, from its `tokenizer.json`.
///
/// ```
/// use infralens_models::Tokenizer;
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tokenizer");
/// let tok = Tokenizer::open(format!("{dir}/tokenizer.json"))?;
/// let ids = tok.encode("The cache holds the keys.", false)?;
/// assert_eq!(tok.decode(&ids, true)?, "The cache holds the keys.");
/// # Ok::<(), infralens_models::LoadError>(())
/// ```
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    path: PathBuf,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("path", &self.path)
            .field("vocabulary", &self.vocab_size())
            .finish()
    }
}

impl Tokenizer {
    /// Reads a `tokenizer.json`.
    ///
    /// ```
    /// let err = infralens_models::Tokenizer::open("/no/such/tokenizer.json").unwrap_err();
    /// assert!(err.to_string().starts_with("cannot read /no/such/tokenizer.json"));
    /// ```
    ///
    /// # Errors
    ///
    /// [`LoadError::Io`] when it cannot be read, [`LoadError::Format`] when it is not a
    /// tokenizer this crate understands (naming what `tokenizers` found wrong).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref().to_path_buf();
        // The largest tokenizers (Gemma's, Qwen's) are 10–35 MB.
        let bytes = crate::checkpoint::read_regular(&path, 256 << 20)?;
        let inner = tokenizers::Tokenizer::from_bytes(&bytes).map_err(|e| LoadError::Format {
            path: path.clone(),
            message: format!("not a tokenizer this crate reads: {e}"),
        })?;
        Ok(Tokenizer { inner, path })
    }

    /// `DIR/tokenizer.json`, when the model's directory has one.
    ///
    /// ```
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/qwen3");
    /// assert!(infralens_models::Tokenizer::load(dir)?.is_none());
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Tokenizer::open`], for a file that is there.
    pub fn load(dir: impl AsRef<Path>) -> Result<Option<Self>, LoadError> {
        let path = dir.as_ref().join("tokenizer.json");
        if !path.exists() {
            return Ok(None);
        }
        Self::open(path).map(Some)
    }

    /// The ids of `text`; with `add_special_tokens`, those the tokenizer puts around a text
    /// (Llama's `<s>` first).
    ///
    /// ```
    /// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tokenizer");
    /// # let tok = infralens_models::Tokenizer::open(format!("{dir}/tokenizer.json"))?;
    /// assert_eq!(tok.encode("", true)?, vec![1]); // `<s>`
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`LoadError::Format`] when the tokenizer fails on the text.
    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Result<Vec<u32>, LoadError> {
        self.inner
            .encode(text, add_special_tokens)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| self.error(format!("cannot encode the text: {e}")))
    }

    /// The text of `ids`; with `skip_special_tokens`, without `<s>`, `</s>` and the like.
    ///
    /// ```
    /// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tokenizer");
    /// # let tok = infralens_models::Tokenizer::open(format!("{dir}/tokenizer.json"))?;
    /// assert_eq!(tok.decode(&[1], false)?, "<s>");
    /// assert_eq!(tok.decode(&[1], true)?, "");
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`LoadError::Format`] when the tokenizer fails on the ids.
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String, LoadError> {
        self.inner
            .decode(ids, skip_special_tokens)
            .map_err(|e| self.error(format!("cannot decode the ids: {e}")))
    }

    /// The number of ids, added tokens included.
    ///
    /// ```
    /// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tokenizer");
    /// # let tok = infralens_models::Tokenizer::open(format!("{dir}/tokenizer.json"))?;
    /// assert_eq!(tok.vocab_size(), 256);
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// A stream that turns generated ids into text as they come.
    ///
    /// ```
    /// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tokenizer");
    /// # let tok = infralens_models::Tokenizer::open(format!("{dir}/tokenizer.json"))?;
    /// let ids = tok.encode("attention over all the keys", false)?;
    /// let mut stream = tok.stream();
    /// let mut text = String::new();
    /// for &id in &ids {
    ///     text.push_str(&stream.push(id)?);
    /// }
    /// assert_eq!(text, "attention over all the keys");
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn stream(&self) -> TextStream<'_> {
        TextStream {
            tokenizer: self,
            ids: Vec::new(),
            prefix: 0,
            read: 0,
        }
    }

    /// A stream that continues `context` (the prompt's ids): the first piece is spaced as
    /// it is after the prompt, not as the start of a text.
    ///
    /// ```
    /// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tokenizer");
    /// # let tok = infralens_models::Tokenizer::open(format!("{dir}/tokenizer.json"))?;
    /// let prompt = tok.encode("The cache", true)?;
    /// let more = tok.encode("The cache holds", true)?;
    /// let mut stream = tok.stream_after(&prompt)?;
    /// let mut text = String::new();
    /// for &id in &more[prompt.len()..] {
    ///     text.push_str(&stream.push(id)?);
    /// }
    /// assert_eq!(text, " holds");
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Tokenizer::decode`].
    pub fn stream_after(&self, context: &[u32]) -> Result<TextStream<'_>, LoadError> {
        // A few ids of context, so that the first piece is decoded after them (a leading
        // space is kept, as in the middle of a text).
        Ok(TextStream {
            tokenizer: self,
            ids: context.to_vec(),
            prefix: context.len().saturating_sub(CONTEXT),
            read: context.len(),
        })
    }

    fn error(&self, message: String) -> LoadError {
        LoadError::Format {
            path: self.path.clone(),
            message,
        }
    }
}

/// How many ids before the new ones [`TextStream`] decodes with them.
const CONTEXT: usize = 6;

/// Generated ids turned into text as they come ([`Tokenizer::stream`]): each id's piece is
/// what decoding it adds to the text of the few ids before it, so that a character whose
/// bytes span several tokens comes out whole, once, and a step's work does not grow with
/// the text.
#[derive(Debug)]
pub struct TextStream<'a> {
    tokenizer: &'a Tokenizer,
    ids: Vec<u32>,
    /// The ids from `prefix` on are decoded together; those before `read` are out already.
    prefix: usize,
    read: usize,
}

impl TextStream<'_> {
    /// The text `id` adds: empty while a character is still incomplete (it comes with the
    /// id that completes it).
    ///
    /// # Errors
    ///
    /// As [`Tokenizer::decode`].
    ///
    /// ```
    /// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tokenizer");
    /// # let tok = infralens_models::Tokenizer::open(format!("{dir}/tokenizer.json"))?;
    /// let mut stream = tok.stream();
    /// assert_eq!(stream.push(2)?, ""); // `</s>`, a special token, adds no text
    /// # Ok::<(), infralens_models::LoadError>(())
    /// ```
    pub fn push(&mut self, id: u32) -> Result<String, LoadError> {
        self.ids.push(id);
        let before = self
            .tokenizer
            .decode(&self.ids[self.prefix..self.read], true)?;
        let full = self.tokenizer.decode(&self.ids[self.prefix..], true)?;
        if full.len() <= before.len() || full.ends_with('\u{FFFD}') {
            // Nothing yet: a special token, or a character still incomplete.
            return Ok(String::new());
        }
        let piece = match full.strip_prefix(before.as_str()) {
            Some(new) => new.to_owned(),
            // The decoder changed earlier text (a leading space dropped): what differs.
            None => {
                let same = full
                    .char_indices()
                    .zip(before.chars())
                    .take_while(|((_, a), b)| a == b)
                    .last()
                    .map_or(0, |((i, a), _)| i + a.len_utf8());
                full[same..].to_owned()
            }
        };
        self.prefix = self.read;
        self.read = self.ids.len();
        Ok(piece)
    }
}
