//! `infralens rules` and `infralens rule ID`: the rules, their groups, one rule's page.

use super::out::{fail, write_out};
use std::process::ExitCode;

/// Every rule with its summary, then the groups.
pub(crate) fn list() -> ExitCode {
    let mut text = String::new();
    for r in infralens_cli::rules::RULES.iter() {
        text.push_str(&format!("{:<20} {}\n", r.id, r.summary));
    }
    text.push_str("\nGroups, for `allow(…)` and `infralens.toml`:\n");
    for (group, what) in infralens_cli::rules::GROUPS {
        text.push_str(&format!("{group:<20} {what}\n"));
    }
    text.push_str("\n`infralens rule ID` explains one.\n");
    match write_out(&text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}

/// One rule's page, or a group's members.
pub(crate) fn one(id: &str) -> ExitCode {
    match infralens_cli::rules::rule(id) {
        Some(r) => match write_out(&r.page()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(2),
        },
        None if infralens_cli::rules::known(id) => {
            let members: Vec<&str> = infralens_cli::rules::RULES
                .iter()
                .filter(|r| r.group == Some(id))
                .map(|r| r.id)
                .collect();
            let text = format!(
                "{id}: a group of rules; `allow({id})` allows them all:\n\n{}\n\n`infralens rule ID` explains one.\n",
                members.join("\n")
            );
            match write_out(&text) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(2),
            }
        }
        None => {
            let ids: Vec<&str> = infralens_cli::rules::RULES.iter().map(|r| r.id).collect();
            fail(&format!(
                "there is no rule `{id}`; the rules are: {}",
                ids.join(", ")
            ))
        }
    }
}
