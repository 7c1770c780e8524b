#!/usr/bin/env python3
"""Checks editors/neovim/mason/packages/glm-lsp/package.yaml, the Mason package definition.

`editors/neovim/mason` has a registry's layout (`packages/<name>/package.yaml`), so Mason can
use the folder itself as a `file:` registry until the package is in mason-registry.

It holds the rules of mason-registry's schema (github.com/mason-org/registry-schema) that apply
to a package installed from GitHub release assets: the required fields, the closed lists
(categories, platforms), the purl `source.id`, one asset per platform. And it checks that the
definition agrees with the repository: the crate's name, version, licences and homepage, the
release asset names (`glm-lsp-<rust target>.gz`, `.zip` on Windows), the nvim-lspconfig config
name, and the release workflow's targets when the workflow is there.

Usage: check_package.py [repository root]. Prints each problem and exits 1 if there is one.
"""

import re
import sys
import tomllib
from pathlib import Path

import yaml

# mason-registry.json: `required` and `properties` of the package schema.
REQUIRED = ["name", "description", "homepage", "licenses", "languages", "categories", "source"]
ALLOWED = set(REQUIRED) | {"deprecation", "schemas", "bin", "share", "opt", "neovim", "ci_skip"}
# enums/category.json
CATEGORIES = {"Compiler", "DAP", "Formatter", "LSP", "Linter", "Runtime"}
# The Mason platforms a release asset can be for (enums/platform.json), each with what a Rust
# target triple must say to run there: (architecture, operating system, C library or None).
PLATFORMS = {
    "linux_x64_gnu": ("x86_64", "linux", "gnu"),
    "linux_x64_musl": ("x86_64", "linux", "musl"),
    "linux_arm64_gnu": ("aarch64", "linux", "gnu"),
    "linux_arm64_musl": ("aarch64", "linux", "musl"),
    "linux_arm_gnu": ("arm", "linux", "gnueabihf"),
    "linux_armv7_gnu": ("armv7", "linux", "gnueabihf"),
    "darwin_x64": ("x86_64", "darwin", None),
    "darwin_arm64": ("aarch64", "darwin", None),
    "win_x64": ("x86_64", "windows", "msvc"),
    "win_arm64": ("aarch64", "windows", "msvc"),
}
TRIPLE = re.compile(
    r"^(?P<arch>[a-z0-9_]+)-(?:unknown|apple|pc)-(?P<os>linux|darwin|windows)(?:-(?P<env>[a-z]+))?$"
)


def check(root: Path) -> list[str]:
    problems: list[str] = []
    path = root / "editors/neovim/mason/packages/glm-lsp/package.yaml"
    text = path.read_text()
    if not text.startswith("---\n"):
        problems.append("the document must start with the YAML header `---`")
    package = yaml.safe_load(text)
    if not isinstance(package, dict):
        return problems + ["the definition is not a mapping"]

    for field in REQUIRED:
        if field not in package:
            problems.append(f"missing required field `{field}`")
    for field in package:
        if field not in ALLOWED:
            problems.append(f"`{field}` is not a field of mason-registry's schema")

    workspace = tomllib.loads((root / "Cargo.toml").read_text())["workspace"]["package"]
    crate = tomllib.loads((root / "server/Cargo.toml").read_text())["package"]

    name = package.get("name")
    if name != crate["name"] or name != path.parent.name:
        problems.append(f"name {name!r}: the crate is {crate['name']!r}, the folder {path.parent.name!r}")

    description = package.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append("`description` must be a non-empty string")
    else:
        for line in description.splitlines():
            if len(line) > 120:
                problems.append(f"description line over 120 characters: {line!r}")

    homepage = package.get("homepage")
    if not isinstance(homepage, str) or not re.match(r"^https?://", homepage):
        problems.append(f"`homepage` must be an http(s) URL, not {homepage!r}")
    elif homepage != workspace["homepage"]:
        problems.append(f"homepage {homepage!r} differs from the crate's {workspace['homepage']!r}")

    licenses = package.get("licenses")
    expected_licenses = set(workspace["license"].split(" OR "))
    if not isinstance(licenses, list) or not licenses:
        problems.append("`licenses` must list at least one SPDX licence")
    elif set(licenses) != expected_licenses:
        problems.append(f"licenses {licenses} differ from the crate's {workspace['license']!r}")

    for field in ["languages", "categories"]:
        values = package.get(field)
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            problems.append(f"`{field}` must be a list of strings")
    for category in package.get("categories") or []:
        if category not in CATEGORIES:
            problems.append(f"category {category!r} is not one of {sorted(CATEGORIES)}")

    problems += check_source(package.get("source"), workspace, root)

    if package.get("bin") != {"glm-lsp": "{{source.asset.bin}}"}:
        problems.append(f"bin must link `glm-lsp` to the platform's asset: {package.get('bin')!r}")

    lspconfig = (package.get("neovim") or {}).get("lspconfig")
    if not (root / f"editors/neovim/lsp/{lspconfig}.lua").is_file():
        problems.append(f"neovim.lspconfig {lspconfig!r} has no editors/neovim/lsp/{lspconfig}.lua")
    return problems


def check_source(source, workspace, root: Path) -> list[str]:
    if not isinstance(source, dict):
        return ["`source` must be a mapping"]
    problems = []
    source_id = source.get("id")
    match = re.match(r"^pkg:github/(?P<repo>[^/]+/[^@]+)@(?P<version>.+)$", source_id or "")
    if not match:
        return problems + [f"source.id {source_id!r} is not a pkg:github purl with a version"]
    repository = workspace["repository"].removeprefix("https://github.com/")
    if match["repo"] != repository:
        problems.append(f"source.id names {match['repo']!r}, the crate's repository is {repository!r}")
    if match["version"] != f"v{workspace['version']}":
        problems.append(f"source.id is at {match['version']!r}, the crate at v{workspace['version']}")

    assets = source.get("asset")
    if not isinstance(assets, list) or not assets:
        return problems + ["source.asset must list one asset per platform"]
    triples = []
    for asset in assets:
        target, file, bin_ = (asset or {}).get("target"), (asset or {}).get("file"), (asset or {}).get("bin")
        if target not in PLATFORMS:
            problems.append(f"asset target {target!r} is not a Mason platform this check knows")
            continue
        stem = re.match(r"^glm-lsp-(?P<triple>.+)\.(?P<ext>gz|zip)$", file or "")
        if not stem:
            problems.append(f"{target}: file {file!r} is not `glm-lsp-<rust target>.gz` (or `.zip`)")
            continue
        triple = stem["triple"]
        triples.append(triple)
        parts = TRIPLE.match(triple)
        arch, os_, env = PLATFORMS[target]
        if not parts or (parts["arch"], parts["os"], parts["env"]) != (arch, os_, env):
            problems.append(f"{target}: {triple} is not a Rust target for that platform")
        windows = os_ == "windows"
        if (stem["ext"] == "zip") != windows:
            problems.append(f"{target}: Windows assets are .zip, the others .gz ({file})")
        expected_bin = "glm-lsp.exe" if windows else f"glm-lsp-{triple}"
        if bin_ != expected_bin:
            problems.append(f"{target}: bin {bin_!r}, the asset unpacks to {expected_bin!r}")
    targets = [asset.get("target") for asset in assets if isinstance(asset, dict)]
    if len(set(targets)) != len(targets):
        problems.append(f"a platform has two assets: {targets}")
    for needed in ["linux_x64_gnu", "darwin_arm64", "win_x64"]:
        if needed not in targets:
            problems.append(f"no asset for {needed}")

    # The release workflow (when there) must build every target the package downloads.
    workflows = sorted((root / ".github/workflows").glob("release.y*ml"))
    for workflow in workflows:
        text = workflow.read_text()
        for triple in triples:
            if triple not in text:
                problems.append(f"{workflow.relative_to(root)} does not build {triple}")
    return problems


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[3])
    problems = check(root)
    for problem in problems:
        print(f"editors/neovim/mason/packages/glm-lsp/package.yaml: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
