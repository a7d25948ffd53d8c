"""Scan a folder of music: every file analysed (both cores) or listed with its reason.

:func:`scan_folder` walks the folder recursively, takes finished analyses from the
:class:`~.analysis_cache.AnalysisCache`, analyses the rest in worker processes (one per core,
each with its own network session), commits each result as it arrives, reports progress
(files done / total, time left), and stops cleanly when asked: what finished is kept, and the
next scan resumes from there.
"""
from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..cores import available_cores
from .analysis import FAILED, FileAnalysis, analyse_file, display_path
from .analysis_cache import AnalysisCache, file_signature
from .musicnn import MODEL_VERSION

_log = logging.getLogger(__name__)

SKIPPED = "skipped"


@dataclass(frozen=True)
class ScanProgress:
    """Where a scan is: ``done`` of ``total`` audio files (from the cache or analysed)."""

    done: int
    total: int
    analysed: int
    from_cache: int
    failed: int
    elapsed_s: float
    eta_s: float | None  # None until the first file has been analysed
    current: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def describe(self) -> str:
        """``'12 of 40 files (3 from earlier scans), about 1 min 5 s left'``"""
        text = f"{self.done:,} of {self.total:,} files"
        if self.from_cache:
            text += f" ({self.from_cache:,} from earlier scans)"
        if self.eta_s is not None and self.done < self.total:
            text += f", about {format_seconds(self.eta_s)} left"
        return text


@dataclass
class ScanResult:
    folder: str  # for display
    root: str = ""  # absolute path of the folder (may hold surrogate escapes)
    files: list[FileAnalysis] = field(default_factory=list)  # audio files, analysed or failed
    skipped: list[FileAnalysis] = field(default_factory=list)  # not audio by their name
    stopped: bool = False
    from_cache: int = 0
    seconds: float = 0.0

    @property
    def analysed(self) -> list[FileAnalysis]:
        return [f for f in self.files if f.ok]

    @property
    def failed(self) -> list[FileAnalysis]:
        return [f for f in self.files if not f.ok]

    def records(self) -> list[dict]:
        """One plain row per file (JSON / a table): relative path, track ID, status, reason."""
        rows = []
        for f in sorted(self.files + self.skipped, key=lambda f: f.path):
            rows.append({
                "path": display_path(f.path),
                "track_id": f.track_id if f.ok else None,
                "status": f.status,
                "reason": f.reason or f.excerpts,
            })
        return rows


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s} s" if s else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def list_files(folder: str | os.PathLike) -> tuple[list[str], list[FileAnalysis]]:
    """Relative paths of the audio files under ``folder`` (sorted), and the other entries
    (files that are not audio by name, folders that cannot be read) with their reason."""
    from .decode import is_audio_name

    root = os.fspath(folder)
    audio: list[str] = []
    other: list[FileAnalysis] = []

    def unreadable(error: OSError) -> None:
        rel = os.path.relpath(error.filename, root) if error.filename else "."
        other.append(FileAnalysis(path=_posix(rel), status=SKIPPED, reason=f"folder cannot be read ({error.strerror or 'error'})"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        dirnames.sort()
        for name in sorted(filenames):
            rel = _posix(os.path.relpath(os.path.join(dirpath, name), root))
            if name.startswith("."):
                continue  # .DS_Store, ._resource forks: hidden files are not music
            if is_audio_name(name):
                audio.append(rel)
            else:
                other.append(FileAnalysis(path=rel, status=SKIPPED, reason="not an audio file (by its name)"))
    return audio, other


def _posix(relative: str) -> str:
    return relative.replace(os.sep, "/")


_worker_model = None


def _init_worker() -> None:
    global _worker_model
    import signal

    from .musicnn import SoundModel

    # Ctrl-C reaches every process of the terminal's group: the parent decides when to stop,
    # so a worker finishes its file instead of dying with a traceback (and a "failed" entry).
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    _worker_model = SoundModel(threads=1)


def _analyse_in_worker(path: str, relative: str) -> FileAnalysis:
    return analyse_file(path, relative, _worker_model)


def scan_folder(
    folder: str | os.PathLike,
    *,
    cache: AnalysisCache | None = None,
    workers: int | None = None,
    progress: Callable[[ScanProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ScanResult:
    """Analyse every audio file under ``folder``; see the module docstring.

    ``workers``: processes analysing at once (default: the cores this process may use, at
    most 4; 0 analyses in this process, for tests and small folders). ``should_stop`` is asked
    between files; when it says yes, the files in flight finish and are kept.
    """
    started = time.perf_counter()
    root = os.fspath(folder)
    if not os.path.isdir(root):
        from ..errors import AudioError

        reason = "not found" if not os.path.exists(root) else "not a folder"
        raise AudioError(f"{display_path(root)}: {reason}. Give the path of a folder that holds music files.", reason)
    cache = cache if cache is not None else AnalysisCache()
    relative, skipped = list_files(root)
    result = ScanResult(folder=display_path(root), root=os.path.abspath(root), skipped=skipped)
    todo: list[tuple[str, str, tuple]] = []
    done_by_path: dict[str, FileAnalysis] = {}
    for rel in relative:
        full = os.path.join(root, rel.replace("/", os.sep))
        try:
            signature = file_signature(full)
        except OSError as exc:
            done_by_path[rel] = FileAnalysis(path=rel, status=FAILED, reason=f"cannot be read ({exc.strerror or 'error'})")
            continue
        cached = cache.get(signature, MODEL_VERSION)
        if cached is not None:
            cached.path = rel
            done_by_path[rel] = cached
        else:
            todo.append((full, rel, signature))
    result.from_cache = len(done_by_path)
    total = len(relative)
    sizes = {rel: max(sig[1], 1) for _, rel, sig in todo}
    bytes_left = sum(sizes.values())
    analysed = 0
    analysing_started = time.perf_counter()
    bytes_done = 0

    def report(current: str = "") -> None:
        if progress is None:
            return
        elapsed = time.perf_counter() - analysing_started
        eta = elapsed / bytes_done * (bytes_left - bytes_done) if bytes_done else None
        failed = sum(1 for f in done_by_path.values() if not f.ok)
        progress(ScanProgress(len(done_by_path), total, analysed, result.from_cache, failed,
                              time.perf_counter() - started, eta, display_path(current)))

    def finish(rel: str, signature: tuple, analysis: FileAnalysis) -> None:
        nonlocal analysed, bytes_done
        analysis.path = rel
        try:
            cache.put(signature, MODEL_VERSION, analysis)
        except Exception:  # a full disk must not lose the scan in memory
            _log.exception("could not keep the analysis of %s", display_path(rel))
        done_by_path[rel] = analysis
        analysed += 1
        bytes_done += sizes[rel]
        report(rel)

    report()
    stop = should_stop or (lambda: False)
    n_workers = _default_workers() if workers is None else max(0, int(workers))
    if todo and (n_workers == 0 or len(todo) == 1):
        from .musicnn import SoundModel

        model = SoundModel(threads=max(1, n_workers or 1))
        for full, rel, signature in todo:
            if stop():
                result.stopped = True
                break
            finish(rel, signature, analyse_file(full, rel, model))
    elif todo:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        with cf.ProcessPoolExecutor(n_workers, mp_context=context, initializer=_init_worker) as pool:
            pending: dict[cf.Future, tuple[str, tuple]] = {}
            queue = list(todo)
            while queue or pending:
                while queue and len(pending) < 2 * n_workers and not result.stopped:
                    if stop():
                        result.stopped = True
                        break
                    full, rel, signature = queue.pop(0)
                    pending[pool.submit(_analyse_in_worker, full, rel)] = (rel, signature)
                if result.stopped:
                    queue.clear()
                if not pending:
                    break
                finished, _ = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    rel, signature = pending.pop(future)
                    try:
                        analysis = future.result()
                    except Exception as exc:  # a worker that died (out of memory, killed)
                        analysis = FileAnalysis(path=rel, status=FAILED, reason=f"could not be analysed ({type(exc).__name__})")
                    finish(rel, signature, analysis)
                if not finished and stop():
                    result.stopped = True
    result.files = [done_by_path[rel] for rel in relative if rel in done_by_path]
    result.seconds = time.perf_counter() - started
    return result


def _default_workers() -> int:
    return min(4, available_cores())


def folder_name(folder: str | os.PathLike) -> str:
    return display_path(Path(os.fspath(folder)).name or os.fspath(folder))
