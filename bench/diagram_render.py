"""How long drawing a process diagram takes: the first time (parse + draw) and with the cache.

Every BPMN file under bpmn/ is drawn once from cold (its cache entry cleared), then N times
with a case's marks on a warm cache (what a case page or the auditor's step slider costs).
Prints milliseconds per file: cold, warm median, warm p95, and the SVG size.

    python bench/diagram_render.py [-n 200]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.diagram import render as diagram  # noqa: E402
from engine.definitions.specs import SourceFile  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    print(f"{'file':32} {'cold ms':>8} {'warm ms':>8} {'p95 ms':>8} {'svg KiB':>8}")
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        sources = [SourceFile(path.name, path.read_bytes())]
        diagram._cache.clear()
        start = time.perf_counter()
        svg = diagram.render_svg(sources)
        cold = (time.perf_counter() - start) * 1000
        layout = diagram.layout_of(sources)
        ids = [shape.id for shape in layout.shapes]
        completed, active = set(ids[: len(ids) // 2]), set(ids[len(ids) // 2: len(ids) // 2 + 2])
        times = []
        for _ in range(args.n):
            start = time.perf_counter()
            diagram.render_svg(sources, completed=completed, active=active, overdue=active)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"{path.name:32} {cold:8.2f} {statistics.median(times):8.2f} "
              f"{times[int(len(times) * 0.95) - 1]:8.2f} {len(svg.encode()) / 1024:8.1f}")


if __name__ == "__main__":
    main()
