//! The tree-sitter queries of every language, embedded in the binary and compiled once.
//!
//! Each language has `tags.scm` (definitions and references, tags convention), `imports.scm`
//! (`@import`) and `context.scm` (`@context`, the enclosing scopes shown above the cursor, as
//! nvim-treesitter-context does). JSON and TOML have none: they get plain line windows.
//!
//! They are read through `server/queries`, a link to the repository's top-level `queries/`, so
//! the packaged crate (`cargo package` stores the link's files) builds on its own.

use std::sync::OnceLock;

use tree_sitter::Query;

use crate::language::Language;

/// The purpose of a query file; one file per purpose under `queries/<language>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryKind {
    Tags,
    Imports,
    Context,
}

impl QueryKind {
    pub const ALL: [QueryKind; 3] = [QueryKind::Tags, QueryKind::Imports, QueryKind::Context];

    pub fn file_name(self) -> &'static str {
        match self {
            QueryKind::Tags => "tags.scm",
            QueryKind::Imports => "imports.scm",
            QueryKind::Context => "context.scm",
        }
    }

    /// The closed vocabulary of capture names a query of this kind may use. Captures starting
    /// with `_` are private to predicates and are allowed everywhere.
    pub fn allowed_captures(self) -> &'static [&'static str] {
        match self {
            QueryKind::Tags => &[
                "name",
                "definition.function",
                "definition.method",
                "definition.class",
                "definition.type",
                "definition.constant",
                // A class field (`private cache: Cache`): only ever reached through an object.
                "definition.field",
                "definition.module",
                "definition.interface",
                "reference.call",
                "reference.type",
                // A name used as a value: a constant, a static, a module-level variable, an
                // identifier passed as an argument. Most are locals, so the resolver shows
                // one only when the imports, the package or an open file vouch for it.
                "reference.variable",
            ],
            QueryKind::Imports => &["import"],
            QueryKind::Context => &["context"],
        }
    }
}

/// The source text of a query, or `None` for languages without one.
pub fn source(language: Language, kind: QueryKind) -> Option<&'static str> {
    macro_rules! queries {
        ($dir:literal) => {
            match kind {
                QueryKind::Tags => include_str!(concat!("../../queries/", $dir, "/tags.scm")),
                QueryKind::Imports => {
                    include_str!(concat!("../../queries/", $dir, "/imports.scm"))
                }
                QueryKind::Context => {
                    include_str!(concat!("../../queries/", $dir, "/context.scm"))
                }
            }
        };
    }
    Some(match language {
        Language::Rust => queries!("rust"),
        Language::Python => queries!("python"),
        Language::JavaScript => queries!("javascript"),
        Language::TypeScript => queries!("typescript"),
        // TSX is TypeScript plus JSX: its files add to TypeScript's (as `; inherits:` in Helix).
        Language::Tsx => match kind {
            QueryKind::Tags => {
                concat!(include_str!("../../queries/typescript/tags.scm"), include_str!("../../queries/tsx/tags.scm"))
            }
            QueryKind::Imports => include_str!("../../queries/typescript/imports.scm"),
            QueryKind::Context => include_str!("../../queries/typescript/context.scm"),
        },
        Language::Go => queries!("go"),
        Language::C => queries!("c"),
        Language::Cpp => queries!("cpp"),
        Language::Java => queries!("java"),
        Language::Json | Language::Toml => return None,
    })
}

/// The compiled query, built on first use. A query that fails to compile is logged and
/// treated as absent, so a broken query degrades context instead of crashing the server
/// (the tests in this module make sure none ships broken).
pub fn get(language: Language, kind: QueryKind) -> Option<&'static Query> {
    const SLOTS: usize = Language::ALL.len() * QueryKind::ALL.len();
    static COMPILED: [OnceLock<Option<Query>>; SLOTS] = [const { OnceLock::new() }; SLOTS];
    let language_index = Language::ALL.iter().position(|candidate| *candidate == language)?;
    let kind_index = QueryKind::ALL.iter().position(|candidate| *candidate == kind)?;
    let slot = &COMPILED[language_index * QueryKind::ALL.len() + kind_index];
    slot.get_or_init(|| {
        let text = source(language, kind)?;
        match compile(language, kind, text) {
            Ok(query) => Some(query),
            Err(error) => {
                tracing::error!(language = language.name(), query = kind.file_name(), %error, "query does not compile");
                None
            }
        }
    })
    .as_ref()
}

/// Half of a tags query: its definition patterns or its reference patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagsPart {
    Definitions,
    References,
}

/// The tags query with only the patterns of one part enabled: extracting definitions (the
/// index build, every edit of an open file) then never matches the reference patterns,
/// which match nearly every identifier.
pub fn tags(language: Language, part: TagsPart) -> Option<&'static Query> {
    static COMPILED: [[OnceLock<Option<Query>>; 2]; Language::ALL.len()] =
        [const { [const { OnceLock::new() }, const { OnceLock::new() }] }; Language::ALL.len()];
    let language_index = Language::ALL.iter().position(|candidate| *candidate == language)?;
    let slot = &COMPILED[language_index][part as usize];
    slot.get_or_init(|| {
        let mut query = compile(language, QueryKind::Tags, source(language, QueryKind::Tags)?).ok()?;
        let is_reference: Vec<bool> = query.capture_names().iter().map(|name| name.starts_with("reference.")).collect();
        for pattern in 0..query.pattern_count() {
            let references = query
                .capture_quantifiers(pattern)
                .iter()
                .zip(&is_reference)
                .any(|(quantifier, reference)| *reference && *quantifier != tree_sitter::CaptureQuantifier::Zero);
            if references != (part == TagsPart::References) {
                query.disable_pattern(pattern);
            }
        }
        Some(query)
    })
    .as_ref()
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Syntax(#[from] tree_sitter::QueryError),
    #[error("capture @{0} is not in the vocabulary of this query kind")]
    UnknownCapture(String),
}

/// Compiles a query and checks its capture names against the vocabulary.
pub fn compile(language: Language, kind: QueryKind, text: &str) -> Result<Query, QueryError> {
    let query = Query::new(&language.grammar(), text)?;
    for name in query.capture_names() {
        if !name.starts_with('_') && !kind.allowed_captures().contains(name) {
            return Err(QueryError::UnknownCapture(name.to_string()));
        }
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_compiles_and_uses_only_known_captures() {
        let mut failures = Vec::new();
        for language in Language::ALL {
            for kind in QueryKind::ALL {
                let Some(text) = source(language, kind) else {
                    continue;
                };
                if let Err(error) = compile(language, kind, text) {
                    failures.push(format!("{}/{}: {error}", language.name(), kind.file_name()));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_code_language_has_every_query() {
        for language in Language::ALL {
            let is_data = matches!(language, Language::Json | Language::Toml);
            for kind in QueryKind::ALL {
                assert_eq!(get(language, kind).is_some(), !is_data, "{language:?} {kind:?}");
            }
        }
    }

    #[test]
    fn unknown_captures_are_rejected() {
        let result = compile(Language::Rust, QueryKind::Tags, "(function_item) @definition.banana");
        assert!(matches!(result, Err(QueryError::UnknownCapture(name)) if name == "definition.banana"));
    }
}
