//! A small deterministic normal generator (SplitMix64 + Box–Muller) for `randn(seed)`.
//!
//! Hand-written rather than taken from `rand`: the stream must never change between
//! releases (seeded examples and lab outputs are pinned), which `rand`'s `StdRng` does not
//! promise, and ten lines do not justify three more dependencies.

/// SplitMix64 (Steele, Lea, Flood 2014): a fast, well-mixed 64-bit stream.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1]: never 0, so `ln` is finite.
    fn next_open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal samples, two at a time (Box–Muller).
    pub(crate) fn normal_pair(&mut self) -> (f64, f64) {
        let r = (-2.0 * self.next_open01().ln()).sqrt();
        let theta = 2.0 * core::f64::consts::PI * self.next_open01();
        (r * theta.cos(), r * theta.sin())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_moments_are_standard() {
        let mut rng = SplitMix64::new(7);
        let n = 200_000;
        let mut sum = 0.0;
        let mut sq = 0.0;
        for _ in 0..n / 2 {
            let (a, b) = rng.normal_pair();
            sum += a + b;
            sq += a * a + b * b;
        }
        let mean = sum / n as f64;
        let var = sq / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
    }

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<_> = (0..4).map(|_| SplitMix64::new(3).normal_pair()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            SplitMix64::new(3).normal_pair(),
            SplitMix64::new(4).normal_pair()
        );
    }
}
