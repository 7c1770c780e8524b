//! The languages glm-lsp understands with tree-sitter, and how a document is matched to one.
//!
//! Any other language id is still served as plain text: features fall back to line windows.

use std::path::Path;

/// A language with a tree-sitter grammar built into the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    C,
    Cpp,
    Java,
    Json,
    Toml,
}

impl Language {
    pub const ALL: [Language; 11] = [
        Language::Rust,
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Go,
        Language::C,
        Language::Cpp,
        Language::Java,
        Language::Json,
        Language::Toml,
    ];

    /// Maps an LSP `languageId` (as VS Code, Neovim and Helix send it) to a language.
    pub fn from_language_id(id: &str) -> Option<Language> {
        Some(match id {
            "rust" => Language::Rust,
            "python" => Language::Python,
            "javascript" | "javascriptreact" | "jsx" => Language::JavaScript,
            "typescript" => Language::TypeScript,
            "typescriptreact" | "tsx" => Language::Tsx,
            "go" => Language::Go,
            "c" => Language::C,
            "cpp" | "c++" => Language::Cpp,
            "java" => Language::Java,
            "json" | "jsonc" => Language::Json,
            "toml" => Language::Toml,
            _ => return None,
        })
    }

    /// Guesses the language from a file name, for workspace files no editor has opened.
    pub fn from_path(path: &Path) -> Option<Language> {
        let extension = path.extension()?.to_str()?;
        Some(match extension {
            "rs" => Language::Rust,
            "py" | "pyi" => Language::Python,
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "go" => Language::Go,
            "c" | "h" => Language::C,
            "cc" | "cpp" | "cxx" | "hpp" | "hh" | "hxx" => Language::Cpp,
            "java" => Language::Java,
            "json" => Language::Json,
            "toml" => Language::Toml,
            _ => return None,
        })
    }

    /// The folder under `queries/` and the usual name in a Markdown code fence.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Go => "go",
            Language::C => "c",
            Language::Cpp => "cpp",
            Language::Java => "java",
            Language::Json => "json",
            Language::Toml => "toml",
        }
    }

    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
            Language::Python => tree_sitter_python::LANGUAGE.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::Go => tree_sitter_go::LANGUAGE.into(),
            Language::C => tree_sitter_c::LANGUAGE.into(),
            Language::Cpp => tree_sitter_cpp::LANGUAGE.into(),
            Language::Java => tree_sitter_java::LANGUAGE.into(),
            Language::Json => tree_sitter_json::LANGUAGE.into(),
            Language::Toml => tree_sitter_toml_ng::LANGUAGE.into(),
        }
    }

    /// The prefix of a line comment, used when the server writes a note into code.
    pub fn line_comment(self) -> Option<&'static str> {
        match self {
            Language::Python | Language::Toml => Some("#"),
            Language::Json => None,
            _ => Some("//"),
        }
    }
}

thread_local! {
    // A `tree_sitter::Parser` is not `Sync`, so each worker thread keeps one per language
    // instead of locking a shared one on every keystroke.
    static PARSERS: std::cell::RefCell<std::collections::HashMap<Language, tree_sitter::Parser>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Runs `parse` with this thread's parser for `language`.
pub fn with_parser<R>(language: Language, parse: impl FnOnce(&mut tree_sitter::Parser) -> R) -> R {
    PARSERS.with(|parsers| {
        let mut parsers = parsers.borrow_mut();
        let parser = parsers.entry(language).or_insert_with(|| {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&language.grammar()).expect("grammar built with an incompatible tree-sitter ABI");
            parser
        });
        parse(parser)
    })
}

/// Texts from this size are parsed one at a time, whichever thread asks. A tree costs about
/// 20 bytes per byte of source while it is built, so two large parses at once (the workspace
/// index reading the file the editor is opening, a reparse after a pause) would double the
/// peak memory, for no gain in speed on two cores.
pub const LARGE_PARSE_BYTES: usize = 256 * 1024;

static LARGE_PARSE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Waits for the turn of a large text's parse (`None`, at once, for a small one). Hold it for
/// as long as the tree lives when the tree is only read and dropped, as the workspace index
/// does: the turn is about trees alive at once, not parses running at once.
pub fn large_parse_turn(text_bytes: usize) -> Option<std::sync::MutexGuard<'static, ()>> {
    (text_bytes >= LARGE_PARSE_BYTES).then(|| LARGE_PARSE.lock().unwrap_or_else(|poison| poison.into_inner()))
}

/// Runs `parse` with this thread's parser, taking its turn first if the text is large.
pub fn with_parser_for<R>(
    language: Language,
    text_bytes: usize,
    parse: impl FnOnce(&mut tree_sitter::Parser) -> R,
) -> R {
    let _turn = large_parse_turn(text_bytes);
    with_parser(language, parse)
}

/// Parses a whole string, for text that is not an open document (workspace files, candidates).
pub fn parse_str(language: Language, text: &str) -> Option<tree_sitter::Tree> {
    with_parser_for(language, text.len(), |parser| parser.parse(text, None))
}

/// Whether `path` names a test file by its ecosystem's conventions (no "Generate tests" there).
pub fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    let in_test_tree = path.components().any(|part| matches!(part.as_os_str().to_str(), Some("__tests__")))
        || path.to_string_lossy().replace('\\', "/").contains("src/test/");
    in_test_tree
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.ends_with("_test.go")
        || (name.ends_with(".py") && (stem.starts_with("test_") || stem.ends_with("_test") || stem == "conftest"))
        || (name.ends_with("Test.java"))
        || ((name.ends_with(".c") || name.ends_with(".cc") || name.ends_with(".cpp"))
            && (stem.starts_with("test_") || stem.ends_with("_test")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grammar_loads_and_parses() {
        for language in Language::ALL {
            let tree = parse_str(language, "").expect("parse");
            assert!(!tree.root_node().kind().is_empty(), "{language:?}");
        }
    }

    #[test]
    fn language_ids_and_paths_agree() {
        for language in Language::ALL {
            assert_eq!(Language::from_language_id(language.name()), Some(language));
        }
        assert_eq!(Language::from_path(Path::new("a/b.tsx")), Some(Language::Tsx));
        assert_eq!(Language::from_path(Path::new("Makefile")), None);
    }
}
