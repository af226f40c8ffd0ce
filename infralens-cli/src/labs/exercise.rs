//! Checking one exercise: compile it in the working crate, run its tests, and say which of
//! the three outcomes it is, with the error as the learner needs it.

use super::*;
use crate::check::Message;
use crate::render::{Format, render};
use std::process::{Command, Stdio};

/// Where a check's report goes, each part as soon as it is known: the exercise's title at
/// once, each compile error as rustc reports it, the outcome at the end. A `String` gathers
/// the whole report.
///
/// ```
/// use infralens_cli::labs::Report;
/// let mut report = String::new();
/// report.text("✓ done\n");
/// report.status("compiling"); // a String keeps no status
/// assert_eq!(report, "✓ done\n");
/// ```
pub trait Report {
    /// A part of the report, to be shown now.
    fn text(&mut self, text: &str);
    /// What the check is doing (compiling, running the tests), for a spinner; a report
    /// that shows no progress ignores it.
    fn status(&mut self, status: &str) {
        let _ = status;
    }
    /// Whether the learner asked to stop (a key pressed while the check runs): the check
    /// stops cargo or the tests and returns [`Outcome::Stopped`]. Asked a few times a second.
    fn stop_requested(&self) -> bool {
        false
    }
}

impl Report for String {
    fn text(&mut self, text: &str) {
        self.push_str(text);
    }
}

/// What to do after a check of `ex` (of `lab`) from the command line: for a compile error,
/// edit and check again; for a failing test, the hint command; nothing otherwise. (`watch`
/// says its own: save to check again, a key for the hint.)
///
/// ```
/// use infralens_cli::labs::{advice, catalog, Outcome};
/// let c = catalog()?;
/// let lab = c.lab("02")?;
/// let ex = c.exercises_of(lab).next().ok_or("no exercise")?;
/// let text = advice(&Outcome::CompileError, lab, ex);
/// assert!(text.contains("`infralens lab 02 --check` again") && text.contains("--hint"));
/// assert_eq!(advice(&Outcome::Done, lab, ex), "");
/// # Ok::<(), String>(())
/// ```
pub fn advice(outcome: &Outcome, lab: &Lab, ex: &Exercise) -> String {
    match outcome {
        Outcome::CompileError => format!(
            "Edit {} and run `infralens lab {} --check` again; `infralens lab {} --hint` gives a hint.\n",
            ex.path(),
            lab.id,
            lab.id
        ),
        Outcome::TestsFail => format!("`infralens lab {} --hint` gives a hint.\n", lab.id),
        Outcome::Done | Outcome::CargoFailed | Outcome::LabComplete | Outcome::Stopped => {
            String::new()
        }
    }
}

/// Compiles and tests the current exercise of `lab` in `ws` with cargo, and returns what
/// happened with its report (the shape errors rendered by InfraLens).
///
/// # Errors
/// cargo cannot be run.
pub fn check(
    ws: &mut Workspace,
    catalog: &Catalog,
    lab: &Lab,
    color: bool,
) -> Result<(Outcome, String), String> {
    let current = ws.current(catalog, lab).cloned();
    let mut report = String::new();
    let outcome = check_to(ws, catalog, lab, color, &mut report)?;
    if let Some(ex) = current {
        report.push_str(&advice(&outcome, lab, &ex));
    }
    Ok((outcome, report))
}

/// [`check`], its report given to `report` part by part as it is known.
///
/// # Errors
/// cargo cannot be run.
pub fn check_to(
    ws: &mut Workspace,
    catalog: &Catalog,
    lab: &Lab,
    color: bool,
    report: &mut dyn Report,
) -> Result<Outcome, String> {
    let total = catalog.exercises_of(lab).count();
    let Some(ex) = ws.current(catalog, lab) else {
        report.text(&format!(
            "Lab {} — {}: all {total} exercises done.\n",
            lab.id, lab.title
        ));
        return Ok(Outcome::LabComplete);
    };
    check_exercise_to(ws, catalog, lab, ex, color, report)
}

/// Compiles and tests exercise `ex` of `lab` (done or not) and reports as [`check`] does;
/// it is marked done when it passes, and to do when it does not.
///
/// # Errors
/// cargo cannot be run.
pub fn check_exercise(
    ws: &mut Workspace,
    catalog: &Catalog,
    lab: &Lab,
    ex: &Exercise,
    color: bool,
) -> Result<(Outcome, String), String> {
    let mut report = String::new();
    let outcome = check_exercise_to(ws, catalog, lab, ex, color, &mut report)?;
    report.push_str(&advice(&outcome, lab, ex));
    Ok((outcome, report))
}

/// [`check_exercise`], its report given to `report` part by part as it is known: cargo's
/// messages are read as it writes them, so a compile error shows while the rest builds.
///
/// # Errors
/// cargo cannot be run.
pub fn check_exercise_to(
    ws: &mut Workspace,
    catalog: &Catalog,
    lab: &Lab,
    ex: &Exercise,
    color: bool,
    report: &mut dyn Report,
) -> Result<Outcome, String> {
    use std::io::{BufRead, Read};
    let total = catalog.exercises_of(lab).count();
    let index = catalog
        .exercises_of(lab)
        .position(|e| e.name == ex.name)
        .unwrap_or(0)
        + 1;
    report.text(&format!(
        "Lab {} — {} · exercise {index}/{total}: {}\n{}\n\n",
        lab.id,
        lab.title,
        ex.path(),
        ex.concept
    ));
    if !ws.root.join(ex.path()).exists() {
        // Deleted (or moved): the exercise as shipped is one command away; progress stays.
        report.text(&format!(
            "{} is missing from the working crate: `infralens reset {}` puts it back as shipped (your progress on the others is kept).\n",
            ex.path(),
            ex.name
        ));
        return Ok(Outcome::CargoFailed);
    }
    report.status(&format!("compiling {}", ex.name));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Built first, then run here: the tests run under a time limit, their output bounded.
    let mut child = Command::new(&cargo)
        .args(["test", "--no-run", "--quiet"])
        // rustc's own errors in colour when the learner sees colours.
        .arg(if color {
            "--message-format=json-diagnostic-rendered-ansi"
        } else {
            "--message-format=json"
        })
        .arg("--bin")
        .arg(ex.bin())
        .current_dir(&ws.root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot run `{}`: {e}; install Rust from https://rustup.rs or set CARGO to its path",
                cargo.to_string_lossy()
            )
        })?;
    // cargo's own messages, read beside its output so that neither pipe fills.
    let stderr = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    });
    let mut errors = 0;
    let mut executable = None;
    // cargo's output read on a thread of its own, so that a stop asked for meanwhile is
    // acted on at once rather than when cargo next writes.
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    loop {
        let line = match lines.recv_timeout(std::time::Duration::from_millis(50)) {
            Ok(line) => line,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if report.stop_requested() {
                    let _ = child.kill();
                    let _ = child.wait();
                    report.text(&format!("Stopped checking {}.\n", ex.name));
                    return Ok(Outcome::Stopped);
                }
                continue;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if !line.starts_with('{') {
            continue;
        }
        if let Ok(cargo_metadata::Message::CompilerArtifact(a)) =
            serde_json::from_str::<cargo_metadata::Message>(&line)
            && a.profile.test
            && let Some(exe) = a.executable
        {
            executable = Some(exe.into_std_path_buf());
            continue;
        }
        let error = match Message::parse(&line) {
            Some(Message::Shape(d)) => render(&[d], Format::Human, color),
            Some(Message::Other(d, rendered)) if d.severity == crate::diag::Severity::Error => {
                rendered + "\n"
            }
            _ => continue,
        };
        if errors == 0 {
            report.text(&format!("✗ {} does not compile yet:\n\n", ex.name));
        }
        errors += 1;
        report.text(&error);
    }
    let built = child
        .wait()
        .map_err(|e| format!("cargo did not finish: {e}"))?;
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if errors > 0 {
        ws.mark_todo(&ex.name)?;
        return Ok(Outcome::CompileError);
    }
    let Some(executable) = executable.filter(|_| built.success()) else {
        // cargo stopped before any test was built, and not on the code: say why.
        let why: String = stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(12)
            .map(|l| format!("  {l}\n"))
            .collect();
        report.text(&format!(
            "cargo could not build the working crate (this is not the exercise's mistake):\n\n{why}\nIs its `Cargo.toml` intact? `infralens labs --init NEW_DIR` makes a fresh one.\n"
        ));
        return Ok(Outcome::CargoFailed);
    };
    report.status(&format!("running the tests of {}", ex.name));
    let run = run_tests(&executable, &ws.root, &|| report.stop_requested())?;
    let (status, test_output) = match run {
        TestRun::Finished(status, output) => (status, output),
        TestRun::Stopped => {
            report.text(&format!("Stopped the tests of {}.\n", ex.name));
            return Ok(Outcome::Stopped);
        }
        TestRun::TimedOut(limit) => {
            report.text(&format!(
                "✗ {} compiles, but its tests run for more than {} s: an endless loop? They were stopped.\n",
                ex.name,
                limit.as_secs()
            ));
            ws.mark_todo(&ex.name)?;
            return Ok(Outcome::TestsFail);
        }
    };
    if !status.success() {
        // The tests ran: which failed, and what each said.
        // `test a ... FAILED`, or `a --- FAILED` with `--quiet`.
        let failed: Vec<&str> = test_output
            .lines()
            .filter_map(|l| {
                l.strip_prefix("test ")
                    .and_then(|t| t.strip_suffix(" ... FAILED"))
                    .or_else(|| l.strip_suffix(" --- FAILED"))
            })
            .collect();
        let mut said = String::new();
        for name in &failed {
            // `---- tests::name stdout ----` then the panic message, up to a blank line.
            let header = format!("---- {name} stdout ----");
            let message: Vec<&str> = test_output
                .lines()
                .skip_while(|l| *l != header)
                .skip(1)
                .skip_while(|l| l.trim().is_empty())
                .take_while(|l| !l.trim().is_empty() && !l.starts_with("note: run with"))
                .collect();
            // A test's name says what it checks: `tests::each_key_is_a_dot_product` → words.
            let short = name.rsplit("::").next().unwrap_or(name);
            let _ = writeln!(
                said,
                "  test `{short}` failed; what it checks: {}",
                short.replace('_', " ")
            );
            for line in message {
                // `thread 'tests::x' (123) panicked at FILE:LINE:COL:` → `at FILE:LINE:COL`.
                let line = match line.split_once(" panicked at ") {
                    Some((thread, at)) if thread.starts_with("thread '") => {
                        format!("at {}", at.trim_end_matches(':'))
                    }
                    _ => line.to_owned(),
                };
                let _ = writeln!(said, "    {line}");
            }
        }
        // What kind of failure it is: a size checked at run time, or the numbers.
        let footer = if said.contains("shape mismatch") || said.contains("ShapeError") {
            "The types agree, but a size known only at run time does not fit: the message names the dims and their sizes; compare them with the tensors the code builds."
        } else {
            "The types agree, the numbers do not: the shapes line up, so look at what the code computes."
        };
        report.text(&format!(
            "✗ {} compiles, but {}:\n\n{said}\n{footer}\n",
            ex.name,
            if failed.len() == 1 {
                "a test fails".to_owned()
            } else {
                format!("{} tests fail", failed.len())
            }
        ));
        ws.mark_todo(&ex.name)?;
        return Ok(Outcome::TestsFail);
    }
    ws.mark_done(&ex.name)?;
    let mut done = format!("✓ {} compiles and its tests pass: done.\n", ex.name);
    match ws.current(catalog, lab) {
        Some(next) => {
            let _ = writeln!(done, "Next: {} ({})", next.path(), next.concept);
        }
        None => {
            let _ = writeln!(done, "Lab {} complete: all {total} exercises done.", lab.id);
        }
    }
    report.text(&done);
    Ok(Outcome::Done)
}

/// How long an exercise's tests may run: ten seconds, or `INFRALENS_TEST_SECONDS`.
fn time_limit() -> std::time::Duration {
    let seconds = std::env::var("INFRALENS_TEST_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&s| s > 0)
        .unwrap_or(10);
    std::time::Duration::from_secs(seconds)
}

/// The most a test run's output is kept of: its first and its last part, each this long.
const OUTPUT_KEPT: usize = 64 << 10;

/// What running an exercise's tests gave.
enum TestRun {
    /// They finished: the status, and the output (its head and tail when long).
    Finished(std::process::ExitStatus, String),
    /// They ran past the time limit and were stopped.
    TimedOut(std::time::Duration),
    /// The learner asked to stop.
    Stopped,
}

/// Runs the test binary `executable` in `dir` under [`time_limit`], keeping the head and the
/// tail of what it prints (a test that prints without end cannot fill the memory).
fn run_tests(
    executable: &std::path::Path,
    dir: &std::path::Path,
    stop: &dyn Fn() -> bool,
) -> Result<TestRun, String> {
    use std::io::Read;
    let mut child = Command::new(executable)
        .current_dir(dir)
        // A failing test's message, not a backtrace.
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run the tests `{}`: {e}", executable.display()))?;
    let bounded = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let Some(mut pipe) = pipe else {
                return String::new();
            };
            let (mut head, mut tail) = (Vec::new(), std::collections::VecDeque::new());
            let mut skipped = 0usize;
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                for &b in &buf[..n] {
                    if head.len() < OUTPUT_KEPT {
                        head.push(b);
                    } else {
                        tail.push_back(b);
                        if tail.len() > OUTPUT_KEPT {
                            tail.pop_front();
                            skipped += 1;
                        }
                    }
                }
            }
            let mut text = String::from_utf8_lossy(&head).into_owned();
            if skipped > 0 {
                text.push_str(&format!("\n[… {skipped} bytes of output left out …]\n"));
            }
            text.push_str(&String::from_utf8_lossy(tail.make_contiguous()));
            text
        })
    };
    let out = bounded(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = bounded(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let limit = time_limit();
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > limit || stop() => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(if stop() {
                    TestRun::Stopped
                } else {
                    TestRun::TimedOut(limit)
                });
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => return Err(format!("the tests did not finish: {e}")),
        }
    };
    let mut text = out.join().unwrap_or_default();
    text.push_str(&err.join().unwrap_or_default());
    Ok(TestRun::Finished(status, text))
}
