//! How many threads the kernels use: attention splits its (batch, head) pairs over them,
//! and a large matmul splits its rows.
//!
//! The default is every core ([`std::thread::available_parallelism`]); the environment
//! variable `INFRALENS_THREADS` or [`set_num_threads`] changes it. `1` runs everything
//! on the calling thread. An op never starts more threads than it has work items (rows of
//! a matmul, (batch, head) pairs of attention).
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
/// `num_threads()` scoped threads (the calling thread takes the first run); each run makes
/// its own `state` (a scratch buffer) once.
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
    std::thread::scope(|scope| {
        let run_one = &run_one;
        let mut runs = runs.into_iter();
        let first = runs.next();
        for run in runs {
            scope.spawn(move || run_one(run));
        }
        if let Some(run) = first {
            run_one(run);
        }
    });
}
