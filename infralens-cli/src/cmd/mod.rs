//! One module per subcommand (`run` in each), and [`out`](mod@out): writing to the terminal.

pub(crate) mod book;
pub(crate) mod check;
pub(crate) mod explain;
pub(crate) mod lab;
pub(crate) mod labs;
pub(crate) mod lint;
pub(crate) mod next;
pub(crate) mod out;
pub(crate) mod recheck;
pub(crate) mod reset;
pub(crate) mod rules;
pub(crate) mod solution;
pub(crate) mod watch;
