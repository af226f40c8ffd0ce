//! The structured trace of a function: every value it computes, one [`Node`] per op, with
//! its shape, the values it reads, the dim a product contracts and what the op costs.
//! `explain`'s table sums it by statement; the diagrams draw it node by node.

use crate::diag::Pos;
use crate::infer::Shape;
use std::collections::HashMap;
use syn::Expr;
use syn::spanned::Spanned;

/// One value of a function: a parameter, or what one op makes.
///
/// ```
/// use infralens_lint::explain::explain_source;
/// use infralens_lint::source::Source;
/// let code = "dims! { pub S = 4; pub D = 8; pub F = 16; }\n\
///     #[shapes(x: [S, D], w: [D, F] -> [S, F])]\n\
///     fn up(x: &Tensor, w: &Tensor) -> Tensor { x.matmul(w).silu() }";
/// let w = explain_source(Source::new("a.rs", code.into()), vec![], "up").unwrap();
/// let ops: Vec<&str> = w.trace.iter().map(|n| n.op.as_str()).collect();
/// assert_eq!(ops, ["param", "param", "matmul", "silu"]);
/// let matmul = &w.trace[2];
/// assert_eq!((matmul.inputs.as_slice(), matmul.contracted.as_deref()), (&[0, 1][..], Some("D")));
/// assert_eq!((matmul.flops, matmul.params), (Some(2 * 4 * 8 * 16), Some(8 * 16)));
/// assert_eq!(w.trace[3].name.as_deref(), Some("return"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Node {
    /// The variable it is bound to (`return` for the returned value), if any.
    pub name: Option<String>,
    /// `param` for a parameter, `value` for a value the trace did not see made (a field, a
    /// binding it could not follow), else the op: `matmul`, `split_heads::<H, Dh>`,
    /// `self.q.forward`, `grouped_query_attention`, `cache.append`, …
    pub op: String,
    /// The nodes it reads, in the order the op takes them.
    pub inputs: Vec<usize>,
    /// Its dims.
    pub shape: Shape,
    /// The dim a product contracts (`matmul`, a projection layer, attention's `Dh`).
    pub contracted: Option<String>,
    /// The FLOPs of this op alone: `Some(0)` for an op without products, `None` when a
    /// size is unknown.
    pub flops: Option<u128>,
    /// Elements of the weights this op multiplies in (`None`: none, or a size unknown).
    pub params: Option<u128>,
    /// The weight a layer op reads, as written (`self.q`), when it is not a node.
    pub weight: Option<String>,
    /// The expression, as written (empty for parameters).
    pub expr: String,
    /// Whether the function returns it.
    pub returned: bool,
}

impl Node {
    /// A value the trace starts from: a parameter, or a value it did not see made.
    pub(crate) fn leaf(name: &str, op: &str, shape: Shape) -> Node {
        Node {
            name: Some(name.to_owned()),
            op: op.to_owned(),
            inputs: Vec::new(),
            shape,
            contracted: None,
            flops: Some(0),
            params: None,
            weight: None,
            expr: String::new(),
            returned: false,
        }
    }
}

/// What `Infer` keeps while tracing: the nodes, which node each expression and
/// variable holds.
#[derive(Debug, Default)]
pub(crate) struct Tracer {
    pub nodes: Vec<Node>,
    /// The node of the expression at these positions (the latest, when traced twice).
    pub by_span: HashMap<(Pos, Pos), usize>,
    /// The node each variable holds.
    pub vars: HashMap<String, usize>,
}

impl Tracer {
    /// Adds `node`, or finds the same node traced before (an expression inferred twice);
    /// its index.
    pub fn push(&mut self, at: (Pos, Pos), node: Node) -> usize {
        if let Some(&i) = self.by_span.get(&at)
            && self.nodes[i].op == node.op
            && self.nodes[i].inputs == node.inputs
            && self.nodes[i].shape == node.shape
        {
            return i;
        }
        self.nodes.push(node);
        let i = self.nodes.len() - 1;
        self.by_span.insert(at, i);
        i
    }

    /// Binds `name` to node `i`: the node takes the name when it has none yet, else (an
    /// alias, `let y = x;`) a node of its own reading `i`.
    pub fn bind(&mut self, name: &str, i: usize, expr: &str) {
        let node = &mut self.nodes[i];
        let i = if node.name.is_none() {
            node.name = Some(name.to_owned());
            i
        } else {
            let shape = node.shape.clone();
            self.nodes.push(Node {
                inputs: vec![i],
                expr: expr.to_owned(),
                ..Node::leaf(name, "=", shape)
            });
            self.nodes.len() - 1
        };
        self.vars.insert(name.to_owned(), i);
    }
}

/// Ops that hand back what they are called on (for the trace, the same value).
const SAME_VALUE: &[&str] = &[
    "clone",
    "as_ref",
    "to_owned",
    "to_tensor",
    "expect",
    "unwrap",
    "try_into",
];

impl crate::infer::Infer<'_> {
    /// The node `expr` was traced to, if any.
    pub(crate) fn node_of(&self, expr: &Expr) -> Option<usize> {
        let t = self.trace.as_ref()?;
        t.by_span.get(&self.src.positions(expr.span())).copied()
    }

    /// Traces `expr`, just inferred to `shape`: a node for its op (reading the nodes of the
    /// operands traced before it), or the node it passes on (`&x`, `x.clone()`, `(x)`).
    pub(crate) fn record(&mut self, expr: &Expr, shape: &Shape) {
        let pending = std::mem::take(&mut self.pending);
        let at = self.src.positions(expr.span());
        let text = self.src.text_of(expr.span()).to_owned();
        let same = |this: &Self, inner: &Expr| this.node_of(inner);
        let passed = match expr {
            Expr::Reference(r) => same(self, &r.expr),
            Expr::Paren(p) => same(self, &p.expr),
            Expr::Group(g) => same(self, &g.expr),
            Expr::Try(t) => same(self, &t.expr),
            Expr::Block(b) => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(e, None)) => same(self, e),
                _ => None,
            },
            Expr::MethodCall(m) if SAME_VALUE.contains(&m.method.to_string().as_str()) => {
                same(self, &m.receiver)
            }
            Expr::Call(c) => match &*c.func {
                Expr::Path(f)
                    if (f.path.is_ident("Ok") || f.path.is_ident("Some")) && c.args.len() == 1 =>
                {
                    same(self, &c.args[0])
                }
                // A closure: the node its body made.
                Expr::Path(f)
                    if f.path
                        .get_ident()
                        .is_some_and(|i| self.closures.contains_key(&i.to_string())) =>
                {
                    self.closure_result.take()
                }
                Expr::Paren(_) | Expr::Closure(_) => self.closure_result.take(),
                _ => None,
            },
            _ => None,
        };
        // Every size known (their product may be past `u64`: the cost saturates).
        let known = |this: &Self, shape: &[String]| shape.iter().all(|d| this.size(d).is_some());
        let Some(t) = self.trace.as_mut() else { return };
        if let Some(i) = passed {
            t.by_span.insert(at, i);
            return;
        }
        let (op, inputs, weight, contracted): (String, Vec<Option<usize>>, _, _) = match expr {
            Expr::Path(_) | Expr::Field(_) => {
                // A variable or field the trace has not seen made.
                if let Some(&i) = t.vars.get(&text) {
                    t.by_span.insert(at, i);
                    return;
                }
                let i = t.push(at, Node::leaf(&text, "value", shape.clone()));
                t.vars.insert(text, i);
                return;
            }
            Expr::MethodCall(m) => {
                let mut op = m.method.to_string();
                let generics = Self::turbofish(m);
                if !generics.is_empty() {
                    let g: Vec<String> = generics
                        .iter()
                        .map(|g| self.src.text_of(g.span()).to_owned())
                        .collect();
                    op = format!("{op}::<{}>", g.join(", "));
                }
                let args: Vec<Option<usize>> = m.args.iter().map(|a| self.node_of(a)).collect();
                let receiver = self.node_of(&m.receiver);
                let t = self.trace.as_ref().expect("tracing");
                let last_of = |i: Option<usize>| i.and_then(|i| t.nodes[i].shape.last().cloned());
                match receiver {
                    // A layer in a field or binding: `self.q.forward(&h)`.
                    None if m.method == "forward" => {
                        let layer = self.src.text_of(m.receiver.span()).to_owned();
                        let contracted = if pending.params.is_some() {
                            last_of(args.first().copied().flatten())
                        } else {
                            None
                        };
                        (format!("{layer}.forward"), args, Some(layer), contracted)
                    }
                    None if m.method == "append" => {
                        let cache = self.src.text_of(m.receiver.span()).to_owned();
                        (format!("{cache}.append"), args, None, None)
                    }
                    _ => {
                        let contracted =
                            (m.method == "matmul").then(|| last_of(receiver)).flatten();
                        let mut inputs = vec![receiver];
                        inputs.extend(args);
                        (op, inputs, None, contracted)
                    }
                }
            }
            Expr::Call(c) => {
                let name = match &*c.func {
                    Expr::Path(f) => f
                        .path
                        .segments
                        .last()
                        .map_or_else(String::new, |s| s.ident.to_string()),
                    _ => String::new(),
                };
                let args: Vec<Option<usize>> = c.args.iter().map(|a| self.node_of(a)).collect();
                let t = self.trace.as_ref().expect("tracing");
                let contracted = if name.ends_with("attention") {
                    args.first()
                        .copied()
                        .flatten()
                        .and_then(|q| t.nodes[q].shape.last().cloned())
                } else {
                    None
                };
                (name, args, None, contracted)
            }
            Expr::Index(_) => ("chunk part".to_owned(), Vec::new(), None, None),
            _ => return,
        };
        let inputs: Vec<usize> = inputs.into_iter().flatten().collect();
        let t = self.trace.as_ref().expect("tracing");
        let all_known =
            known(self, shape) && inputs.iter().all(|&i| known(self, &t.nodes[i].shape));
        let node = Node {
            name: None,
            op,
            inputs,
            shape: shape.clone(),
            contracted,
            flops: all_known.then(|| pending.flops.unwrap_or(0)),
            params: pending.params,
            weight,
            expr: text,
            returned: false,
        };
        if let Some(t) = self.trace.as_mut() {
            t.push(at, node);
        }
    }
}

impl crate::infer::Infer<'_> {
    /// Binds `name` (`return` for the returned value) to the node `init` was traced to; a
    /// node of its own, of the `shape` written for it, when `init` was not followed.
    pub(crate) fn trace_binding(&mut self, name: &str, init: &Expr, shape: &Shape) {
        let node = self.node_of(init);
        let text = self.src.text_of(init.span()).to_owned();
        let Some(t) = self.trace.as_mut() else { return };
        let i = match node {
            Some(i) if name == "return" => {
                t.nodes[i].name.get_or_insert_with(|| name.to_owned());
                i
            }
            Some(i) => {
                t.bind(name, i, &text);
                return;
            }
            None => {
                t.nodes.push(Node {
                    expr: text,
                    ..Node::leaf(name, "value", shape.clone())
                });
                let i = t.nodes.len() - 1;
                t.vars.insert(name.to_owned(), i);
                i
            }
        };
        if name == "return" {
            t.nodes[i].returned = true;
        }
    }

    /// Binds `name`, part `index` of a destructuring `let`, to its node: the keys or
    /// values `cache.append` hands out (reading the new ones), a part of a `chunk`, an
    /// element of an array or tuple.
    pub(crate) fn trace_part(&mut self, name: &str, init: &Expr, index: usize, shape: &Shape) {
        self.pending = crate::infer::Cost::default();
        let mut core = init;
        loop {
            core = match core {
                Expr::Try(t) => &t.expr,
                Expr::Paren(p) => &p.expr,
                Expr::MethodCall(m) if SAME_VALUE.contains(&m.method.to_string().as_str()) => {
                    &m.receiver
                }
                _ => break,
            };
        }
        let text = self.src.text_of(init.span()).to_owned();
        let element = match core {
            Expr::Array(a) => a.elems.iter().nth(index),
            Expr::Tuple(t) => t.elems.iter().nth(index),
            _ => None,
        };
        // `let (q, k) = (a, b);`: each name the element's node.
        if let Some(i) = element.and_then(|e| self.node_of(e)) {
            if let Some(t) = self.trace.as_mut() {
                t.bind(name, i, &text);
            }
            return;
        }
        let (op, inputs) = match core {
            Expr::MethodCall(m) if m.method == "append" => {
                let cache = self.src.text_of(m.receiver.span());
                let what = if index == 0 { "keys" } else { "values" };
                (
                    format!("{cache}.append → {what}"),
                    m.args
                        .iter()
                        .nth(index)
                        .and_then(|a| self.node_of(a))
                        .into_iter()
                        .collect(),
                )
            }
            Expr::MethodCall(m) if m.method == "chunk" => (
                format!("chunk [{index}]"),
                self.node_of(&m.receiver).into_iter().collect(),
            ),
            _ => ("value".to_owned(), Vec::new()),
        };
        let Some(t) = self.trace.as_mut() else { return };
        t.nodes.push(Node {
            inputs,
            expr: text,
            ..Node::leaf(name, &op, shape.clone())
        });
        let i = t.nodes.len() - 1;
        t.vars.insert(name.to_owned(), i);
    }
}
