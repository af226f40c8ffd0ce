//! How many threads the kernels use: attention splits its (batch, head) pairs over them,
//! and a large matmul splits its rows.
//!
//! The default is every core ([`std::thread::available_parallelism`]); the environment
//! variable `INFRALENS_THREADS` or [`set_num_threads`] changes it. `1` runs everything
//! on the calling thread. An op never uses more threads than it has work items (rows of
//! a matmul, (batch, head) pairs of attention).
//!
//! Each op starts its threads and joins them (~50 µs); with the feature `pool` (which
//! `infralens-models` turns on) they come from a pool kept alive between ops instead
//! (`rayon-core`; ~10 µs), which a decode step of a small model, dozens of split ops a
//! token, feels.
//!
//! `INFRALENS_THREADS` must be a whole number from 1 to [`MAX_THREADS`]; anything else
//! (`0`, `-1`, `abc`, `10000`) is a configuration mistake, and the first op that asks
//! panics with a message naming the variable and its value rather than guess.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The most threads `INFRALENS_THREADS` may ask for.
pub const MAX_THREADS: usize = 1024;

/// 0: not decided yet.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// The number of threads the kernels use.
///
/// ```
/// infralens::threads::set_num_threads(2);
/// assert_eq!(infralens::threads::num_threads(), 2);
/// ```
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => {
            let n = match std::env::var_os("INFRALENS_THREADS") {
                Some(value) => match parse_threads(&value.to_string_lossy()) {
                    Ok(n) => n,
                    Err(why) => panic!("{why}"),
                },
                None => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            };
            THREADS.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// Reads a value of `INFRALENS_THREADS`: a whole number from 1 to [`MAX_THREADS`].
///
/// ```
/// use infralens::threads::parse_threads;
/// assert_eq!(parse_threads(" 2 "), Ok(2));
/// assert_eq!(
///     parse_threads("abc").unwrap_err(),
///     "INFRALENS_THREADS=abc is not a thread count: set a whole number from 1 to 1024, or unset it to use every core",
/// );
/// assert!(parse_threads("0").is_err() && parse_threads("-1").is_err() && parse_threads("10000").is_err());
/// ```
///
/// # Errors
/// The value is not a whole number from 1 to [`MAX_THREADS`]; the message names the
/// variable and the value.
pub fn parse_threads(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!(
            "INFRALENS_THREADS={value} is not a thread count: set a whole number from 1 to {MAX_THREADS}, or unset it to use every core"
        )),
    }
}

/// Sets the number of threads the kernels use from now on (at least 1).
///
/// ```
/// infralens::threads::set_num_threads(1); // single-threaded, e.g. for a benchmark
/// assert_eq!(infralens::threads::num_threads(), 1);
/// ```
pub fn set_num_threads(n: usize) {
    THREADS.store(n.max(1), Ordering::Relaxed);
}

/// Runs `work(&mut state, index, item)` over `items`, split in contiguous runs over at most
/// `num_threads()` threads (the calling thread takes the first run; the others are scoped
/// threads, or the pool's with the feature `pool`); each run makes its own `state` (a
/// scratch buffer) once.
pub(crate) fn for_each_split<T, S, M, F>(items: Vec<T>, make_state: M, work: F)
where
    T: Send,
    M: Fn() -> S + Sync,
    F: Fn(&mut S, usize, T) + Sync,
{
    let threads = num_threads().min(items.len()).max(1);
    let per = items.len().div_ceil(threads).max(1);
    let mut runs: Vec<Vec<(usize, T)>> = Vec::with_capacity(threads);
    let mut items = items.into_iter().enumerate().peekable();
    while items.peek().is_some() {
        runs.push(items.by_ref().take(per).collect());
    }
    let run_one = |run: Vec<(usize, T)>| {
        let mut state = make_state();
        for (i, item) in run {
            work(&mut state, i, item);
        }
    };
    if runs.len() <= 1 {
        runs.into_iter().for_each(run_one);
        return;
    }
    let mut runs = runs.into_iter();
    let first = runs.next();
    let run_one = &run_one;
    // With a pool (feature `pool`): its workers take the other runs. Where its threads
    // cannot be started, the runs go one after another on the calling thread.
    #[cfg(feature = "pool")]
    {
        match pool::get(num_threads()) {
            Some(pool) => pool.in_place_scope(|scope| {
                for run in runs {
                    scope.spawn(move |_| run_one(run));
                }
                if let Some(run) = first {
                    run_one(run);
                }
            }),
            None => first.into_iter().chain(runs).for_each(run_one),
        }
    }
    #[cfg(not(feature = "pool"))]
    std::thread::scope(|scope| {
        for run in runs {
            scope.spawn(move || run_one(run));
        }
        if let Some(run) = first {
            run_one(run);
        }
    });
}

/// The threads kept alive between ops (feature `pool`): `threads - 1` workers, the calling
/// thread being the last; built again when the number of threads changes.
#[cfg(feature = "pool")]
mod pool {
    use rayon_core::{ThreadPool, ThreadPoolBuilder};
    use std::sync::{Arc, Mutex, PoisonError};

    static POOL: Mutex<Option<(usize, Arc<ThreadPool>)>> = Mutex::new(None);

    /// The pool for `threads` threads ([`super::num_threads`], ≥ 2: `threads - 1` workers
    /// beside the caller), built on first use and again when the number is changed; `None`
    /// where its threads cannot be started.
    pub(super) fn get(threads: usize) -> Option<Arc<ThreadPool>> {
        let mut slot = POOL.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((n, pool)) = &*slot
            && *n == threads
        {
            return Some(Arc::clone(pool));
        }
        let pool = ThreadPoolBuilder::new()
            .num_threads(threads - 1)
            .thread_name(|i| format!("infralens-{i}"))
            .build()
            .ok()
            .map(Arc::new);
        *slot = pool.as_ref().map(|pool| (threads, Arc::clone(pool)));
        pool
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Every item once, with its index, in at most as many runs (states) as threads — with
    /// the pool (feature `pool`) or scoped threads, whatever the count, changed between
    /// calls, and with a split inside a split.
    #[test]
    fn every_item_is_worked_once_whatever_the_thread_count() {
        for threads in [1, 2, 3, 8, 2] {
            set_num_threads(threads);
            for n in [0, 1, 2, 5, 17] {
                let items: Vec<usize> = (0..n).map(|i| 10 * i).collect();
                let seen = Mutex::new(Vec::new());
                let states = AtomicUsize::new(0);
                for_each_split(
                    items,
                    || states.fetch_add(1, Ordering::Relaxed),
                    |_, i, item| {
                        let inner = Mutex::new(0);
                        for_each_split(
                            vec![1, 2, 3],
                            || (),
                            |(), _, v| {
                                *inner.lock().expect("no run panicked") += v;
                            },
                        );
                        assert_eq!(inner.into_inner().expect("no run panicked"), 6);
                        seen.lock().expect("no run panicked").push((i, item));
                    },
                );
                let mut seen = seen.into_inner().expect("no run panicked");
                seen.sort_unstable();
                let want: Vec<(usize, usize)> = (0..n).map(|i| (i, 10 * i)).collect();
                assert_eq!(seen, want, "{n} items on {threads} threads");
                let runs = states.into_inner();
                assert!(
                    runs <= threads.min(n).max(1),
                    "{runs} runs for {n} items on {threads} threads"
                );
            }
        }
    }
}
