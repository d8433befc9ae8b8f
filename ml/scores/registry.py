"""The model registry: versioned score models on disk under the c360 home.

    <home>/models/scores/
        scores-0001/model.joblib   the fitted models (joblib pickle: load only your own)
        scores-0001/meta.json      version, when, the data's as-of day, horizon, metrics,
                                   training-data fingerprint, refused models and why
        runs.jsonl                 one line per scoring run: version, counts, drift, the
                                   score distribution (what the next run's drift compares)

A version is written to a temporary folder and renamed into place, so a reader never sees
half a version; versions are numbered, never overwritten, and the highest is the latest.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
import orjson

PREFIX = "scores-"
_VERSION = re.compile(rf"^{PREFIX}(\d{{4,}})$")


class NoModel(LookupError):
    """No trained version (or not the one asked for)."""


class ModelRegistry:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def under_home(cls, home: Path) -> ModelRegistry:
        return cls(Path(home).expanduser() / "models" / "scores")

    def versions(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = [(int(m.group(1)), p.name) for p in self.root.iterdir()
                 if (m := _VERSION.match(p.name)) and (p / "meta.json").is_file()]  # fmt: skip
        return [name for _, name in sorted(found)]

    def latest(self) -> str | None:
        versions = self.versions()
        return versions[-1] if versions else None

    def save(self, bundle: Any, meta: dict[str, Any]) -> str:
        """Store a new version; returns its name (also set as meta["version"])."""
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(v[len(PREFIX) :]) for v in self.versions()]
        for attempt in range(max(numbers, default=0) + 1, max(numbers, default=0) + 100):
            version = f"{PREFIX}{attempt:04d}"
            target = self.root / version
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
            try:
                meta = {**meta, "version": version}
                joblib.dump(bundle, staging / "model.joblib")
                (staging / "meta.json").write_bytes(
                    orjson.dumps(meta, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
                )
                os.rename(staging, target)  # fails if another trainer took this number
                return version
            except OSError:
                if target.exists():
                    continue
                raise
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"no free version number under {self.root}")

    def meta(self, version: str | None = None) -> dict[str, Any]:
        path = self._folder(version) / "meta.json"
        data = orjson.loads(path.read_bytes())
        if not isinstance(data, dict):
            raise ValueError(f"{path}: not a JSON object")
        return data

    def load(self, version: str | None = None) -> Any:
        return joblib.load(self._folder(version) / "model.joblib")

    def _folder(self, version: str | None) -> Path:
        name = version or self.latest()
        if name is None:
            raise NoModel(
                f"no trained score model under {self.root}: run `c360 scores train` first"
            )
        folder = self.root / name
        if not (folder / "meta.json").is_file():
            known = ", ".join(self.versions()) or "none"
            raise NoModel(f"no score model {name!r} under {self.root} (versions: {known})")
        return folder

    # -- scoring runs -------------------------------------------------------------------
    def record_run(self, run: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "runs.jsonl").open("ab") as f:
            f.write(orjson.dumps(run, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")

    def runs(self) -> list[dict[str, Any]]:
        path = self.root / "runs.jsonl"
        if not path.is_file():
            return []
        return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
