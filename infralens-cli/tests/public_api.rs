//! The public API of every library crate, listed in `api/<crate>.txt` and compared here: a
//! change to a public item's signature, a public item added or removed, fails this test until
//! the listing is rewritten (`INFRALENS_BLESS=1 cargo test -p infralens-cli --test
//! public_api`) — so a breaking change is a decision, recorded in `CHANGELOG.md`, never an
//! accident.
//!
//! The listing is read from the source with syn (`cargo public-api` needs a nightly rustdoc,
//! and these machines have one stable toolchain). It errs on the side of listing too much:
//! every `pub` item of every module, public or private (a private module's item may be
//! re-exported), every `pub use`, the public methods of inherent impls, the headers of trait
//! impls, and each `#[macro_export]` and procedural macro — minus `#[cfg(test)]` code.

use quote::ToTokens;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The library crates, by directory, with the name their listing takes.
const CRATES: &[(&str, &str)] = &[
    ("", "infralens"),
    ("infralens-core", "infralens-core"),
    ("infralens-macros", "infralens-macros"),
    ("infralens-syntax", "infralens-syntax"),
    ("infralens-lint", "infralens-lint"),
    ("infralens-cli", "infralens-cli"),
    ("infralens-models", "infralens-models"),
    ("labs", "infralens-lab-data"),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the repository")
        .to_path_buf()
}

/// Tokens as one line, spaces collapsed.
fn text(tokens: impl ToTokens) -> String {
    tokens
        .to_token_stream()
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_public(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") && text(&a.meta).contains("test"))
}

fn signature(sig: &syn::Signature) -> String {
    let mut sig = sig.clone();
    // Parameter patterns are not API: `mut x` and `x` are the same signature.
    for input in &mut sig.inputs {
        if let syn::FnArg::Typed(t) = input
            && let syn::Pat::Ident(p) = &mut *t.pat
        {
            p.mutability = None;
        }
    }
    text(&sig)
}

/// The listing of the items of one module, `path` its module path.
fn items(list: &[syn::Item], path: &str, dir: &Path, file: &Path, out: &mut Vec<String>) {
    for item in list {
        match item {
            syn::Item::Fn(f) if is_public(&f.vis) && !cfg_test(&f.attrs) => {
                let kind = f
                    .attrs
                    .iter()
                    .find(|a| {
                        ["proc_macro", "proc_macro_attribute", "proc_macro_derive"]
                            .iter()
                            .any(|k| a.path().is_ident(k))
                    })
                    .map(|a| format!("#[{}] ", text(a.path())))
                    .unwrap_or_default();
                out.push(format!("{kind}{path}::{}", signature(&f.sig)));
            }
            syn::Item::Struct(s) if is_public(&s.vis) && !cfg_test(&s.attrs) => {
                let mut line = format!("{path}::struct {}{}", s.ident, text(&s.generics));
                let fields: Vec<String> = s
                    .fields
                    .iter()
                    .filter(|f| is_public(&f.vis))
                    .map(|f| match &f.ident {
                        Some(name) => format!("{name}: {}", text(&f.ty)),
                        None => text(&f.ty),
                    })
                    .collect();
                if !fields.is_empty() {
                    let _ = write!(line, " {{ {} }}", fields.join(", "));
                }
                if let Some(wc) = &s.generics.where_clause {
                    let _ = write!(line, " {}", text(wc));
                }
                out.push(line);
            }
            syn::Item::Enum(e) if is_public(&e.vis) && !cfg_test(&e.attrs) => {
                let exhaustive = if e.attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
                    "#[non_exhaustive] "
                } else {
                    ""
                };
                let variants: Vec<String> = e
                    .variants
                    .iter()
                    .map(|v| format!("{}{}", v.ident, text(&v.fields)))
                    .collect();
                out.push(format!(
                    "{exhaustive}{path}::enum {}{} {{ {} }}",
                    e.ident,
                    text(&e.generics),
                    variants.join(", ")
                ));
            }
            syn::Item::Trait(t) if is_public(&t.vis) && !cfg_test(&t.attrs) => {
                let supertraits = if t.supertraits.is_empty() {
                    String::new()
                } else {
                    format!(": {}", text(&t.supertraits))
                };
                out.push(format!(
                    "{path}::trait {}{}{supertraits}",
                    t.ident,
                    text(&t.generics)
                ));
                for member in &t.items {
                    let line = match member {
                        syn::TraitItem::Fn(f) => signature(&f.sig),
                        syn::TraitItem::Type(ty) if ty.bounds.is_empty() => {
                            format!("type {}", ty.ident)
                        }
                        syn::TraitItem::Type(ty) => {
                            format!("type {}: {}", ty.ident, text(&ty.bounds))
                        }
                        syn::TraitItem::Const(c) => format!("const {}: {}", c.ident, text(&c.ty)),
                        _ => continue,
                    };
                    out.push(format!("{path}::{}::{line}", t.ident));
                }
            }
            syn::Item::Const(c) if is_public(&c.vis) && !cfg_test(&c.attrs) => {
                out.push(format!("{path}::const {}: {}", c.ident, text(&c.ty)));
            }
            syn::Item::Static(s) if is_public(&s.vis) && !cfg_test(&s.attrs) => {
                out.push(format!("{path}::static {}: {}", s.ident, text(&s.ty)));
            }
            syn::Item::Type(t) if is_public(&t.vis) && !cfg_test(&t.attrs) => {
                out.push(format!(
                    "{path}::type {}{} = {}",
                    t.ident,
                    text(&t.generics),
                    text(&t.ty)
                ));
            }
            syn::Item::Use(u) if is_public(&u.vis) && !cfg_test(&u.attrs) => {
                out.push(format!("{path}::pub use {}", text(&u.tree)));
            }
            syn::Item::Macro(m) if m.attrs.iter().any(|a| a.path().is_ident("macro_export")) => {
                if let Some(name) = &m.ident {
                    out.push(format!("macro {name}!"));
                }
            }
            // Items generated at build time (the labs' `FILES`): named by their source.
            syn::Item::Macro(m) if m.mac.path.is_ident("include") => {
                out.push(format!("{path}::include!({})", text(&m.mac.tokens)));
            }
            syn::Item::Impl(i) if !cfg_test(&i.attrs) => {
                let header = match &i.trait_ {
                    Some((bang, trait_path, _)) => format!(
                        "impl{} {}{} for {}",
                        text(&i.generics),
                        if bang.is_some() { "!" } else { "" },
                        text(trait_path),
                        text(&i.self_ty)
                    ),
                    None => format!("impl{} {}", text(&i.generics), text(&i.self_ty)),
                };
                let header = match &i.generics.where_clause {
                    Some(wc) => format!("{header} {}", text(wc)),
                    None => header,
                };
                if i.trait_.is_some() {
                    out.push(format!("{path}::{header}"));
                    continue;
                }
                for member in &i.items {
                    match member {
                        syn::ImplItem::Fn(f) if is_public(&f.vis) && !cfg_test(&f.attrs) => {
                            out.push(format!("{path}::{header}::{}", signature(&f.sig)));
                        }
                        syn::ImplItem::Const(c) if is_public(&c.vis) => {
                            out.push(format!(
                                "{path}::{header}::const {}: {}",
                                c.ident,
                                text(&c.ty)
                            ));
                        }
                        _ => {}
                    }
                }
            }
            syn::Item::Mod(m) if !cfg_test(&m.attrs) => {
                let sub = format!("{path}::{}", m.ident);
                match &m.content {
                    Some((_, inline)) => items(inline, &sub, dir, file, out),
                    None => {
                        // `mod x;` next to `lib.rs`/`mod.rs`, or in the directory named after
                        // this file (`a.rs` → `a/x.rs`); `#[path]` when it says.
                        let explicit = m.attrs.iter().find_map(|a| {
                            if !a.path().is_ident("path") {
                                return None;
                            }
                            match &a.meta {
                                syn::Meta::NameValue(nv) => match &nv.value {
                                    syn::Expr::Lit(syn::ExprLit {
                                        lit: syn::Lit::Str(s),
                                        ..
                                    }) => Some(dir.join(s.value())),
                                    _ => None,
                                },
                                _ => None,
                            }
                        });
                        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                        let base = if matches!(stem, "lib" | "mod" | "main") {
                            dir.to_path_buf()
                        } else {
                            dir.join(stem)
                        };
                        let name = m.ident.to_string();
                        let candidates = match explicit {
                            Some(p) => vec![p],
                            None => vec![
                                base.join(format!("{name}.rs")),
                                base.join(&name).join("mod.rs"),
                            ],
                        };
                        if let Some(found) = candidates.into_iter().find(|p| p.is_file()) {
                            module(&found, &sub, out);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn module(file: &Path, path: &str, out: &mut Vec<String>) {
    let source = std::fs::read_to_string(file).expect("a source file");
    let parsed = syn::parse_file(&source)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
    let dir = file.parent().expect("a directory");
    items(&parsed.items, path, dir, file, out);
}

/// The public API of the crate in `dir`, one item a line, sorted.
fn listing(dir: &Path, name: &str) -> String {
    let lib = ["src/lib.rs", "lib.rs"]
        .iter()
        .map(|l| dir.join(l))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no lib.rs in {}", dir.display()));
    let mut out = Vec::new();
    module(&lib, &name.replace('-', "_"), &mut out);
    out.sort();
    out.dedup();
    let mut text = format!(
        "# The public API of {name}, as `cargo test -p infralens-cli --test public_api` reads it.\n"
    );
    for line in out {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

#[test]
fn the_public_api_is_the_listed_one() {
    let repo = repo();
    let bless = std::env::var_os("INFRALENS_BLESS").is_some();
    let mut changed = Vec::new();
    for (dir, name) in CRATES {
        let now = listing(&repo.join(dir), name);
        let path = repo.join("api").join(format!("{name}.txt"));
        let listed = std::fs::read_to_string(&path).unwrap_or_default();
        if now == listed {
            continue;
        }
        if bless {
            std::fs::create_dir_all(repo.join("api")).expect("api/");
            std::fs::write(&path, &now).expect("writable");
            continue;
        }
        let old: std::collections::BTreeSet<&str> = listed.lines().collect();
        let new: std::collections::BTreeSet<&str> = now.lines().collect();
        let mut diff = String::new();
        for line in old.difference(&new).take(20) {
            let _ = writeln!(diff, "  - {line}");
        }
        for line in new.difference(&old).take(20) {
            let _ = writeln!(diff, "  + {line}");
        }
        changed.push(format!("{name} (api/{name}.txt):\n{diff}"));
    }
    assert!(
        changed.is_empty(),
        "the public API changed:\n\n{}\nIf the change is meant, record it in CHANGELOG.md and rewrite the listing: INFRALENS_BLESS=1 cargo test -p infralens-cli --test public_api",
        changed.join("\n")
    );
}

/// The listing sees what it must: a method's signature, a field, a variant, a re-export, a
/// trait impl; and not what it must not (private items, `#[cfg(test)]` code).
#[test]
fn the_listing_reads_items_as_the_api_has_them() {
    let dir = std::env::temp_dir().join(format!("infralens-api-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src/inner")).expect("dir");
    std::fs::write(
        dir.join("src/lib.rs"),
        "pub mod inner;\nmod hidden;\npub use inner::Thing;\npub struct S { pub a: u8, b: u8 }\n#[non_exhaustive]\npub enum E { A, B(u8) }\nimpl S { pub fn get(&self, mut x: u8) -> u8 { x } fn private(&self) {} }\nimpl Clone for S { fn clone(&self) -> S { todo!() } }\n#[cfg(test)]\npub fn only_in_tests() {}\nfn private() {}\n",
    )
    .expect("write");
    std::fs::write(dir.join("src/inner/mod.rs"), "pub struct Thing;\n").expect("write");
    std::fs::write(dir.join("src/hidden.rs"), "pub fn reexported_maybe() {}\n").expect("write");
    let text = listing(&dir, "demo");
    let lines: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "#[non_exhaustive] demo::enum E { A, B(u8) }",
            "demo::hidden::fn reexported_maybe ()",
            "demo::impl Clone for S",
            "demo::impl S::fn get (& self , x : u8) -> u8",
            "demo::inner::struct Thing",
            "demo::pub use inner :: Thing",
            "demo::struct S { a: u8 }",
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
