//! Where a file's `dims!` blocks declare each dim: what a fix at a declaration needs (the
//! `Dh = D / H` fix edits the number written there). Filled by the lint's first pass, read
//! by the inference when it reports a broken partition.

use crate::source::Source;
use std::collections::HashMap;

/// Where a file's `dims!` blocks declare their dims: what a fix at a declaration needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct DimSites {
    /// Dims whose size is written as a number, and where that number is.
    pub literals: HashMap<String, (crate::diag::Pos, crate::diag::Pos)>,
    /// Dims declared as the product of two others: `Dq = H * Dh` is `("Dq", "H", "Dh")`.
    pub products: Vec<(String, String, String)>,
}

impl DimSites {
    pub(crate) fn note(&mut self, src: &Source, decl: &infralens_syntax::dims::DimDecl) {
        use infralens_syntax::dims::SizeExpr;
        let name = decl.name.to_string();
        match &decl.size {
            SizeExpr::Literal(lit) => {
                self.literals.insert(name, src.positions(lit.span()));
            }
            SizeExpr::Binary {
                left,
                op: '*',
                right,
                ..
            } => {
                if let (SizeExpr::Dim(a), SizeExpr::Dim(b)) = (&**left, &**right) {
                    self.products.push((name, a.to_string(), b.to_string()));
                }
            }
            _ => {}
        }
    }

    /// Whether some dim is declared as `a * b` (or `b * a`).
    pub fn has_product(&self, a: &str, b: &str) -> bool {
        self.products
            .iter()
            .any(|(_, x, y)| (x == a && y == b) || (x == b && y == a))
    }
}
