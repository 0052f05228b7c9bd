"""What the README tells a newcomer exists: every make target, configuration file and lake folder it
names."""

from __future__ import annotations

import re

from jobs.config import REPO_ROOT
from jobs.lake import BRONZE, GOLD, OPS, QUARANTINE, SILVER

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")


def test_every_make_target_the_readme_names_exists():
    named = set(re.findall(r"`make ([a-z-]+)", README)) | set(re.findall(r"^make ([a-z-]+)", README, re.MULTILINE))
    targets = set(re.findall(r"^([a-z-]+):", MAKEFILE, re.MULTILINE))
    assert named, "the README names no make target"
    assert named <= targets, f"named in the README, missing from the Makefile: {sorted(named - targets)}"


def test_every_configuration_file_the_readme_names_exists_or_is_made_by_it():
    named = set(re.findall(r"conf/[\w.-]+\.yaml", README))
    made = set(re.findall(r"cp conf/[\w.-]+\.yaml (conf/[\w.-]+\.yaml)", README))
    missing = {path for path in named - made if not (REPO_ROOT / path).is_file()}
    assert not missing, f"the README names configuration files that do not exist: {sorted(missing)}"


def test_the_lake_folders_the_readme_and_the_embedded_default_name_are_the_ones_jobs_write():
    layers = {f"{layer}/" for layer in (BRONZE, SILVER, GOLD, QUARANTINE, OPS)}
    (readme_line,) = [line for line in README.splitlines() if "`bronze/`" in line]
    assert set(re.findall(r"`(\w+/)`", readme_line)) >= layers
    local_yaml = (REPO_ROOT / "conf" / "local.yaml").read_text(encoding="utf-8")
    (comment,) = [line for line in local_yaml.splitlines() if "bronze/" in line]
    assert set(re.findall(r"(\w+/)", comment)) >= layers and "_ops/" not in comment
