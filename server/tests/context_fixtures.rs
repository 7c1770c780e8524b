//! Data-driven checks of the context engine on the multi-file fixture projects in
//! `tests/fixtures/context/<language>/`: `main.*` uses a type and a function defined in other
//! files and marks the cursor with `$0`; an `unrelated` file defines things it never uses.

use std::path::{Path, PathBuf};

use glm_lsp::context::{gather, path_to_uri, Context, ContextInput, Exclude, SectionKind, WorkspaceIndex};
use glm_lsp::document::Document;
use glm_lsp::language::Language;
use glm_lsp::prompt;

struct Fixture {
    language: &'static str,
    main: &'static str,
    /// Files defining the type and the function, and the text their signatures must show.
    type_file: &'static str,
    type_signature: &'static str,
    function_file: &'static str,
    function_signature: &'static str,
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        language: "rust",
        main: "src/main.rs",
        type_file: "src/geometry.rs",
        type_signature: "pub struct Point {",
        function_file: "src/math.rs",
        function_signature: "pub fn distance(a: &Point, b: &Point) -> f64",
    },
    Fixture {
        language: "python",
        main: "main.py",
        type_file: "geometry.py",
        type_signature: "class Point:",
        function_file: "mathutil.py",
        function_signature: "def distance(a: Point, b: Point) -> float:",
    },
    Fixture {
        language: "javascript",
        main: "main.js",
        type_file: "geometry.js",
        type_signature: "class Point {",
        function_file: "mathutil.js",
        function_signature: "function distance(a, b)",
    },
    Fixture {
        language: "typescript",
        main: "main.ts",
        type_file: "geometry.ts",
        type_signature: "interface Point {",
        function_file: "mathutil.ts",
        function_signature: "function distance(a: Point, b: Point): number",
    },
    Fixture {
        language: "tsx",
        main: "main.tsx",
        type_file: "geometry.tsx",
        type_signature: "interface Point {",
        function_file: "mathutil.tsx",
        function_signature: "function distance(a: Point, b: Point): number",
    },
    Fixture {
        language: "go",
        main: "main.go",
        type_file: "geometry.go",
        type_signature: "type Point struct {",
        function_file: "mathutil.go",
        function_signature: "func Distance(a Point, b Point) float64",
    },
    Fixture {
        language: "c",
        main: "main.c",
        type_file: "geometry.h",
        type_signature: "typedef struct Point {",
        function_file: "mathutil.h",
        function_signature: "double distance(const Point *a, const Point *b);",
    },
    Fixture {
        language: "cpp",
        main: "main.cpp",
        type_file: "geometry.h",
        type_signature: "typedef struct Point {",
        function_file: "mathutil.h",
        function_signature: "double distance(const Point *a, const Point *b);",
    },
    Fixture {
        language: "java",
        main: "src/shapes/Main.java",
        type_file: "src/shapes/Point.java",
        type_signature: "public final class Point {",
        function_file: "src/shapes/MathUtil.java",
        function_signature: "public static double distance(Point a, Point b)",
    },
];

/// A fixture copied to a temporary folder with its `$0` marker removed.
struct Project {
    root: PathBuf,
    cursor: usize,
}

impl Project {
    fn copy(language: &str, main: &str) -> Project {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/context").join(language);
        let root = std::env::temp_dir().join(format!("glm-lsp-context-{language}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut cursor = None;
        copy_dir(&source, &root, &mut |relative, text| {
            if relative == Path::new(main) {
                cursor = text.find("$0");
                text.replacen("$0", "", 1)
            } else {
                text
            }
        });
        Project { root, cursor: cursor.expect("main file has a $0 cursor") }
    }

    fn document(&self, relative: &str) -> Document {
        let path = self.root.join(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        let language = Language::from_path(&path).unwrap();
        Document::new(path_to_uri(&path), language.name().to_string(), 1, &text)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn copy_dir(from: &Path, to: &Path, transform: &mut dyn FnMut(&Path, String) -> String) {
    fn walk(base: &Path, from: &Path, to: &Path, transform: &mut dyn FnMut(&Path, String) -> String) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                walk(base, &entry.path(), &target, transform);
            } else {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                let relative = entry.path().strip_prefix(base).unwrap().to_path_buf();
                std::fs::write(&target, transform(&relative, text)).unwrap();
            }
        }
    }
    walk(from, from, to, transform);
}

fn context_for(
    project: &Project,
    fixture: &Fixture,
    open: &[&str],
    budget_tokens: usize,
    index_workspace: bool,
) -> Context {
    let exclude = Exclude::default();
    let workspace = WorkspaceIndex::new(&exclude);
    if index_workspace {
        workspace.build(std::slice::from_ref(&project.root));
    }
    let document = project.document(fixture.main);
    let mut open_documents = vec![document.clone()];
    open_documents.extend(open.iter().map(|file| project.document(file)));
    let context = gather(&ContextInput {
        document: &document,
        offset: project.cursor,
        open_documents: &open_documents,
        workspace: &workspace,
        root: Some(&project.root),
        budget_tokens,
        exclude: &exclude,
    });
    assert!(
        context.estimated_tokens <= budget_tokens,
        "{}: {} > {budget_tokens}: {context:#?}",
        fixture.language,
        context.estimated_tokens
    );
    assert_eq!(context.estimated_tokens, context.estimate());
    context
}

fn section_with<'a>(context: &'a Context, file: &str, text: &str) -> Option<&'a glm_lsp::context::Section> {
    context.sections.iter().find(|section| section.file == file && section.text.contains(text))
}

fn check(fixture: &Fixture) {
    let project = Project::copy(fixture.language, fixture.main);
    let language = fixture.language;

    // Both definitions come from the open files when they are open ...
    let open = context_for(
        &project,
        fixture,
        &[fixture.type_file, fixture.function_file, "unrelated_placeholder"][..2],
        6000,
        false,
    );
    for (file, signature) in
        [(fixture.type_file, fixture.type_signature), (fixture.function_file, fixture.function_signature)]
    {
        let section = section_with(&open, file, signature)
            .unwrap_or_else(|| panic!("{language}: no open-file section with {signature:?} in {:#?}", open.sections));
        assert_eq!(section.kind, SectionKind::OpenFile, "{language}");
    }
    assert!(open.prefix.ends_with('\n') || !open.prefix.is_empty(), "{language}: empty prefix");
    assert!(!open.prefix.contains("$0") && !open.suffix.contains("$0"));

    // ... and from the workspace index when they are not.
    let indexed = context_for(&project, fixture, &[], 6000, true);
    for (file, signature) in
        [(fixture.type_file, fixture.type_signature), (fixture.function_file, fixture.function_signature)]
    {
        let section = section_with(&indexed, file, signature).unwrap_or_else(|| {
            panic!("{language}: no workspace section with {signature:?} in {:#?}", indexed.sections)
        });
        assert_eq!(section.kind, SectionKind::Workspace, "{language}");
    }

    // Nothing unrelated, whatever the budget, and the budget always holds.
    for budget in [0, 1, 20, 60, 120, 250, 500, 1000, 6000] {
        let context = context_for(&project, fixture, &["unrelated.placeholder"][..0], budget, true);
        for section in &context.sections {
            assert!(!section.text.to_lowercase().contains("unrelated"), "{language} at {budget}: {section:#?}");
        }
    }

    // Nearby positions give prompts that share most of their text (the provider's cache).
    let document = project.document(fixture.main);
    let exclude = Exclude::default();
    let workspace = WorkspaceIndex::new(&exclude);
    workspace.build(std::slice::from_ref(&project.root));
    let messages_at = |offset: usize| {
        let context = gather(&ContextInput {
            document: &document,
            offset,
            open_documents: std::slice::from_ref(&document),
            workspace: &workspace,
            root: Some(&project.root),
            budget_tokens: 6000,
            exclude: &exclude,
        });
        prompt::completion_messages(&context, language, fixture.main)
    };
    let text = document.text();
    let previous_line_end = text[..project.cursor].trim_end().len();
    let (first, second) = (messages_at(previous_line_end), messages_at(project.cursor));
    let total =
        |messages: &[prompt::ChatMessage]| messages.iter().map(|m| m.role.len() + m.content.len()).sum::<usize>();
    let shared = prompt::shared_prefix_len(&first, &second);
    let longest = total(&first).max(total(&second));
    assert!(
        shared * 10 >= longest * 8,
        "{language}: shared {shared} of {longest}\n{}\n----\n{}",
        first[1].content,
        second[1].content
    );
}

#[test]
fn every_language_fixture() {
    for fixture in FIXTURES {
        check(fixture);
    }
}
