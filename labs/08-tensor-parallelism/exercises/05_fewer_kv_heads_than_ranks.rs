// TODO: this does not compile yet. `infralens lab 08 --check` shows the error: which dims does it compare, and which should meet?
//! Exercise 05 — fewer key/value heads than ranks.
//!
//! With GQA, `Hkv` can be smaller than `TP`: Llama-3-70B has 8 KV heads, so at TP = 8 each rank
//! holds one, and at TP = 16 there are fewer KV heads than ranks. A head is never cut across
//! ranks — a key/value head no more than a query head — and every rank's query heads still need
//! the key/value head of their group.
use infralens::prelude::*;

dims! {
    pub H = 8;
    pub Hkv = 2;
    pub Tp = 4;
    pub Hr = H / Tp;            // query heads per rank: 2
    pub Hkvr = Hkv / Tp;        // key/value heads per rank?
}

/// The key/value head rank `r` keeps.
fn kv_head_of_rank(r: usize) -> usize {
    r * Hkvr::SIZE
}

fn main() {
    println!("rank 3 keeps key/value head {}", kv_head_of_rank(3));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rank_keeps_the_head_its_queries_read() {
        // rank r holds query heads r·Hr .. (r+1)·Hr, which read kv head (r·Hr) / (H / Hkv)
        for r in 0..Tp::SIZE {
            assert_eq!(kv_head_of_rank(r), r * Hr::SIZE / (H::SIZE / Hkv::SIZE));
        }
        assert_eq!(Hkvr::SIZE, 1);
    }
}
