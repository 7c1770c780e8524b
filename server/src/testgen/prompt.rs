//! The chats that ask for tests: stable instructions first (cache-friendly), then the
//! workspace definitions the code uses, the code under test, the existing tests, the
//! framework and the exact imports; a repair round adds the runner's output.

use super::placement::Destination;
use super::Job;
use crate::model::{ChatMessage, Role};

const SYSTEM_PROMPT: &str = "You are an expert software engineer who writes unit tests. \
You receive code to test and the test file (or test module) it belongs in. Reply with the complete new \
version of that test file or module, in exactly one fenced code block, and nothing else. Keep every line \
that is already there exactly as it is: never change, reorder or delete existing tests, fixtures, helpers \
or imports; add new imports only where the file keeps its imports. Write focused, deterministic tests \
that need no network, no clock and no files outside a temporary folder: the usual cases, the edge cases \
(empty input, zero, boundaries, errors) and one test per behaviour, each with a descriptive name that does \
not clash with an existing one. Assert what the code actually does; do not test behaviour the code does \
not have.";

/// Where the answer goes, as the prompt describes it.
fn destination_words(job: &Job) -> String {
    match (&job.plan.destination, &job.existing_tests) {
        (Destination::InlineModule { existing: Some(_) }, _) => format!(
            "the existing `#[cfg(test)] mod tests` module of {} (shown below); reply with the whole module, \
             from `#[cfg(test)]` to its closing brace",
            job.display_test
        ),
        (Destination::InlineModule { existing: None }, _) => format!(
            "a new `#[cfg(test)]\nmod tests {{ use super::*; ... }}` module appended to {}; reply with the whole module, \
             from `#[cfg(test)]` to its closing brace",
            job.display_test
        ),
        (Destination::File, Some(_)) => format!("the existing test file {} (shown below); reply with the whole file", job.display_test),
        (Destination::File, None) => format!("a new test file {}; reply with the whole file", job.display_test),
    }
}

/// The first request for tests.
pub fn initial(job: &Job) -> Vec<ChatMessage> {
    vec![ChatMessage::system(SYSTEM_PROMPT), ChatMessage::user(request_text(job))]
}

fn request_text(job: &Job) -> String {
    let language = job.language.name();
    let plan = &job.plan;
    let mut user = String::new();
    if !job.context.is_empty() {
        user.push_str("Definitions from the workspace that the code uses (for reference, do not repeat them):\n");
        user.push_str(&job.context);
        user.push('\n');
    }
    user.push_str(&format!(
        "Code under test: {} `{}` in {}:\n```{language}\n{}\n```\n\n",
        job.target_kind_words(),
        job.target.display_name(),
        job.display_source,
        job.source[job.target.range.clone()].trim_end(),
    ));
    if let Some(existing) = job.existing_tests.as_deref() {
        user.push_str(&format!(
            "Existing tests in {} (keep every line of it exactly as it is; continue its style, fixtures and helpers):\n```{language}\n{}\n```\n\n",
            job.display_test,
            existing.trim_end()
        ));
    }
    if let Some(precedent) = &plan.precedent {
        user.push_str(&format!(
            "Precedent: the tests go where this project already tests this code, {}; write them the way that file does.\n",
            precedent.sentence
        ));
    }
    user.push_str(&format!("Test framework: {}. {}\n", plan.framework.label(), plan.framework.guidance()));
    if !plan.subject_imports.is_empty() {
        user.push_str(
            "Import the code under test with exactly these lines (already present lines stay as they are):\n",
        );
        for line in &plan.subject_imports {
            user.push_str(&format!("    {line}\n"));
        }
    }
    if job.existing_tests.is_none() && !plan.framework_imports.is_empty() {
        user.push_str("The framework's own imports, when the tests use them:\n");
        for line in &plan.framework_imports {
            user.push_str(&format!("    {line}\n"));
        }
    }
    for note in &plan.notes {
        user.push_str(&format!("Note: {note}\n"));
    }
    user.push_str(&format!(
        "\nTask: write unit tests for {} `{}`. The tests go in {}.\nReply with it in one ```{language} fenced block.",
        job.target_kind_words(),
        job.target.display_name(),
        destination_words(job),
    ));
    user
}

/// A repair round: the same request, the candidate as the model wrote it, and what the
/// runner said about it.
pub fn repair(job: &Job, candidate: &str, failures: &str, output: &str) -> Vec<ChatMessage> {
    let language = job.language.name();
    let mut messages = initial(job);
    messages
        .push(ChatMessage { role: Role::Assistant, content: format!("```{language}\n{}\n```", candidate.trim_end()) });
    messages.push(ChatMessage::user(format!(
        "I ran these tests. {failures}\nThe test runner's output:\n```text\n{}\n```\n\n\
         Fix the tests so that they pass against the code as it is (the code under test is correct; do not \
         change what it does). If a test expects behaviour the code does not have, correct or remove that test. \
         Keep the existing tests exactly as they were. Reply with the complete test {} again in one ```{language} fenced block.",
        output.trim_end(),
        match job.plan.destination {
            Destination::InlineModule { .. } => "module",
            Destination::File => "file",
        }
    )));
    messages
}
