"""What was measured on the device (``Study.measure_front``): predicted vs measured values, who
left the front, and how much of the front is measured."""

from __future__ import annotations

import numpy as np

from predictnas.study import Study
from predictnas.types import as_real


def format_device(study: Study, *, max_listed: int = 8) -> str | None:
    """``"latency: 7 trials measured on the device, measured / predicted median 1.08 (0.95-1.21); 2
    broke a constraint there (off the front); front 5 of 5 measured: trial 12 3.1 -> 3.4, ..."``,
    or ``None`` when nothing was measured."""
    measured = [t for t in study.trials if isinstance(t.user_attrs.get("measured"), dict)]
    if not measured:
        return None
    front = study.pareto_front()
    parts = []
    for metric in sorted({k for t in measured for k in t.user_attrs["measured"] if not k.startswith("predicted_")}):
        pairs = {t.number: (as_real(t.user_attrs["measured"].get(f"predicted_{metric}")), as_real(t.user_attrs["measured"].get(metric)))
                 for t in measured}
        pairs = {n: p for n, p in pairs.items() if None not in p}
        if not pairs:
            continue
        ratios = [m / p for p, m in pairs.values() if p]
        broke = sum(not study.is_feasible(t) for t in measured if t.number in pairs)
        on_front = [t for t in front if t.number in pairs]
        listed = ", ".join(f"trial {t.number} {pairs[t.number][0]:.3g} -> {pairs[t.number][1]:.3g}" for t in on_front[:max_listed])
        parts.append(f"{metric}: {len(pairs)} trials measured on the device"
                     + (f", measured / predicted median {np.median(ratios):.2f} ({np.percentile(ratios, 10):.2f}-"
                        f"{np.percentile(ratios, 90):.2f}, 10-90 %)" if ratios else "")
                     + f"; {broke} broke a constraint there (off the front); front {len(on_front)} of {len(front)} measured"
                     + (f" (predicted -> measured: {listed}{', ...' if len(on_front) > max_listed else ''})" if listed else ""))
    return "; ".join(parts) or None

