//! `infralens watch`: the current exercise re-checked on every save.

use super::out::{color_out, cwd, fail};
use crate::term;
use infralens_cli::labs;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

pub(crate) fn run(id: Option<&str>) -> ExitCode {
    use notify::{RecursiveMode, Watcher};
    let mut ws = match labs::Workspace::find(&cwd()) {
        Ok(ws) => ws,
        Err(e) => return fail(&e),
    };
    let catalog = match labs::catalog() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    // Without a lab named: the first one with an exercise still to do (or the last).
    let lab = match id {
        Some(id) => match catalog.lab(id) {
            Ok(lab) => lab,
            Err(e) => return fail(&e),
        },
        None => match catalog
            .labs
            .iter()
            .find(|l| ws.current(catalog, l).is_some())
            .or_else(|| catalog.labs.last())
        {
            Some(lab) => lab,
            None => return fail("there are no labs"),
        },
    };
    // One channel for both: the files saved, and the commands typed (a line each).
    let (tx, rx) = std::sync::mpsc::channel::<WatchEvent>();
    let files = tx.clone();
    let mut watcher = match notify::recommended_watcher(move |e| {
        let _ = files.send(WatchEvent::File(e));
    }) {
        Ok(w) => w,
        Err(e) => return fail(&format!("cannot watch files: {e}")),
    };
    let exercises = ws.root.join("exercises");
    // The directory itself, and the crate root beside it: when `exercises/` is replaced (a
    // `git checkout`, a restore from a copy), the watch on the old one is dead, and the
    // root's event says to watch the new one.
    if let Err(e) = watcher
        .watch(&exercises, RecursiveMode::Recursive)
        .and_then(|()| watcher.watch(&ws.root, RecursiveMode::NonRecursive))
    {
        return fail(&format!("cannot watch {}: {e}", exercises.display()));
    }
    // Single keys on a terminal (raw mode, left on every way out), lines otherwise.
    let screen = term::Screen::keys();
    // `q` (or Ctrl-C, Esc) also stops a check under way: cargo or the tests are stopped, and
    // the `q` waiting in the channel then quits.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let send = {
        let stop = stop.clone();
        move |line: String| {
            if matches!(line.trim(), "q" | "quit") {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            tx.send(WatchEvent::Line(line)).is_ok()
        }
    };
    if screen.single_keys() {
        std::thread::spawn(move || {
            while let Ok(event) = crossterm::event::read() {
                if let Some(key) = term::key_command(&event)
                    && !send(key)
                {
                    break;
                }
            }
        });
    } else {
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                if !send(line) {
                    break;
                }
            }
        });
    }
    let keys = if screen.single_keys() {
        "Press h for a hint, l for the list, c to check, q to quit."
    } else {
        "Type h⏎ for a hint, l⏎ the list, c⏎ to check, q⏎ to quit."
    };
    let color = color_out();
    let redraw = std::io::stdout().is_terminal();
    let mut passed = String::new();
    let mut typed: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    loop {
        let passed_before = std::mem::take(&mut passed);
        if redraw {
            // Redraw from the top, as rustlings does, keeping the exercise just passed in
            // sight. (Without a redraw it is still on the screen: printed once, not twice.)
            screen.write("\x1b[2J\x1b[H");
            screen.write(&passed_before);
        }
        let mut progress = Stoppable {
            inner: term::Progress::new(&screen),
            stop: &stop,
        };
        let checked = labs::check_to(&mut ws, catalog, lab, color, &mut progress);
        let shown = std::mem::take(&mut progress.inner.shown);
        drop(progress);
        // Drained before waiting, so that an edit made once the learner sees the result is
        // never lost: the compiler reading the files is not an edit; a save made while the
        // check ran is checked next; a key pressed meanwhile is kept.
        let mut saved_meanwhile = false;
        while let Ok(event) = rx.try_recv() {
            match event {
                WatchEvent::Line(l) => typed.push_back(l),
                WatchEvent::File(Ok(e)) if is_edit(&e) => saved_meanwhile = true,
                WatchEvent::File(Ok(e)) => {
                    saved_meanwhile |= rearm(&mut watcher, &exercises, &e);
                }
                WatchEvent::File(_) => {}
            }
        }
        match checked {
            Ok(labs::Outcome::LabComplete) => {
                screen.write("Stopped watching: `infralens next` shows where to go on.\n");
                return ExitCode::SUCCESS;
            }
            // On to the next exercise at once: its state shows without a save.
            Ok(labs::Outcome::Done) => {
                passed = shown
                    .lines()
                    .filter(|l| l.starts_with('✓'))
                    .map(|l| format!("{l}\n\n"))
                    .collect();
                continue;
            }
            // Stopped by `q`: it waits in `typed`, and quits below.
            Ok(labs::Outcome::Stopped) => {}
            Ok(_) => screen.write(&format!(
                "\nwatching exercises/: save the file to check it again. {keys}\n"
            )),
            Err(e) => {
                drop(screen);
                return fail(&e);
            }
        }
        if saved_meanwhile {
            continue;
        }
        // Wait for a `.rs` file to be written, created or removed, or a command.
        'wait: loop {
            let event = match typed.pop_front() {
                Some(line) => WatchEvent::Line(line),
                None => match rx.recv() {
                    Ok(e) => e,
                    Err(_) => {
                        drop(screen);
                        return fail("the file watcher stopped");
                    }
                },
            };
            match event {
                WatchEvent::File(Ok(e)) if is_edit(&e) => {
                    // Let a burst of events (an editor's save) settle.
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    while let Ok(event) = rx.try_recv() {
                        if let WatchEvent::Line(l) = event {
                            typed.push_back(l);
                        }
                    }
                    break 'wait;
                }
                WatchEvent::File(Ok(e)) => {
                    if rearm(&mut watcher, &exercises, &e) {
                        break 'wait;
                    }
                }
                WatchEvent::File(_) => {}
                WatchEvent::Line(line) => match line.trim() {
                    "q" | "quit" => {
                        let total = catalog.exercises_of(lab).count();
                        let done = catalog
                            .exercises_of(lab)
                            .filter(|e| ws.done.contains(&e.name))
                            .count();
                        screen.write(&format!(
                            "Stopped watching. Lab {} — {}: {done} of {total} exercises done.\n",
                            lab.id, lab.title
                        ));
                        return ExitCode::SUCCESS;
                    }
                    "h" | "hint" => match ws.current(catalog, lab).cloned() {
                        Some(ex) => match ws.next_hint(&ex) {
                            Ok(text) => screen.write(&format!("{text}\n")),
                            Err(e) => screen.write(&format!("{e}\n")),
                        },
                        None => screen.write(&format!("Lab {} is complete.\n", lab.id)),
                    },
                    "l" | "list" => screen.write(&labs::list(catalog, Some(&ws))),
                    "c" | "check" => break 'wait,
                    "" => {}
                    other => screen.write(&format!("`{other}`: {keys}\n")),
                },
            }
        }
    }
}

/// A check's report onto the screen that also says when `q` was pressed.
struct Stoppable<'a, 'b> {
    inner: term::Progress<'a>,
    stop: &'b std::sync::atomic::AtomicBool,
}

impl labs::Report for Stoppable<'_, '_> {
    fn text(&mut self, text: &str) {
        self.inner.text(text);
    }
    fn status(&mut self, status: &str) {
        self.inner.status(status);
    }
    fn stop_requested(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// When `event` is `exercises/` made anew (replaced by a checkout, moved back in place), the
/// watch moves to the new directory, and the exercises are checked again: `true`.
fn rearm(
    watcher: &mut notify::RecommendedWatcher,
    exercises: &std::path::Path,
    event: &notify::Event,
) -> bool {
    use notify::{RecursiveMode, Watcher};
    let made = (event.kind.is_create() || event.kind.is_modify())
        && event.paths.iter().any(|p| p == exercises)
        && exercises.is_dir();
    if made {
        let _ = watcher.unwatch(exercises);
        // Not watched: the next check still runs; later saves are missed, as before.
        let _ = watcher.watch(exercises, RecursiveMode::Recursive);
    }
    made
}

/// What `watch` waits for: a file event, or a line typed.
pub(crate) enum WatchEvent {
    File(notify::Result<notify::Event>),
    Line(String),
}

/// A save of a `.rs` file: written, created or removed (reads are not edits).
pub(crate) fn is_edit(event: &notify::Event) -> bool {
    (event.kind.is_modify() || event.kind.is_create() || event.kind.is_remove())
        && event
            .paths
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "rs"))
}
