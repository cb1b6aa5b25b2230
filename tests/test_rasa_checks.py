"""Rasa's own checks: data validation and the test stories."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bot.training import rasa_bin, rasa_env
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

# Printed by Rasa 3.6 whatever the project holds:
# - on every domain load (rasa/shared/core/slot_mappings.py: validate_slot_mappings);
# - for every retrieval intent listed in domain.yml, because ResponsesSyncImporter.get_domain
#   merges a generated domain holding the retrieval intents into the domain
#   (rasa/shared/importers/importer.py); leaving `faq` out of domain.yml instead makes the
#   story reader reject the rules that use it. Only our one retrieval intent is accepted.
# - for the retrieval action itself: Rasa wants a response per `faq/<key>` (generated from
#   knowledge/topics into data/nlu/faq_responses.yml) and then finds `utter_faq` in no rule,
#   because the rules answer with action_answer_question (personal lines, sources, console
#   edits) instead.
UNCONDITIONAL = (
    "Slot auto-fill has been removed in 3.0",
    "The following duplicated intents have been found across multiple domain files: faq\n",
    "The utterance 'utter_faq' is not used in any story or rule.\n",
)


def _warnings(output: str) -> list[str]:
    found = []
    for line in output.splitlines():
        line = re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
        if "UserWarning" in line or "MissingArgumentWarning" in line:
            if not any(u in line + "\n" for u in UNCONDITIONAL):
                found.append(line)
    return found


def test_rasa_data_validate_has_no_warnings():
    result = subprocess.run([rasa_bin(), "data", "validate", "--fail-on-warnings"], cwd=ROOT,
                            env=rasa_env(), capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert _warnings(output) == []


def test_story_tests_pass_without_prediction_errors(model: Path, tmp_path: Path):
    result = subprocess.run(
        [rasa_bin(), "test", "core", "--model", str(model), "--stories", "tests/stories",
         "--fail-on-prediction-errors", "--out", str(tmp_path / "results")],
        cwd=ROOT, env=rasa_env(), capture_output=True, text=True, timeout=1200)
    output = result.stdout + result.stderr
    failed = tmp_path / "results" / "failed_test_stories.yml"
    detail = failed.read_text(encoding="utf-8")[:4000] if failed.exists() else output[-4000:]
    assert result.returncode == 0, detail
