//! The command-line views beside the server: each runs the editor's own code path for one
//! feature and prints what it would send or do (`glm-lsp doctor` lives in `glm/`, being all
//! network). They sit outside the domain modules so that those never depend on the printing.

pub mod context;
pub mod generate_tests;
