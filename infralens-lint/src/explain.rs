//! `infralens explain FILE::FUNCTION`: the shape walkthrough of an annotated function.

use crate::diag::Diagnostic;
use crate::infer::Shape;
use crate::lint::{Checker, Crate, Explain, Row, collect_files};
use crate::source::Source;
use crate::trace::Node;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;

/// Why a function cannot be explained: each says what to write instead.
///
/// ```
/// use infralens_lint::explain::{explain, ExplainError};
/// let e = explain("no-separator").unwrap_err();
/// assert!(matches!(e, ExplainError::Target(_)));
/// assert!(e.to_string().starts_with("expected FILE::FUNCTION"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    /// The target is not `FILE::FUNCTION` or `FILE::Type::method`.
    #[error(
        "expected FILE::FUNCTION or FILE::Type::method, as in `src/attention.rs::scores`; found `{0}`"
    )]
    Target(String),
    /// The file cannot be read.
    #[error("cannot read `{file}`: {source}")]
    Read {
        /// The file, as given.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not Rust.
    #[error("`{0}` does not parse as Rust: run `infralens lint {0}` to see where")]
    Parse(String),
    /// No function of that name in the file.
    #[error("no {what} in `{file}`; its functions are: {functions}")]
    NoFunction {
        /// `function `f`` or `method `T::f``.
        what: String,
        /// The file.
        file: String,
        /// Its functions, as a list.
        functions: String,
    },
    /// The function has no shapes to explain.
    #[error(
        "`{0}` has no `#[shapes(...)]` annotation, so it has no shapes to explain: annotate it, as in `#[shapes(x: [B, S, D] -> [B, S, D])]`"
    )]
    NotAnnotated(String),
    /// A size was given for a dim no `dims!` block declares.
    #[error("no dim `{dim}` is declared here; the dims are: {known}")]
    UnknownDim {
        /// The dim given.
        dim: String,
        /// The declared dims, as a list.
        known: String,
    },
}

/// The walkthrough of one function: its rows, the sizes they were computed with, and any
/// findings inside it.
///
/// ```
/// use infralens_lint::explain::explain_source;
/// use infralens_lint::source::Source;
/// let code = r#"
/// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
/// #[shapes(x: [B, S, D], w: [D, D] -> [B, H, S, Dh])]
/// fn project_heads(x: &Tensor, w: &Tensor) -> Tensor {
///     #[shape(B, S, D)]
///     let projected = x.matmul(w);
///     projected.split_heads::<H, Dh>()
/// }
/// "#;
/// let w = explain_source(Source::new("a.rs", code.into()), Vec::new(), "project_heads").unwrap();
/// assert_eq!(w.rows.len(), 4); // x, w, projected, return
/// assert_eq!(w.rows[2].cost.flops, Some(2 * 2 * 4 * 16 * 16));
/// assert!(w.table().contains("(B, H, S, Dh)"));
/// ```
#[derive(Debug, Clone)]
pub struct Walkthrough {
    /// The function.
    pub function: String,
    /// Its parameters, `let`s and returned value, in order.
    pub rows: Vec<Row>,
    /// The size of each dim, when declared once.
    pub sizes: Vec<(String, Option<u64>)>,
    /// Findings of `lint` inside the function's file.
    pub diagnostics: Vec<Diagnostic>,
    /// Every value the function computes, one node per op: what the diagrams draw.
    pub trace: Vec<Node>,
}

/// Explains `FILE::FUNCTION`, reading the file and the `src/` of the crate it belongs to
/// (for `dims!` declared elsewhere).
///
/// ```no_run
/// let w = infralens_lint::explain::explain("examples/qkv_walkthrough.rs::attend")?;
/// print!("{}", w.table());
/// # Ok::<(), infralens_lint::explain::ExplainError>(())
/// ```
///
/// # Errors
/// A target without `::`, a file that cannot be read, or no such annotated function:
/// a one-line message saying what to write instead.
pub fn explain(target: &str) -> Result<Walkthrough, ExplainError> {
    explain_at(target, &[])
}

/// [`explain`] at the sizes `at` gives: see [`explain_source_at`].
///
/// ```no_run
/// let w = infralens_lint::explain::explain_at("src/block.rs::Block::forward", &[("S".into(), 4096)])?;
/// println!("{:?}", w.totals());
/// # Ok::<(), infralens_lint::explain::ExplainError>(())
/// ```
///
/// # Errors
/// As [`explain`] and [`explain_source_at`].
pub fn explain_at(target: &str, at: &[(String, u64)]) -> Result<Walkthrough, ExplainError> {
    // `FILE::function` or `FILE::Type::method`; the file ends in `.rs`.
    let split = target
        .split_once(".rs::")
        .map(|(f, rest)| (&target[..f.len() + 3], rest))
        .or_else(|| target.rsplit_once("::"));
    let Some((file, function)) = split.filter(|(f, n)| !f.is_empty() && !n.is_empty()) else {
        return Err(ExplainError::Target(target.to_owned()));
    };
    let path = PathBuf::from(file);
    // Size-capped as the lint reads (a sibling of 1 GiB, or `/dev/zero` behind a link, is not
    // read whole).
    let read = |p: &std::path::Path| {
        crate::lint::read_capped(p).and_then(|bytes| {
            String::from_utf8(bytes)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })
    };
    let text = read(&path).map_err(|source| ExplainError::Read {
        file: file.to_owned(),
        source,
    })?;
    let mut others = Vec::new();
    if let Some(src_dir) = crate_src(&path) {
        for other in collect_files(&[src_dir]).unwrap_or_default() {
            if !same_file(&other, &path)
                && let Ok(t) = read(&other)
            {
                others.push(Source::new(&other.to_string_lossy(), t));
            }
        }
    }
    explain_source_at(Source::new(file, text), others, function, at)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `src/` of the nearest enclosing directory with a `Cargo.toml`.
fn crate_src(file: &Path) -> Option<PathBuf> {
    let abs = file.canonicalize().ok()?;
    abs.ancestors()
        .skip(1)
        .find(|d| d.join("Cargo.toml").is_file())
        .map(|d| d.join("src"))
        .filter(|s| s.is_dir())
}

/// Explains `function` of `file`, with `others` (the rest of the crate) for their dims.
///
/// # Errors
/// No annotated function of that name in `file`.
pub fn explain_source(
    file: Source,
    others: Vec<Source>,
    function: &str,
) -> Result<Walkthrough, ExplainError> {
    explain_source_at(file, others, function, &[])
}

/// [`explain_source`] at the sizes `at` gives (`S = 4096`): run-time dims (`dyn`) become
/// known, so the FLOPs can be counted; a declared size is replaced. A dim computed from
/// another (`Dkv = Hkv * Dh`) keeps the size it was declared with.
///
/// ```
/// use infralens_lint::{explain::explain_source_at, source::Source};
/// let code = "dims! { pub S = dyn; pub D = 8; }\n#[shapes(x: [S, D], w: [D, D] -> [S, D])]\nfn f(x: &Tensor, w: &Tensor) -> Tensor { x.matmul(w) }";
/// let w = explain_source_at(Source::new("a.rs", code.into()), vec![], "f", &[("S".into(), 3)]).unwrap();
/// assert_eq!(w.totals(), (Some(2 * 3 * 8 * 8), 64));
/// let unknown = explain_source_at(Source::new("a.rs", code.into()), vec![], "f", &[("T".into(), 3)]);
/// assert_eq!(unknown.unwrap_err().to_string(), "no dim `T` is declared here; the dims are: D, S");
/// ```
///
/// # Errors
/// As [`explain_source`]; and a dim of `at` that no `dims!` block declares.
pub fn explain_source_at(
    file: Source,
    others: Vec<Source>,
    function: &str,
    at: &[(String, u64)],
) -> Result<Walkthrough, ExplainError> {
    let name = file.name.clone();
    let mut sources = vec![file];
    sources.extend(others);
    let (krate, mut asts) = Crate::parse(sources);
    let mut sizes = krate.sizes_for(0);
    for (dim, size) in at {
        if !sizes.contains_key(dim) {
            let mut known: Vec<&str> = sizes.keys().map(String::as_str).collect();
            known.sort_unstable();
            return Err(ExplainError::UnknownDim {
                dim: dim.clone(),
                known: known.join(", "),
            });
        }
        sizes.insert(dim.clone(), Some(*size));
    }
    let Some(mut ast) = asts.swap_remove(0) else {
        return Err(ExplainError::Parse(name));
    };
    let (self_type, function) = match function.rsplit_once("::") {
        Some((ty, method)) => (
            Some(ty.rsplit("::").next().unwrap_or(ty).to_owned()),
            method,
        ),
        None => (None, function),
    };
    let mut explain = Explain {
        function: function.to_owned(),
        self_type,
        found: false,
        rows: Vec::new(),
        trace: Vec::new(),
    };
    let mut diagnostics = Vec::new();
    Checker {
        krate: &krate,
        file: 0,
        src: &krate.files[0].src,
        impl_generics: Vec::new(),
        impl_self: Vec::new(),
        out: &mut diagnostics,
        explain: Some(&mut explain),
        sizes: sizes.clone(),
        kinds: krate.kinds_for(0),
        run_time: krate.run_time_for(0),
    }
    .visit_file_mut(&mut ast);
    if !explain.found {
        let mut names = Vec::new();
        FnNames(&mut names).visit_file(&ast);
        let what = match &explain.self_type {
            Some(ty) => format!("method `{ty}::{function}`"),
            None => format!("function `{function}`"),
        };
        return Err(ExplainError::NoFunction {
            what,
            file: name,
            functions: if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            },
        });
    }
    if explain.rows.is_empty() {
        return Err(ExplainError::NotAnnotated(function.to_owned()));
    }
    let mut dims: Vec<String> = Vec::new();
    for row in &explain.rows {
        for d in &row.shape {
            if !dims.contains(d) {
                dims.push(d.clone());
            }
        }
    }
    let sizes = dims
        .into_iter()
        .map(|d| {
            let size = sizes.get(&d).copied().flatten();
            (d, size)
        })
        .collect();
    Ok(Walkthrough {
        function: function.to_owned(),
        rows: explain.rows,
        sizes,
        diagnostics,
        trace: explain.trace,
    })
}

struct FnNames<'a>(&'a mut Vec<String>);

impl<'ast> Visit<'ast> for FnNames<'_> {
    fn visit_signature(&mut self, sig: &'ast syn::Signature) {
        self.0.push(format!("`{}`", sig.ident));
    }
}

impl Walkthrough {
    /// The size of `dim`, when it is known.
    ///
    /// ```
    /// use infralens_lint::{explain::explain_source, source::Source};
    /// let code = "dims! { pub S = 4; pub D = dyn; }\n#[shapes(x: [S, D] -> [S, D])]\nfn f(x: &Tensor) -> Tensor { x.softmax() }";
    /// let w = explain_source(Source::new("a.rs", code.into()), vec![], "f").unwrap();
    /// assert_eq!((w.size("S"), w.size("D")), (Some(4), None));
    /// ```
    pub fn size(&self, dim: &str) -> Option<u64> {
        self.sizes
            .iter()
            .find(|(d, _)| d == dim)
            .and_then(|(_, s)| *s)
    }

    /// The elements of `shape`, when every size is known (saturating).
    ///
    /// ```
    /// use infralens_lint::{explain::explain_source, source::Source};
    /// let code = "dims! { pub S = 4; pub D = dyn; }\n#[shapes(x: [S, D] -> [S, D])]\nfn f(x: &Tensor) -> Tensor { x.softmax() }";
    /// let w = explain_source(Source::new("a.rs", code.into()), vec![], "f").unwrap();
    /// assert_eq!(w.numel(&vec!["S".to_owned(), "S".to_owned()]), Some(16));
    /// assert_eq!(w.numel(&vec!["S".to_owned(), "D".to_owned()]), None);
    /// ```
    pub fn numel(&self, shape: &Shape) -> Option<u128> {
        shape.iter().try_fold(1u128, |n, d| {
            Some(n.saturating_mul(u128::from(self.size(d)?)))
        })
    }

    /// Each dim with its size (`?` when known only at run time): `B=2 S=? D=16`.
    ///
    /// ```
    /// use infralens_lint::{explain::explain_source, source::Source};
    /// let code = "dims! { pub S = 4; pub D = dyn; }\n#[shapes(x: [S, D] -> [S, D])]\nfn f(x: &Tensor) -> Tensor { x.softmax() }";
    /// let w = explain_source(Source::new("a.rs", code.into()), vec![], "f").unwrap();
    /// assert_eq!(w.dims(), "S=4 D=?");
    /// ```
    pub fn dims(&self) -> String {
        let dims: Vec<String> = self
            .sizes
            .iter()
            .map(|(d, s)| match s {
                Some(s) => format!("{d}={s}"),
                None => format!("{d}=?"),
            })
            .collect();
        dims.join(" ")
    }

    /// The table: each value with its symbolic and concrete shape, elements, bytes, and
    /// the FLOPs and weight parameters of its matmuls; then the totals.
    ///
    /// ```
    /// use infralens_lint::{explain::explain_source, source::Source};
    /// let code = "dims! { pub S = 4; pub D = 8; }\n#[shapes(x: [S, D] -> [S, D])]\nfn f(x: &Tensor) -> Tensor { x.softmax() }";
    /// let table = explain_source(Source::new("a.rs", code.into()), vec![], "f").unwrap().table();
    /// assert!(table.contains("(4, 8)"));
    /// ```
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}  (dims: {})\n", self.function, self.dims());
        let _ = writeln!(
            out,
            "{:<7} {:<10} {:<30} {:<15} {:<14} {:>9} {:>9} {:>10} {:>8}",
            "step",
            "var",
            "expression",
            "symbolic shape",
            "concrete",
            "elements",
            "bytes",
            "FLOPs",
            "params"
        );
        let _ = writeln!(out, "{}", "-".repeat(120));
        // Counts in `u128`, saturating: `u128::MAX` stands for "too many to count".
        let count = |v: u128| {
            if v == u128::MAX {
                "≥ 2^128".to_owned()
            } else {
                v.to_string()
            }
        };
        let dash = |v: Option<u128>| v.map_or_else(|| "-".to_owned(), count);
        for r in &self.rows {
            let symbolic = format!("({})", r.shape.join(", "));
            let concrete: Vec<String> = r
                .shape
                .iter()
                .map(|d| dash(self.size(d).map(u128::from)).replace('-', "?"))
                .collect();
            let elements = self.numel(&r.shape);
            let bytes = elements.map(|e| e.saturating_mul(r.elem_bytes as u128));
            let mut expr: String = r.expr.split_whitespace().collect::<Vec<_>>().join(" ");
            if expr.chars().count() > 30 {
                expr = expr.chars().take(29).collect::<String>() + "…";
            }
            let _ = writeln!(
                out,
                "{:<7} {:<10} {:<30} {:<15} {:<14} {:>9} {:>9} {:>10} {:>8}",
                r.kind,
                r.var,
                expr,
                symbolic,
                format!("({})", concrete.join(", ")),
                dash(elements),
                dash(bytes),
                dash(r.cost.flops),
                dash(r.cost.params),
            );
        }
        let (flops, params) = self.totals();
        let flops = match flops {
            Some(f) if self.flops_known() => format!("{} FLOPs", count(f)),
            _ => "? FLOPs (a size is known only at run time)".to_owned(),
        };
        let _ = writeln!(out, "\ntotal: {flops}, {} weight parameters", count(params));
        out
    }

    /// The walkthrough as one JSON object: the function, each dim's size (`null` when
    /// known only at run time), the trace (one object per value: `name`, `op`, `inputs` as
    /// indices into `trace`, `shape`, `contracted`, `flops`, `params`, `weight`, `expr`,
    /// `returned`) and the totals. Counts are numbers (`u128`, saturating).
    ///
    /// ```
    /// use infralens_lint::{explain::explain_source, source::Source};
    /// let code = "dims! { pub S = 4; pub D = 8; }\n#[shapes(x: [S, D], w: [D, D] -> [S, D])]\nfn f(x: &Tensor, w: &Tensor) -> Tensor { x.matmul(w) }";
    /// let w = explain_source(Source::new("a.rs", code.into()), vec![], "f").unwrap();
    /// let json: serde_json::Value = serde_json::from_str(&w.to_json()).unwrap();
    /// assert_eq!(json["trace"][2]["op"], "matmul");
    /// assert_eq!(json["trace"][2]["inputs"], serde_json::json!([0, 1]));
    /// assert_eq!(json["totals"]["flops"], 512);
    /// ```
    pub fn to_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Totals {
            flops: Option<u128>,
            params: u128,
        }
        #[derive(serde::Serialize)]
        struct Json<'a> {
            function: &'a str,
            sizes: std::collections::BTreeMap<&'a str, Option<u64>>,
            trace: &'a [Node],
            totals: Totals,
        }
        let (flops, params) = self.totals();
        let json = Json {
            function: &self.function,
            sizes: self.sizes.iter().map(|(d, s)| (d.as_str(), *s)).collect(),
            trace: &self.trace,
            totals: Totals { flops, params },
        };
        serde_json::to_string_pretty(&json).unwrap_or_default()
    }

    /// The FLOPs of every product the function computes (`None` when a size is known
    /// only at run time) and the weight parameters they read: the totals of the table and
    /// of the diagram, summed over [`Walkthrough::trace`] (saturating).
    ///
    /// ```
    /// use infralens_lint::{explain::explain_source, source::Source};
    /// let code = "dims! { pub S = 4; pub D = 8; }\n#[shapes(x: [S, D], w: [D, D] -> [S, D])]\nfn f(x: &Tensor, w: &Tensor) -> Tensor { x.matmul(w).matmul(w) }";
    /// let w = explain_source(Source::new("a.rs", code.into()), vec![], "f").unwrap();
    /// assert_eq!(w.totals(), (Some(2 * (2 * 4 * 8 * 8)), 2 * 64));
    /// ```
    pub fn totals(&self) -> (Option<u128>, u128) {
        let flops = self
            .trace
            .iter()
            .try_fold(0u128, |sum, n| Some(sum.saturating_add(n.flops?)));
        let params = self
            .trace
            .iter()
            .fold(0u128, |sum, n| sum.saturating_add(n.params.unwrap_or(0)));
        (flops, params)
    }

    /// Whether the FLOPs can all be counted here: every value the function computes has
    /// sizes known here (a run-time or generic size leaves its products uncounted).
    ///
    /// ```
    /// use infralens_lint::{explain::explain_source, source::Source};
    /// let code = "dims! { pub S = dyn; pub D = 8; }\n#[shapes(x: [S, D], w: [D, D] -> [S, D])]\nfn f(x: &Tensor, w: &Tensor) -> Tensor { x.matmul(w) }";
    /// let w = explain_source(Source::new("a.rs", code.into()), vec![], "f").unwrap();
    /// assert!(!w.flops_known());
    /// assert!(w.table().contains("total: ? FLOPs (a size is known only at run time), 64 weight parameters"));
    /// ```
    pub fn flops_known(&self) -> bool {
        self.rows
            .iter()
            .all(|r| r.kind == "param" || self.numel(&r.shape).is_some())
    }
}
