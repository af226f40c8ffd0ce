//! Shape diagrams: a function's walkthrough ([`Walkthrough`]) drawn as SVG. Each tensor is
//! a box with its named shape and concrete sizes, the ops that make it are the arrow into
//! it (a matmul names the dim it contracts), the weights stand beside the projections with
//! their parameter counts, and every step shows its elements, bytes and FLOPs.
//!
//! The layout is one column of values in the order the function computes them, so a whole
//! decoder block reads top to bottom; a value used further down reaches it by a lane on
//! the left, a weight from the column on the right.

use crate::explain::Walkthrough;
use crate::trace::Node;
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

/// A box of the diagram: where it is, and which node of the trace it draws.
struct Placed {
    node: usize,
    x: i64,
    y: i64,
    w: i64,
    h: i64,
}

/// A weight beside the values: a rank-2 parameter multiplied in, or a layer.
struct Weight {
    label: String,
    params: Option<u128>,
    /// The node it goes into.
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
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{name} — InfraLens walkthrough</title>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>body {{ font-family: system-ui, sans-serif; margin: 2em; }} pre {{ background: #f6f8fa; padding: 1em; overflow-x: auto; max-width: 100%; }} svg {{ max-width: 100%; height: auto; }}</style>\n</head>\n<body>\n<h1><code>{name}</code></h1>\n{svg}\n<pre>{table}</pre>\n</body>\n</html>\n",
        name = escape(&w.function),
        svg = svg(w),
        table = escape(&w.table()),
    )
}

/// `&`, `<`, `>` and `"` as HTML entities (text that may sit in an attribute too).
pub(crate) fn escape(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(text).into_owned()
}

fn document(w: &Walkthrough) -> Document {
    // The arrowhead's id, one per function: a page with several diagrams (a lab's) would
    // repeat one fixed id.
    let arrow: String = format!(
        "arrow-{}",
        w.function
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
    );
    let arrow_url = format!("url(#{arrow})");
    let nodes = &w.trace;
    let consumers = |i: usize| {
        nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.inputs.contains(&i))
    };
    // Weights: rank-2 parameters only ever multiplied in from the right, directly or
    // through a view of them (`w.t()`, `w.narrow::<1, Dr>(…)`).
    fn feeds_products(nodes: &[Node], i: usize, depth: usize) -> bool {
        let mut used = false;
        for (j, n) in nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.inputs.contains(&i))
        {
            used = true;
            let ok = if n.op == "matmul" {
                n.inputs.first() != Some(&i)
            } else {
                depth < 4 && n.inputs.len() == 1 && feeds_products(nodes, j, depth + 1)
            };
            if !ok {
                return false;
            }
        }
        used
    }
    let is_weight = |i: usize| {
        nodes[i].op == "param" && nodes[i].shape.len() == 2 && feeds_products(nodes, i, 0)
    };
    // What is drawn: the parameters, and every value that makes a named one.
    let mut wanted = vec![false; nodes.len()];
    for i in (0..nodes.len()).rev() {
        if nodes[i].name.is_some() || consumers(i).any(|(j, _)| wanted[j]) {
            wanted[i] = true;
        }
    }
    let mut placed: Vec<Option<Placed>> = Vec::new();
    let mut slot = 0;
    for (i, &wanted) in wanted.iter().enumerate() {
        if !wanted || is_weight(i) {
            placed.push(None);
        } else {
            placed.push(Some(Placed {
                node: i,
                x: LEFT,
                y: TOP + slot * (BOX_H + GAP),
                w: BOX_W,
                h: BOX_H,
            }));
            slot += 1;
        }
    }
    // The weights, beside each value they go into; a layer beside its op.
    let mut weights: Vec<Weight> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        if is_weight(i) {
            for (into, _) in consumers(i) {
                weights.push(Weight {
                    label: format!(
                        "{}: ({})",
                        n.name.as_deref().unwrap_or("weight"),
                        n.shape.join(", ")
                    ),
                    params: w.numel(&n.shape),
                    into,
                });
            }
        } else if let Some(layer) = &n.weight
            && placed[i].is_some()
        {
            weights.push(Weight {
                label: layer.clone(),
                params: n.params,
                into: i,
            });
        }
    }
    let mut body = Group::new();
    body = body.add(
        Text::new(format!("{}  ({})", w.function, w.dims()))
            .set("class", "title")
            .set("x", 20)
            .set("y", 30),
    );
    // Arrows first, so that the boxes sit on top of them; each op's label on the arrow
    // into the value it makes.
    let mut lane = 0;
    for target in placed.iter().flatten() {
        for &source in &nodes[target.node].inputs {
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
                    .set("marker-end", arrow_url.as_str()),
            );
        }
        if nodes[target.node].op != "param" {
            body = body.add(
                Text::new(op_label(nodes, target.node))
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
                    .set("marker-end", arrow_url.as_str()),
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
    let height = TOP + slot * (BOX_H + GAP) + 10;
    body = body.add(
        Text::new(total_line(w))
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
        .set("id", arrow.as_str())
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

/// The diagram's last line: the walkthrough's totals.
///
/// ```
/// use infralens_cli::{diagram::total_line, explain::explain_source, source::Source};
/// let code = "dims! { pub S = 4; pub D = 8; }\n#[shapes(x: [S, D], w: [D, D] -> [S, D])]\nfn f(x: &Tensor, w: &Tensor) -> Tensor { x.matmul(w) }";
/// let w = explain_source(Source::new("a.rs", code.into()), vec![], "f").unwrap();
/// assert_eq!(total_line(&w), "total: 512 FLOPs · 64 weight parameters");
/// ```
pub fn total_line(w: &Walkthrough) -> String {
    let (flops, params) = w.totals();
    let flops = match flops {
        Some(f) if w.flops_known() => format!("{} FLOPs", group(f)),
        _ => "FLOPs known at run time (a size is not known here)".to_owned(),
    };
    format!("total: {flops} · {} weight parameters", group(params))
}

/// One value: its name and named shape, its sizes, elements and bytes; the expression
/// as the box's tooltip.
fn value_box(w: &Walkthrough, p: &Placed) -> Group {
    let n = &w.trace[p.node];
    let class = if n.op == "param" {
        "input"
    } else if n.returned {
        "output"
    } else {
        "value"
    };
    let concrete: Vec<String> = n
        .shape
        .iter()
        .map(|d| w.size(d).map_or_else(|| "?".to_owned(), |s| s.to_string()))
        .collect();
    let mut sizes = format!("({})", concrete.join(", "));
    let elem_bytes = w.rows.first().map_or(4, |r| r.elem_bytes);
    if let Some(count) = w.numel(&n.shape) {
        sizes.push_str(&format!(
            " · {} elements · {} bytes",
            group(count),
            group(count.saturating_mul(elem_bytes as u128))
        ));
    }
    let shape = format!("({})", n.shape.join(", "));
    let (head, tip) = match &n.name {
        Some(name) if n.op == "param" => (format!("{name}: {shape}"), format!("parameter {name}")),
        Some(name) => (
            format!("{name}: {shape}"),
            format!("{name} = {}", one_line(&n.expr)),
        ),
        None => (shape, one_line(&n.expr)),
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
            Text::new(head)
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

/// The label of the arrow into node `i`: its op in words (a product with the dim it
/// contracts), and its FLOPs.
fn op_label(nodes: &[Node], i: usize) -> String {
    let n = &nodes[i];
    let base = n.op.split("::<").next().unwrap_or(&n.op);
    let over = |what: &str| match &n.contracted {
        Some(d) => format!("{what} over {d}"),
        None => what.to_owned(),
    };
    let mut label = match base {
        "matmul" => over("matmul"),
        "t" => match n.inputs.first().and_then(|&j| nodes[j].name.as_deref()) {
            Some(name) => format!("{name}ᵀ"),
            None => "transpose".to_owned(),
        },
        "split_heads" | "split_last" => "split heads".to_owned(),
        "merge_heads" | "merge_last" => "merge heads".to_owned(),
        "causal_mask" => "causal mask".to_owned(),
        "masked" => "mask".to_owned(),
        "repeat_kv" => "repeat KV heads".to_owned(),
        "rope" => "RoPE".to_owned(),
        "attention_scale" | "scale" => "scale".to_owned(),
        "value" => "=".to_owned(),
        op if op.ends_with(".forward") => {
            let layer = op.trim_end_matches(".forward");
            over(layer)
        }
        op if op.ends_with("attention") => over(op),
        _ => n.op.clone(),
    };
    if let Some(f) = n.flops.filter(|&f| f > 0) {
        label.push_str(&format!(" · {} FLOPs", group(f)));
    }
    label
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
    use super::{group, op_label};
    use crate::{explain::explain_source, source::Source};

    /// Each op has its own arrow and label, in the order the ops run; a value the trace
    /// made but no name reads is still drawn.
    #[test]
    fn each_op_is_labelled_on_its_own_arrow() {
        let code = "dims! { pub B = 1; pub S = 4; pub D = 8; pub H = 2; pub Dh = D / H; }
#[shapes(x: [B, S, D], w: [D, D], k: [B, H, S, Dh] -> [B, S, D])]
fn f(x: &Tensor, w: &Tensor, k: &Tensor) -> Tensor {
    let q = x.matmul(w).split_heads::<H, Dh>();
    let p = q.attention_scale::<Dh>().matmul(&k.t()).softmax();
    let y = x.add(&p.matmul(k).merge_heads::<D>().matmul(w));
    y
}";
        let w = explain_source(Source::new("a.rs", code.into()), vec![], "f").expect("explained");
        let labels: Vec<String> = (0..w.trace.len())
            .filter(|&i| w.trace[i].op != "param")
            .map(|i| op_label(&w.trace, i))
            .collect();
        assert_eq!(
            labels,
            [
                "matmul over D · 512 FLOPs",
                "split heads",
                "scale",
                "kᵀ",
                "matmul over Dh · 256 FLOPs",
                "softmax",
                "matmul over S · 256 FLOPs",
                "merge heads",
                "matmul over D · 512 FLOPs",
                "add",
            ]
        );
        let svg = super::svg(&w);
        // `w` is a weight beside each product that reads it; `x` and `k` are inputs.
        let texts: Vec<&str> = svg.lines().map(str::trim).collect();
        let count = |t: &str| texts.iter().filter(|&&l| l == t).count();
        assert_eq!(count("w: (D, D)"), 2, "{svg}");
        assert_eq!((count("x: (B, S, D)"), count("k: (B, H, S, Dh)")), (1, 1));
        assert!(
            svg.contains("total: 1,536 FLOPs · 128 weight parameters"),
            "{svg}"
        );
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(group(999), "999");
        assert_eq!(group(u128::MAX), "≥ 2^128");
    }
}
