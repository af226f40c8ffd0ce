//! Shape diagrams: a function's walkthrough ([`Walkthrough`]) drawn as SVG. Each tensor is
//! a box with its named shape and concrete sizes, the ops that make it are the arrow into
//! it (a matmul names the dim it contracts), the weights stand beside the projections with
//! their parameter counts, and every step shows its elements, bytes and FLOPs.
//!
//! The layout is one column of values in the order the function computes them, so a whole
//! decoder block reads top to bottom; a value used further down reaches it by a lane on
//! the left, a weight from the column on the right.

use crate::explain::Walkthrough;
use crate::lint::Row;
use svg::Document;
use svg::node::element::{Definitions, Group, Marker, Path, Rectangle, Style, Text, Title};

const LEFT: i64 = 90;
const TOP: i64 = 70;
const BOX_W: i64 = 400;
const BOX_H: i64 = 58;
const GAP: i64 = 44;
const WEIGHT_X: i64 = LEFT + BOX_W + 110;
const WEIGHT_W: i64 = 230;
const WEIGHT_H: i64 = 46;

const STYLE: &str = "
text { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; fill: #1f2328; }
.title { font-size: 16px; font-weight: bold; }
.shape { font-weight: bold; }
.sizes { fill: #57606a; font-size: 12px; }
.op { fill: #0550ae; font-size: 12px; }
.value { fill: #ddf4ff; stroke: #54aeff; stroke-width: 1.5; }
.input { fill: #fff8c5; stroke: #d4a72c; stroke-width: 1.5; }
.output { fill: #dafbe1; stroke: #4ac26b; stroke-width: 1.5; }
.weight { fill: #fbefff; stroke: #c297ff; stroke-width: 1.5; }
.arrow { fill: none; stroke: #57606a; stroke-width: 1.5; }
.weight-arrow { fill: none; stroke: #8250df; stroke-width: 1.5; stroke-dasharray: 4 3; }
.total { fill: #57606a; }
";

/// A box of the diagram: where it is, and which row it draws.
struct Placed {
    row: usize,
    x: i64,
    y: i64,
    w: i64,
    h: i64,
}

/// A weight beside the values: a rank-2 parameter multiplied in, or a layer field.
struct Weight {
    label: String,
    params: Option<u128>,
    /// The value it goes into.
    into: usize,
}

/// The walkthrough as an SVG document (a string), laid out top to bottom.
///
/// ```
/// use infralens_cli::{diagram::svg, explain::explain_source, source::Source};
/// let code = r#"
/// dims! { pub B = 2; pub S = 4; pub D = 16; pub H = 4; pub Dh = D / H; }
/// #[shapes(x: [B, S, D], w: [D, D] -> [B, H, S, Dh])]
/// fn project_heads(x: &Tensor, w: &Tensor) -> Tensor {
///     #[shape(B, S, D)]
///     let projected = x.matmul(w);
///     projected.split_heads::<H, Dh>()
/// }
/// "#;
/// let w = explain_source(Source::new("a.rs", code.into()), vec![], "project_heads").unwrap();
/// let svg = svg(&w);
/// assert!(svg.starts_with("<svg"));
/// assert!(svg.contains("projected: (B, S, D)"));
/// assert!(svg.contains("matmul over D"));
/// assert!(svg.contains("w: (D, D)") && svg.contains("256 params"));
/// ```
pub fn svg(w: &Walkthrough) -> String {
    document(w).to_string()
}

/// The walkthrough as a page of its own: the diagram, then the table of `explain`.
///
/// ```
/// use infralens_cli::{diagram::html, explain::explain_source, source::Source};
/// let code = "dims! { pub S = 4; pub D = 8; }\n#[shapes(x: [S, D] -> [S, D])]\nfn f(x: &Tensor) -> Tensor { x.softmax() }";
/// let w = explain_source(Source::new("a.rs", code.into()), vec![], "f").expect("explained");
/// let page = html(&w);
/// assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg"));
/// ```
pub fn html(w: &Walkthrough) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{name} — InfraLens walkthrough</title>\n<style>body {{ font-family: system-ui, sans-serif; margin: 2em; }} pre {{ background: #f6f8fa; padding: 1em; overflow-x: auto; }}</style>\n</head>\n<body>\n<h1><code>{name}</code></h1>\n{svg}\n<pre>{table}</pre>\n</body>\n</html>\n",
        name = escape(&w.function),
        svg = svg(w),
        table = escape(&w.table()),
    )
}

/// `&`, `<`, `>` and `"` as HTML entities.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn document(w: &Walkthrough) -> Document {
    let rows = &w.rows;
    // Which parameters are weights: rank 2, and multiplied in by some later expression.
    let is_weight = |i: usize| {
        let r = &rows[i];
        r.kind == "param"
            && r.shape.len() == 2
            && rows[i + 1..]
                .iter()
                .any(|later| multiplies(&later.expr, &r.var))
    };
    let mut placed: Vec<Option<Placed>> = Vec::new();
    let mut slot = 0;
    for i in 0..rows.len() {
        if is_weight(i) {
            placed.push(None);
        } else {
            placed.push(Some(Placed {
                row: i,
                x: LEFT,
                y: TOP + slot * (BOX_H + GAP),
                w: BOX_W,
                h: BOX_H,
            }));
            slot += 1;
        }
    }
    // The weights, each beside the first value it goes into.
    let mut weights: Vec<Weight> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if is_weight(i) {
            if let Some(into) = (i + 1..rows.len()).find(|&j| multiplies(&rows[j].expr, &r.var)) {
                weights.push(Weight {
                    label: format!("{}: ({})", r.var, r.shape.join(", ")),
                    params: w.numel(&r.shape),
                    into,
                });
            }
        } else {
            let fields = layer_fields(&r.expr);
            if !fields.is_empty() {
                weights.push(Weight {
                    label: fields.join(", "),
                    params: r.cost.params,
                    into: i,
                });
            }
        }
    }
    let mut body = Group::new();
    body = body.add(
        Text::new(format!("{}  ({})", w.function, w.dims()))
            .set("class", "title")
            .set("x", 20)
            .set("y", 30),
    );
    // Arrows first, so that the boxes sit on top of them.
    let mut lane = 0;
    for (j, target) in placed.iter().enumerate() {
        let Some(target) = target else { continue };
        for source in inputs(rows, j) {
            let Some(Some(from)) = placed.get(source) else {
                continue;
            };
            let consecutive = target.y - from.y == BOX_H + GAP;
            let d = if consecutive {
                let x = from.x + from.w / 2;
                format!("M {x} {} L {x} {}", from.y + from.h, target.y - 2)
            } else {
                lane += 1;
                let out = LEFT - 14 - 12 * ((lane - 1) % 5);
                let (y0, y1) = (from.y + from.h / 2, target.y + target.h / 2);
                format!(
                    "M {} {y0} L {out} {y0} L {out} {y1} L {} {y1}",
                    from.x,
                    target.x - 2
                )
            };
            body = body.add(
                Path::new()
                    .set("class", "arrow")
                    .set("d", d)
                    .set("marker-end", "url(#head)"),
            );
        }
        if rows[j].kind != "param" {
            body = body.add(
                Text::new(op_label(w, j))
                    .set("class", "op")
                    .set("x", target.x + target.w / 2 + 10)
                    .set("y", target.y - 14),
            );
        }
    }
    let mut beside: Vec<usize> = Vec::new();
    for weight in &weights {
        let Some(Some(target)) = placed.get(weight.into) else {
            continue;
        };
        let stacked = beside.iter().filter(|&&i| i == weight.into).count() as i64;
        beside.push(weight.into);
        let y = target.y + stacked * (WEIGHT_H + 8);
        let params = weight.params.map_or_else(
            || "a layer, not counted".to_owned(),
            |p| format!("{} params", group(p)),
        );
        body = body
            .add(
                Path::new()
                    .set("class", "weight-arrow")
                    .set(
                        "d",
                        format!(
                            "M {WEIGHT_X} {} L {} {}",
                            y + WEIGHT_H / 2,
                            target.x + target.w + 2,
                            target.y + target.h / 2
                        ),
                    )
                    .set("marker-end", "url(#head)"),
            )
            .add(
                Group::new()
                    .set("class", "weight-box")
                    .add(
                        Rectangle::new()
                            .set("class", "weight")
                            .set("x", WEIGHT_X)
                            .set("y", y)
                            .set("width", WEIGHT_W)
                            .set("height", WEIGHT_H)
                            .set("rx", 6),
                    )
                    .add(
                        Text::new(weight.label.clone())
                            .set("class", "shape")
                            .set("x", WEIGHT_X + 10)
                            .set("y", y + 19),
                    )
                    .add(
                        Text::new(params)
                            .set("class", "sizes")
                            .set("x", WEIGHT_X + 10)
                            .set("y", y + 37),
                    ),
            );
    }
    for p in placed.iter().flatten() {
        body = body.add(value_box(w, p));
    }
    let (flops, params) = rows.iter().fold((0u128, 0u128), |(f, p), r| {
        (
            f.saturating_add(r.cost.flops.unwrap_or(0)),
            p.saturating_add(r.cost.params.unwrap_or(0)),
        )
    });
    let height = TOP + slot * (BOX_H + GAP) + 10;
    let flops = if w.flops_known() {
        format!("{} FLOPs", group(flops))
    } else {
        "FLOPs known at run time (a size is not known here)".to_owned()
    };
    body = body.add(
        Text::new(format!(
            "total: {flops} · {} weight parameters",
            group(params)
        ))
        .set("class", "total")
        .set("x", LEFT)
        .set("y", height),
    );
    let width = if weights.is_empty() {
        LEFT + BOX_W + 260
    } else {
        WEIGHT_X + WEIGHT_W + 20
    };
    let marker = Marker::new()
        .set("id", "head")
        .set("viewBox", "0 0 10 10")
        .set("refX", 9)
        .set("refY", 5)
        .set("markerWidth", 7)
        .set("markerHeight", 7)
        .set("orient", "auto-start-reverse")
        .add(
            Path::new()
                .set("d", "M 0 0 L 10 5 L 0 10 z")
                .set("fill", "#57606a"),
        );
    Document::new()
        .set("viewBox", (0, 0, width, height + 20))
        .set("width", width)
        .set("height", height + 20)
        .set("role", "img")
        .add(Title::new(format!("Shape walkthrough of {}", w.function)))
        .add(Style::new(STYLE))
        .add(Definitions::new().add(marker))
        .add(body)
}

/// One value: its name and named shape, its sizes, elements and bytes; the expression
/// as the box's tooltip.
fn value_box(w: &Walkthrough, p: &Placed) -> Group {
    let r = &w.rows[p.row];
    let class = match r.kind {
        "param" => "input",
        "return" => "output",
        _ => "value",
    };
    let concrete: Vec<String> = r
        .shape
        .iter()
        .map(|d| w.size(d).map_or_else(|| "?".to_owned(), |s| s.to_string()))
        .collect();
    let mut sizes = format!("({})", concrete.join(", "));
    if let Some(n) = w.numel(&r.shape) {
        sizes.push_str(&format!(
            " · {} elements · {} bytes",
            group(n),
            group(n.saturating_mul(r.elem_bytes as u128))
        ));
    }
    let tip = if r.expr.is_empty() {
        format!("parameter {}", r.var)
    } else {
        format!("{} = {}", r.var, one_line(&r.expr))
    };
    Group::new()
        .set("class", format!("tensor {class}-box"))
        .add(Title::new(tip))
        .add(
            Rectangle::new()
                .set("class", class)
                .set("x", p.x)
                .set("y", p.y)
                .set("width", p.w)
                .set("height", p.h)
                .set("rx", 8),
        )
        .add(
            Text::new(format!("{}: ({})", r.var, r.shape.join(", ")))
                .set("class", "shape")
                .set("x", p.x + 12)
                .set("y", p.y + 23),
        )
        .add(
            Text::new(sizes)
                .set("class", "sizes")
                .set("x", p.x + 12)
                .set("y", p.y + 44),
        )
}

/// Ops that keep the last dim of what they are called on.
const KEEPS_LAST_DIM: &[&str] = &[
    "scale",
    "attention_scale",
    "softmax",
    "causal_mask",
    "masked",
    "add_bias",
    "add",
    "silu",
    "gelu",
    "relu",
    "repeat_kv",
    "rope",
    "clone",
    "as_ref",
];

/// What makes row `j`: its ops in the order they run (a matmul or a projection layer with
/// the dim it contracts), and its FLOPs.
fn op_label(w: &Walkthrough, j: usize) -> String {
    let r = &w.rows[j];
    let last_dim = |name: &str| {
        (0..j)
            .rev()
            .find(|&k| w.rows[k].var == name)
            .and_then(|k| w.rows[k].shape.last().cloned())
    };
    let mut ops: Vec<String> = Vec::new();
    if let Ok(expr) = syn::parse_str::<syn::Expr>(&r.expr) {
        Ops {
            out: &mut ops,
            last_dim: &last_dim,
            layer_params: r.cost.params.is_some(),
        }
        .walk(&expr);
    }
    ops.dedup();
    let mut label = if ops.is_empty() {
        "=".to_owned()
    } else {
        ops.join(" → ")
    };
    if let Some(f) = r.cost.flops.filter(|&f| f > 0) {
        label.push_str(&format!(" · {} FLOPs", group(f)));
    }
    label
}

/// The ops of an expression in the order they run: a call's receiver and arguments first.
struct Ops<'a> {
    out: &'a mut Vec<String>,
    /// The last dim of a value by name.
    last_dim: &'a dyn Fn(&str) -> Option<String>,
    /// Whether the row multiplies by weights (a layer named in it is a projection).
    layer_params: bool,
}

impl Ops<'_> {
    fn walk(&mut self, expr: &syn::Expr) {
        use syn::Expr;
        match expr {
            Expr::MethodCall(m) => {
                self.walk(&m.receiver);
                for arg in &m.args {
                    self.walk(arg);
                }
                let method = m.method.to_string();
                let op = match method.as_str() {
                    "matmul" => match self.last(&m.receiver) {
                        Some(d) => format!("matmul over {d}"),
                        None => "matmul".to_owned(),
                    },
                    "forward" => {
                        let Some(field) = self_field(&m.receiver) else {
                            self.out.push("forward".to_owned());
                            return;
                        };
                        match m.args.first().and_then(|a| self.last(a)) {
                            Some(d) if self.layer_params => format!("{field} over {d}"),
                            _ => field,
                        }
                    }
                    "t" => match plain_name(&m.receiver) {
                        Some(name) => format!("{name}ᵀ"),
                        None => "transpose".to_owned(),
                    },
                    "transpose" => "transpose".to_owned(),
                    "split_heads" | "split_last" => "split heads".to_owned(),
                    "merge_heads" | "merge_last" => "merge heads".to_owned(),
                    "causal_mask" => "causal mask".to_owned(),
                    "masked" => "mask".to_owned(),
                    "repeat_kv" => "repeat KV heads".to_owned(),
                    "rope" => "RoPE".to_owned(),
                    "attention_scale" | "scale" => "scale".to_owned(),
                    "clone" | "to_tensor" | "as_ref" | "expect" | "unwrap" => return,
                    other => other.to_owned(),
                };
                self.out.push(op);
            }
            Expr::Call(c) => {
                for arg in &c.args {
                    self.walk(arg);
                }
                if let Expr::Path(p) = &*c.func
                    && let Some(last) = p.path.segments.last()
                {
                    self.out.push(last.ident.to_string());
                }
            }
            Expr::Reference(r) => self.walk(&r.expr),
            Expr::Paren(p) => self.walk(&p.expr),
            Expr::Try(t) => self.walk(&t.expr),
            Expr::Binary(b) => {
                self.walk(&b.left);
                self.walk(&b.right);
            }
            _ => {}
        }
    }

    /// The last dim of a value: a name's, or what an op that keeps it, or a merge into a
    /// named width, gives.
    fn last(&self, expr: &syn::Expr) -> Option<String> {
        use syn::Expr;
        match expr {
            Expr::Path(_) => plain_name(expr).and_then(|n| (self.last_dim)(&n)),
            Expr::Reference(r) => self.last(&r.expr),
            Expr::Paren(p) => self.last(&p.expr),
            Expr::MethodCall(m) => {
                let method = m.method.to_string();
                if KEEPS_LAST_DIM.contains(&method.as_str()) {
                    return self.last(&m.receiver);
                }
                // `merge_heads::<D>()`, `merge_last::<D>()`: the width named.
                if method.starts_with("merge")
                    && let Some(turbofish) = &m.turbofish
                    && let Some(syn::GenericArgument::Type(syn::Type::Path(t))) =
                        turbofish.args.last()
                {
                    return t.path.segments.last().map(|s| s.ident.to_string());
                }
                None
            }
            _ => None,
        }
    }
}

/// `k` of the expression `k`.
fn plain_name(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(ToString::to_string),
        syn::Expr::Reference(r) => plain_name(&r.expr),
        _ => None,
    }
}

/// `q` of the expression `self.q`.
fn self_field(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Field(f) => match (&*f.base, &f.member) {
            (syn::Expr::Path(p), syn::Member::Named(name)) if p.path.is_ident("self") => {
                Some(name.to_string())
            }
            _ => None,
        },
        syn::Expr::Reference(r) => self_field(&r.expr),
        _ => None,
    }
}

/// The layer fields an expression runs (`self.q.forward(&h)` → `self.q`), in the order they
/// appear; the same reading of the expression as [`Ops`].
fn layer_fields(expr: &str) -> Vec<String> {
    struct Fields(Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Fields {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if m.method == "forward"
                && let Some(field) = self_field(&m.receiver)
            {
                let field = format!("self.{field}");
                if !self.0.contains(&field) {
                    self.0.push(field);
                }
            }
            syn::visit::visit_expr_method_call(self, m);
        }
    }
    let mut fields = Fields(Vec::new());
    if let Ok(expr) = syn::parse_str::<syn::Expr>(expr) {
        syn::visit::Visit::visit_expr(&mut fields, &expr);
    }
    fields.0
}

/// Whether `expr` multiplies by `var`: `.matmul(var)`, `.matmul(&var)`, `.matmul(&var.t())`.
fn multiplies(expr: &str, var: &str) -> bool {
    let compact: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
    ["", "&"].iter().any(|amp| {
        let at = format!(".matmul({amp}{var}");
        compact.match_indices(&at).any(|(i, m)| {
            compact[i + m.len()..]
                .chars()
                .next()
                .is_some_and(|c| c == ')' || c == '.')
        })
    })
}

/// The rows whose values row `j`'s expression reads: each name it mentions (not after a
/// `.` or `::`), resolved to its latest definition before `j`; the receiver first.
fn inputs(rows: &[Row], j: usize) -> Vec<usize> {
    let expr = &rows[j].expr;
    let mut out = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_alphabetic() || chars[i] == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let after_dot = start >= 1 && (chars[start - 1] == '.' || chars[start - 1] == ':');
            if after_dot {
                continue;
            }
            let name: String = chars[start..i].iter().collect();
            if let Some(src) = (0..j).rev().find(|&k| rows[k].var == name)
                && !out.contains(&src)
            {
                out.push(src);
            }
        } else {
            i += 1;
        }
    }
    out
}

fn one_line(expr: &str) -> String {
    expr.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `1234567` → `1,234,567`.
fn group(n: u128) -> String {
    if n == u128::MAX {
        return "≥ 2^128".to_owned();
    }
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{group, layer_fields, multiplies};

    #[test]
    fn ops_run_in_evaluation_order() {
        use crate::{explain::explain_source, source::Source};
        let code = "dims! { pub S = 4; pub D = 8; pub H = 2; pub Dh = D / H; }
#[shapes(x: [S, D], w: [D, D], k: [H, S, Dh] -> [S, D])]
fn f(x: &Tensor, w: &Tensor, k: &Tensor) -> Tensor {
    #[shape(H, S, Dh)]
    let q = x.matmul(w).split_heads::<H, Dh>();
    #[shape(H, S, S)]
    let p = q.attention_scale::<Dh>().matmul(&k.t()).softmax();
    #[shape(S, D)]
    let y = x.add(&p.matmul(&k).merge_heads::<D>().matmul(w));
    y
}";
        let w = explain_source(Source::new("a.rs", code.into()), vec![], "f").expect("explained");
        let labels: Vec<String> = (3..6).map(|j| super::op_label(&w, j)).collect();
        assert_eq!(labels[0], "matmul over D → split heads · 512 FLOPs");
        assert_eq!(
            labels[1],
            "scale → kᵀ → matmul over Dh → softmax · 256 FLOPs"
        );
        assert!(
            labels[2].starts_with("matmul over S → merge heads → matmul over D → add"),
            "{labels:?}"
        );
        assert_eq!(layer_fields("x.add(&self.o.forward(&ctx))"), ["self.o"]);
        assert_eq!(
            layer_fields("self.gate.forward(&h).silu().mul(&self.up.forward(&h))"),
            ["self.gate", "self.up"]
        );
    }

    #[test]
    fn weights_are_told_by_the_matmul_that_reads_them() {
        assert!(multiplies("x.matmul(wq)", "wq"));
        assert!(multiplies("x.matmul(&wk.t())", "wk"));
        assert!(!multiplies("x.matmul(wq2)", "wq"));
        assert!(!multiplies("wq.matmul(x)", "wq"));
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(group(999), "999");
        assert_eq!(group(u128::MAX), "≥ 2^128");
    }
}
