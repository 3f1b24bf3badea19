"""axe-core on every page a browser test visits: 0 serious and 0 critical findings.

Why this shape: a test clicks on as soon as a page has loaded, so a check run only when the test asks
would see a few pages and miss the rest. Instead axe-core (``TALENTFLOW_AXE_JS``, installed by
``make test`` through ``.ci/axe``) is injected into every document of a browser context with
``add_init_script`` — which the pages' Content-Security-Policy does not apply to — and runs when the
page has loaded; it reports through a binding the context exposes. Until its run has finished, the
injected script holds back a link followed or a form posted from that page (it goes on as soon as
the run is done), so every page the test moves through is checked as the person saw it, a form's
re-shown errors included. A page left by other means before its run finished (``page.goto`` from
the test) is checked again by GET when the results are read (``AxeWatch.check``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: the impacts that fail a test (axe-core's "minor" and "moderate" are left to review)
FAILING = ("serious", "critical")

RUNNER_JS = """
(() => {
  if (window.top !== window || !/^https?:$/.test(location.protocol)) return;
  const doc = Math.random().toString(36).slice(2) + performance.timeOrigin.toString(36);
  let release;
  window.__talentflowAxeDoc = doc;
  window.__talentflowAxeFinished = false;
  window.__talentflowAxeDone = new Promise(resolve => { release = resolve; });
  const report = (kind, payload) => window.__talentflowAxe(kind, doc, location.href, payload);
  const findings = async () => {
    try {
      const result = await axe.run(document, {resultTypes: ["violations"]});
      return result.violations.filter(v => FAILING.includes(v.impact)).map(v => ({
        rule: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 160)}))}));
    } catch (error) {
      return [{rule: "axe-core-error", impact: "critical", help: String(error), nodes: []}];
    }
  };
  report("start", null);  // the binding exists before this script runs: a page left before loading is known
  const run = async () => {
    await report("done", await findings());
    window.__talentflowAxeFinished = true;
    release();
  };
  window.__talentflowAxeRerun = findings;
  if (document.readyState === "complete") setTimeout(run, 0);
  else window.addEventListener("load", () => setTimeout(run, 0), {once: true});

  // Hold back leaving this page until its check is done (a test clicks on at once).
  const later = go => { window.__talentflowAxeDone.then(go); };
  window.addEventListener("click", event => {
    if (window.__talentflowAxeFinished || event.defaultPrevented || event.button !== 0
        || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || (link.target && link.target !== "_self") || link.hasAttribute("download")) return;
    const url = new URL(link.href, location.href);
    const here = new URL(location.href);
    if (url.origin !== here.origin) return;
    if (url.hash && url.pathname === here.pathname && url.search === here.search) return;
    event.preventDefault();
    later(() => location.assign(url.href));
  });
  window.addEventListener("submit", event => {
    if (window.__talentflowAxeFinished || event.defaultPrevented) return;
    const form = event.target, submitter = event.submitter;
    event.preventDefault();
    later(() => submitter ? form.requestSubmit(submitter) : form.requestSubmit());
  });
})();
"""


def axe_source() -> str:
    """axe-core's script, or a failed test saying how to install it (never a skip)."""
    path = os.environ.get("TALENTFLOW_AXE_JS", "")
    if not path or not Path(path).is_file():
        pytest.fail("axe-core is missing: the browser tests check every page with it. Run `sh .ci/axe` "
                    "(npm installs axe-core into .ci/.axe and prints its axe.min.js) and set "
                    f"TALENTFLOW_AXE_JS to that path (`make test` does both); TALENTFLOW_AXE_JS={path!r}")
    return Path(path).read_text(encoding="utf-8")


@dataclass
class Visit:
    """One document a page loaded, and what axe-core found on it (None until its run has finished)."""

    page: Any
    doc: str
    url: str
    findings: list[dict[str, Any]] | None = None
    note: str = ""


@dataclass
class AxeWatch:
    """Checks every document of one browser context; ``check`` waits for them all and asserts."""

    context: Any
    base: str = ""
    visits: dict[str, Visit] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.context.expose_binding("__talentflowAxe", self._reported)
        self.context.add_init_script(script=axe_source() + "\n;const FAILING = "
                                     + repr(list(FAILING)) + ";\n" + RUNNER_JS)

    def _reported(self, source: dict[str, Any], kind: str, doc: str, url: str, payload: Any) -> None:
        visit = self.visits.setdefault(doc, Visit(source["page"], doc, url))
        if kind == "done":
            visit.findings = payload

    def settle(self, page: Any) -> None:
        """Wait until the check of the page's current document has finished."""
        if page.is_closed():
            return
        try:
            page.wait_for_function("() => window.__talentflowAxeFinished !== false", timeout=60_000)
        except Exception as error:  # the page navigated meanwhile: its new document is waited for later
            if "context was destroyed" not in str(error) and "navigation" not in str(error):
                raise

    def check(self, page: Any = None) -> None:
        """Every visited document checked, and now the page's present state too: fail on any finding."""
        for open_page in [p for p in self.context.pages if not p.is_closed()]:
            self.settle(open_page)
        for visit in list(self.visits.values()):
            if visit.findings is None:
                self._recheck(visit)
        problems = [v for v in self.visits.values() if v.findings]
        if page is not None and not page.is_closed():
            now = page.evaluate("() => window.__talentflowAxeRerun ? window.__talentflowAxeRerun() : []")
            loaded = self.visits.get(page.evaluate("() => window.__talentflowAxeDoc || ''"))
            if now and not (loaded and loaded.findings == now):  # not what its load already reported
                problems.append(Visit(page, "now", page.url, now, " (as it is now)"))
        if problems:
            raise AssertionError(self.describe(problems))

    def _recheck(self, visit: Visit) -> None:
        """A document left before its run finished: load its URL again by GET and check that."""
        before = set(self.visits)
        page = self.context.new_page()
        try:
            page.goto(visit.url)
            self.settle(page)
            fresh = [v for key, v in self.visits.items() if key not in before]
        finally:
            page.close()
        for key in set(self.visits) - before:
            del self.visits[key]
        visit.findings = fresh[-1].findings if fresh and fresh[-1].findings is not None else [
            {"rule": "not-checked", "impact": "critical", "help": "axe-core did not finish on this page",
             "nodes": []}]
        landed = fresh[-1].url if fresh else page.url
        visit.note = " (checked again by GET" + ("" if landed == visit.url else f", landed on {landed}") + ")"

    def describe(self, problems: list[Visit]) -> str:
        lines = [f"axe-core: serious or critical accessibility faults on {len(problems)} page(s)"]
        for visit in problems:
            lines.append(f"- {visit.url.removeprefix(self.base) or '/'}{visit.note}")
            for finding in visit.findings or []:
                nodes = finding["nodes"]
                lines.append(f"    {finding['rule']} ({finding['impact']}): {finding['help']}"
                             f" — {len(nodes)} node(s)")
                lines += [f"      {node['target']}: {node['html']}" for node in nodes[:5]]
                if len(nodes) > 5:
                    lines.append(f"      … and {len(nodes) - 5} more")
        return "\n".join(lines)


class CheckedContext:
    """A browser context whose pages are all checked with axe-core; ``close`` checks, then closes."""

    def __init__(self, context: Any, base: str = "") -> None:
        self._context = context
        self.watch = AxeWatch(context, base)
        self.closed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def check(self, page: Any = None) -> None:
        self.watch.check(page)

    def discard(self) -> None:
        """Close without checking: only for the tests of this checker, whose pages are faulty on purpose."""
        self.closed = True
        self._context.close()

    def close(self) -> None:
        if self.closed:
            return
        try:
            self.watch.check()
        finally:
            self.closed = True
            self._context.close()


class CheckedBrowser:
    """The browser fixture: every context it opens is a ``CheckedContext``."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.contexts: list[CheckedContext] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)

    def new_context(self, **options: Any) -> CheckedContext:
        context = CheckedContext(self._browser.new_context(**options))
        self.contexts.append(context)
        return context

    def close_all(self) -> None:
        """At the end of a test: check and close the contexts the test left open (first fault raised)."""
        errors = []
        for context in self.contexts:
            try:
                context.close()
            except AssertionError as error:
                errors.append(str(error))
        if errors:
            raise AssertionError("\n".join(errors))
