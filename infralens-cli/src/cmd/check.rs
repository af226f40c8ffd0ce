//! `infralens check`: `cargo check`'s messages, the shape errors rendered with their lab.

use super::out::{color_out, fail, write_out};
use infralens_cli::check::Message;
use infralens_cli::render::{Format, render};
use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};

pub(crate) fn run(format: Format, cargo_args: &[String]) -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let child = Command::new(&cargo)
        .args(["check", "--message-format=json"])
        .args(cargo_args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return fail(&format!(
                "cannot run `{}`: {e}; install Rust from https://rustup.rs or set CARGO to its path",
                cargo.to_string_lossy()
            ));
        }
    };
    let color = format == Format::Human && color_out();
    let mut collected = Vec::new();
    // Whether cargo got as far as building (and so its failure is the code's, exit 1), or
    // failed before (no manifest, a broken dependency: exit 2, its own message on stderr).
    let mut built = false;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("\"reason\":\"build-finished\"")
                || line.contains("\"reason\":\"compiler-artifact\"")
                || line.contains("\"reason\":\"compiler-message\"")
            {
                built = true;
            }
            match Message::parse(&line) {
                Some(Message::Shape(d)) => {
                    if format == Format::Sarif {
                        collected.push(d);
                    } else if write_out(&render(&[d], format, color)).is_err() {
                        return ExitCode::from(2);
                    }
                }
                Some(Message::Other(d, rendered)) => {
                    let text = match format {
                        Format::Human => rendered,
                        Format::Sarif => {
                            collected.push(d);
                            continue;
                        }
                        _ => render(&[d], format, false),
                    };
                    if write_out(&text).is_err() {
                        return ExitCode::from(2);
                    }
                }
                None => {}
            }
        }
    }
    if format == Format::Sarif && write_out(&render(&collected, format, false)).is_err() {
        return ExitCode::from(2);
    }
    match child.wait() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        // The code does not compile: its errors were printed above.
        Ok(_) if built => ExitCode::from(1),
        // cargo stopped before compiling anything; its message is on stderr.
        Ok(_) => ExitCode::from(2),
        Err(e) => fail(&format!("cargo did not finish: {e}")),
    }
}
