"""Train the Rasa model only when its inputs changed.

The model file is named after a hash of the config, domain and training data, so "is the
model stale?" is a file lookup and never costs a TensorFlow start-up. Test stories
(``data/test_*.yml``) are not training data and do not count.
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
import time
from pathlib import Path
from contextlib import contextmanager
from typing import Iterable, Iterator, List, Optional

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "bot" / "config.yml"
DOMAIN = ROOT / "bot" / "domain.yml"
DATA = ROOT / "data"
MODELS = ROOT / "models"
KEEP_MODELS = 2


def training_inputs() -> List[Path]:
    """Config, domain, then the training data files: never the test stories, which would
    otherwise be learnt as training examples and make their own test meaningless."""
    data = sorted(p for p in DATA.rglob("*.yml") if not p.name.startswith("test_"))
    return [CONFIG, DOMAIN, *data]


def fingerprint(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def model_path() -> Path:
    return MODELS / f"acme-{fingerprint(training_inputs())}.tar.gz"


def ensure_model(rasa: str = str(Path(sys.executable).parent / "rasa"), log: Optional[Path] = None) -> Path:
    """Return the model for the current inputs, training it first if it does not exist.

    With ``log``, Rasa's output (progress bars for every epoch, TensorFlow's notes) goes to that
    file and the terminal gets one line while training runs: what ``make run`` shows.
    """
    target = model_path()
    with _training_turn():
        if target.exists():
            print(f"model is up to date: {target.relative_to(ROOT)}", flush=True)
            return target
        return _train(target, rasa, log)


@contextmanager
def _training_turn() -> Iterator[None]:
    """One trainer at a time (parallel test workers, ``make run`` beside ``make test``): the others
    wait for it and then find the model it wrote, instead of training the same model again."""
    MODELS.mkdir(parents=True, exist_ok=True)
    with (MODELS / ".training.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _train(target: Path, rasa: str, log: Optional[Path]) -> Path:
    command = [rasa, "train", "--config", str(CONFIG), "--domain", str(DOMAIN),
               "--data", *[str(path) for path in training_inputs()[2:]],
               "--out", str(MODELS), "--fixed-model-name", target.name.removesuffix(".tar.gz")]
    started = time.monotonic()
    if log is None:
        print(f"training {target.relative_to(ROOT)} (config, domain or data changed) ...", flush=True)
        subprocess.run(command, cwd=ROOT, check=True)
    else:
        print(f"training the model (config, domain or data changed) ... (log: {_shown(log)})", flush=True)
        _train_into(command, log)
    print(f"trained in {time.monotonic() - started:.0f} s", flush=True)
    _prune(keep=target)
    return target


def _train_into(command: List[str], log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        result = subprocess.run(command, check=False, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        print("training failed; the end of the log:\n" + "\n".join(f"  {line}" for line in tail), file=sys.stderr)
        raise subprocess.CalledProcessError(result.returncode, command)


def _shown(path: Path) -> str:
    """``var/logs/train.log`` when under the project, else the full path."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _prune(keep: Path) -> None:
    models = sorted(MODELS.glob("acme-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [m for m in models if m != keep][KEEP_MODELS - 1:]:
        old.unlink()


if __name__ == "__main__":
    ensure_model()
