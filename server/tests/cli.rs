//! The binary's command line (this also makes `cargo test` build the binary the end-to-end
//! suite drives).

use std::process::Command;

#[test]
fn version_and_help() {
    let binary = env!("CARGO_BIN_EXE_glm-lsp");
    let version = Command::new(binary).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("glm-lsp {}", env!("CARGO_PKG_VERSION")));
    let help = Command::new(binary).arg("--help").output().unwrap();
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("Usage: glm-lsp"), "{help}");
}
