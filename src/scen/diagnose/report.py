"""The report: findings in the order a reader needs them, as text.

`sorted_findings` keeps one finding per (name, layer), errors first; `format_report` prints
a head line with the counts, then per finding its summary, evidence and fix.
"""

from __future__ import annotations

from scen.diagnose.catalogue import SECONDARY, SEVERITIES, Finding


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    """Errors, then warnings, then info, causes before consequences, faults before symptoms; one finding per (name,
    layer), the first seen:
    preflight and the in-run detectors may both see the same problem."""
    seen, out = set(), []
    for f in findings:
        if (f.name, f.layer) not in seen:
            seen.add((f.name, f.layer))
            out.append(f)
    # causes before consequences (detectors.settle_causes words them as such); of the causes,
    # the one that explains the most other findings first: it is the root.
    explains = {}
    for f in out:
        if f.cause:
            explains[f.cause] = explains.get(f.cause, 0) + 1
    # Then faults before symptoms (SECONDARY: slow progress, overfitting...) of one severity.
    return sorted(out, key=lambda f: (SEVERITIES.index(f.severity), f.cause is not None,
                                      -explains.get(f.name, 0), f.name in SECONDARY))


def format_report(findings: list[Finding], epochs: int | None = None) -> str:
    """The findings as text, in the order given; `epochs`: how many the run recorded."""
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITIES}
    ran = f" ({epochs} epoch(s) recorded)" if epochs is not None else ""
    if not counts["error"] and not counts["warning"]:
        head = f"scen diagnose: no problems found{ran}: a clean bill."
    else:
        head = (f"scen diagnose: {counts['error']} error(s), {counts['warning']} warning(s)"
                f"{ran}")
    lines = [head]
    for f in findings:
        where = ", ".join(x for x in (f"layer {f.layer}" if f.layer else "",
                                      f"epoch {f.epoch}" if f.epoch else "") if x)
        lines.append(f"[{f.severity}] {f.name}{f' ({where})' if where else ''}: {f.summary}")
        lines.append(f"    evidence: {f.evidence}")
        lines.append(f"    fix: {f.fix}")
    return "\n".join(lines)
