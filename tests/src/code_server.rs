//! VS Code in code-server, driven from headless Chromium by a script under `tests/vscode`:
//! starts code-server with the GLM extension installed from the linux-x64 `.vsix` (the server
//! inside) built in `editors/vscode`, a fresh profile and the given machine settings, opens a project and runs
//! the script, which reports one JSON line per step on stdout. `scripts/test` installs
//! code-server, playwright-core and Chromium and builds the `.vsix`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use crate::lsp_client::server_binary;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository root").to_path_buf()
}

/// Where scripts/test installs code-server and playwright-core.
pub fn tools_dir() -> PathBuf {
    std::env::var_os("GLM_VSCODE_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/vscode-test/tools"))
}

/// Screenshots are kept there.
pub fn artifacts_dir() -> PathBuf {
    let dir = repo_root().join("target/vscode-test/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn newest_mtime(path: &Path) -> SystemTime {
    let metadata = std::fs::metadata(path).unwrap();
    if !metadata.is_dir() {
        return metadata.modified().unwrap();
    }
    std::fs::read_dir(path)
        .unwrap()
        .map(|entry| newest_mtime(&entry.unwrap().path()))
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The linux-x64 extension with the server inside, refused when its sources or the server
/// binary changed after it was built.
pub fn built_vsix() -> PathBuf {
    let extension = repo_root().join("editors/vscode");
    let vsix = extension.join("glm-lsp-linux-x64.vsix");
    let rebuild = "build it with `npm ci && npm run package:target -- linux-x64 ../../target/debug/glm-lsp` in \
                   editors/vscode (./scripts/test does)";
    assert!(vsix.exists(), "{} is missing: {rebuild}", vsix.display());
    let built = newest_mtime(&vsix);
    for source in ["src", "package.json", "README.md"] {
        assert!(
            newest_mtime(&extension.join(source)) <= built,
            "{} is older than editors/vscode/{source}: {rebuild}",
            vsix.display()
        );
    }
    assert!(
        newest_mtime(&server_binary()) <= built,
        "{} is older than {}: {rebuild}",
        vsix.display(),
        server_binary().display()
    );
    vsix
}

pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A code-server session on a free port with the extension installed; killed on drop.
pub struct CodeServer {
    pub root: PathBuf,
    pub port: u16,
    /// The profile; the extension host's logs are under its `logs`.
    pub user_data: PathBuf,
    log: PathBuf,
    _process: tokio::process::Child,
}

impl CodeServer {
    /// Starts code-server for `project` (under `root`, which it owns) with `machine_settings`
    /// (the remote machine's: `serverPath`, `baseUrl`) and `env` for the extension host and
    /// so the server. Extensions are installed in `root/extensions`; no API key or GLM endpoint
    /// comes from this process's environment, and no config file of the machine's user is read.
    pub async fn start(root: &Path, project: &Path, machine_settings: Value, env: &[(&str, String)]) -> CodeServer {
        let code_server = tools_dir().join("node_modules/.bin/code-server");
        assert!(
            code_server.exists() && tools_dir().join("node_modules/playwright-core").exists(),
            "code-server and playwright-core are needed in {}: run ./scripts/test, which installs them",
            tools_dir().display()
        );
        let vsix = built_vsix();
        let user_data = root.join("user-data");
        write(&user_data.join("Machine/settings.json"), &machine_settings.to_string());
        let user_settings = json!({ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off" });
        write(&user_data.join("User/settings.json"), &user_settings.to_string());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = root.join("code-server.yaml");
        write(&config, &format!("bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n"));
        let command = || {
            let mut command = tokio::process::Command::new(&code_server);
            command
                .arg("--config")
                .arg(&config)
                .arg("--user-data-dir")
                .arg(&user_data)
                .arg("--extensions-dir")
                .arg(root.join("extensions"))
                .env_remove("GLM_API_KEY")
                .env_remove("ZHIPUAI_API_KEY")
                .env_remove("ZAI_API_KEY")
                .env_remove("GLM_BASE_URL")
                .env("XDG_CONFIG_HOME", root.join("config"))
                .kill_on_drop(true);
            for (name, value) in env {
                command.env(name, value);
            }
            command
        };
        let install = command().arg("--install-extension").arg(&vsix).output().await.unwrap();
        let install_log =
            String::from_utf8_lossy(&install.stdout).to_string() + &String::from_utf8_lossy(&install.stderr);
        assert!(
            install.status.success() && install_log.contains("successfully installed"),
            "installing the .vsix:\n{install_log}"
        );
        let log = root.join("code-server.log");
        let process = command()
            .args(["--disable-telemetry", "--disable-update-check", "--disable-workspace-trust"])
            .arg("--disable-getting-started-override")
            .arg(project)
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(tokio::time::Instant::now() < deadline, "code-server did not listen on {port} within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        CodeServer { root: root.to_path_buf(), port, user_data, log, _process: process }
    }

    /// Runs `tests/vscode/<script>` on `folder` with `env`; returns its reported steps, or
    /// panics with the script's output, code-server's log and the extension host's logs.
    pub async fn drive(&self, script: &str, folder: &Path, env: &[(&str, String)]) -> Vec<Value> {
        let chromium = std::env::var("GLM_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            Path::new(&chromium).exists(),
            "Chromium is needed at {chromium}: `apt-get install chromium` (./scripts/test does)"
        );
        let _ = std::fs::remove_file(artifacts_dir().join("failure.png"));
        let mut command = tokio::process::Command::new("node");
        command
            .arg(repo_root().join("tests/vscode").join(script))
            .env("GLM_VSCODE_URL", format!("http://127.0.0.1:{}/?folder={}", self.port, folder.display()))
            .env("GLM_TEST_ARTIFACTS", artifacts_dir())
            .env("GLM_PLAYWRIGHT_CORE", tools_dir().join("node_modules/playwright-core"))
            .env("GLM_CHROMIUM", &chromium)
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let output = tokio::time::timeout(Duration::from_secs(240), command.output())
            .await
            .expect("the browser script finished within 240 s")
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let events: Vec<Value> = stdout.lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
        assert!(
            output.status.success() && events.iter().any(|event| event["event"] == "done"),
            "the VS Code session failed\nscript stdout:\n{stdout}\nscript stderr:\n{}{}",
            String::from_utf8_lossy(&output.stderr),
            self.diagnostics(),
        );
        events
    }

    /// code-server's log, the extension host's logs and where the failure's screenshot is, for
    /// a failure message.
    pub fn diagnostics(&self) -> String {
        format!(
            "\ncode-server:\n{}\n{}\nscreenshot of the failure: {}",
            std::fs::read_to_string(&self.log).unwrap_or_default(),
            logs_under(&self.user_data.join("logs")),
            artifacts_dir().join("failure.png").display()
        )
    }
}

/// The extension host's logs (the GLM output channel among them), for a failure message.
fn logs_under(dir: &Path) -> String {
    let mut text = String::new();
    for path in files_under(dir) {
        if path.to_string_lossy().contains("GLM") || path.ends_with("exthost.log") {
            let log = std::fs::read_to_string(&path).unwrap_or_default();
            let tail = &log[log.len().saturating_sub(6000)..];
            text.push_str(&format!("--- {}\n{tail}\n", path.display()));
        }
    }
    text
}

/// The files in `dir` and its subfolders, none when it does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
