"""Deterministic, realistic data for the benchmarks: one module per benchmark's data set
(`matching`, `lookup`, `review`, `imports`), the word lists they share (`words`) and small helpers
(here). A fixed seed gives the same data on every run and machine."""


def zipf_cum_weights(n: int, exponent: float) -> list[float]:
    """Cumulative weights 1/rank**exponent for ranks 1..n: the first items common, a long tail."""
    total, cum = 0.0, []
    for rank in range(1, n + 1):
        total += 1 / rank**exponent
        cum.append(total)
    return cum
