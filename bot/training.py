"""Training with a cache: a model is trained only when its inputs changed.

The model file is named after a hash of everything that shapes it (pipeline config,
domain, training data, the knowledge the NLP resources are built from, and the Rasa
version), so ``make run`` and ``make test`` reuse a model until one of these changes.
A file lock makes concurrent callers wait for one training instead of training twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, Optional

from bot import nlp
from bot.config import ROOT

MODELS = ROOT / "models"
LOCK = ROOT / "var" / "train.lock"


def _files(rel: str) -> list[Path]:
    path = ROOT / rel
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return [path] if path.exists() else []


def model_hash(config: str = "config.yml") -> str:
    import rasa

    digest = hashlib.sha256(f"rasa={rasa.__version__}".encode())
    for rel in (config, "domain.yml", "data", "corpora", "knowledge/topics"):
        for file in _files(rel):
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    digest.update(nlp.inputs_hash().encode())
    return digest.hexdigest()[:16]


def model_path(config: str = "config.yml") -> Path:
    stem = "coach" if config == "config.yml" else Path(config).stem.replace("config", "coach")
    return MODELS / f"{stem}-{model_hash(config)}.tar.gz"


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def rasa_env() -> dict:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    return env


def rasa_bin() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def ensure_model(config: str = "config.yml", force: bool = False, quiet: bool = False) -> Path:
    """Returns the trained model for ``config``, training it first when needed."""
    with _lock():
        nlp.ensure_built()
        path = model_path(config)
        if path.exists() and not force:
            return path
        MODELS.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        cmd = [rasa_bin(), "train", "--config", config, "--domain", "domain.yml", "--data", "data",
               "--out", str(MODELS), "--fixed-model-name", path.name[:-len(".tar.gz")]]
        out = subprocess.DEVNULL if quiet else None
        result = subprocess.run(cmd, cwd=ROOT, env=rasa_env(), stdout=out, stderr=out)
        if result.returncode != 0 or not path.exists():
            raise RuntimeError(f"rasa train failed (exit code {result.returncode}); run `coach train` to see why")
        (ROOT / "var").mkdir(exist_ok=True)
        (ROOT / "var" / "last_training_seconds").write_text(f"{time.perf_counter() - started:.1f}\n")
        _prune(keep=path)
        return path


def _prune(keep: Path, newest: int = 2) -> None:
    """Models are 100+ MB: keep the one just trained and the one before it."""
    models = sorted(MODELS.glob("coach-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [m for m in models if m != keep][newest - 1:]:
        old.unlink(missing_ok=True)


def latest_model(config: str = "config.yml") -> Optional[Path]:
    path = model_path(config)
    return path if path.exists() else None
