//! Axis permutations as copies of contiguous blocks.

/// Copies `src` (row-major, `sizes`) with axes `i` and `j` swapped.
///
/// Views the shape as `[pre, n_i, mid, n_j, post]` and copies each contiguous `post` block
/// once, so the head split `(B, S, H, Dh) → (B, H, S, Dh)` moves whole rows of `Dh`.
pub fn swap_axes<E: Copy>(src: &[E], sizes: &[usize], i: usize, j: usize) -> Vec<E> {
    let (i, j) = if i <= j { (i, j) } else { (j, i) };
    if i == j || sizes[i] == 1 && sizes[j] == 1 {
        return src.to_vec();
    }
    let pre: usize = sizes[..i].iter().product();
    let ni = sizes[i];
    let mid: usize = sizes[i + 1..j].iter().product();
    let nj = sizes[j];
    let post: usize = sizes[j + 1..].iter().product();
    let mut out = Vec::with_capacity(src.len());
    for p in 0..pre {
        for b in 0..nj {
            for m in 0..mid {
                for a in 0..ni {
                    let at = (((p * ni + a) * mid + m) * nj + b) * post;
                    out.extend_from_slice(&src[at..at + post]);
                }
            }
        }
    }
    out
}

/// Repeats each of `hkv` heads `h / hkv` times: `(B, Hkv, S, Dh) → (B, H, S, Dh)`,
/// query head `q` reading key/value head `q / (h / hkv)` (Llama's `repeat_kv`).
pub fn repeat_heads<E: Copy>(
    src: &[E],
    batch: usize,
    hkv: usize,
    h: usize,
    head_len: usize,
) -> Vec<E> {
    let group = h / hkv;
    let mut out = Vec::with_capacity(batch * h * head_len);
    for b in 0..batch {
        for q in 0..h {
            let at = (b * hkv + q / group) * head_len;
            out.extend_from_slice(&src[at..at + head_len]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_axes_matches_index_arithmetic() {
        let sizes = [2, 3, 4, 5];
        let src: Vec<usize> = (0..120).collect();
        for (i, j) in [(0, 1), (1, 2), (0, 3), (2, 3), (1, 3), (3, 1), (2, 2)] {
            let out = swap_axes(&src, &sizes, i, j);
            let mut out_sizes = sizes;
            out_sizes.swap(i, j);
            for (flat, &v) in out.iter().enumerate() {
                // unravel `flat` in the output shape, swap back, ravel in the input shape
                let mut idx = [0; 4];
                let mut rest = flat;
                for ax in (0..4).rev() {
                    idx[ax] = rest % out_sizes[ax];
                    rest /= out_sizes[ax];
                }
                idx.swap(i, j);
                let want = ((idx[0] * 3 + idx[1]) * 4 + idx[2]) * 5 + idx[3];
                assert_eq!(v, want, "axes ({i}, {j}) at {flat}");
            }
        }
    }

    #[test]
    fn repeat_heads_maps_query_head_to_group() {
        // batch 1, 2 kv heads of 1 element each, 6 query heads
        assert_eq!(
            repeat_heads(&[10, 20], 1, 2, 6, 1),
            vec![10, 10, 10, 20, 20, 20]
        );
    }
}
