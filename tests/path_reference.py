"""The reference the path search is tested against: every simple path, enumerated and sorted."""

from __future__ import annotations

from collections.abc import Callable

from kmoa.graph.search import MechanismPath, PathStep, Walk


def exhaustive_paths(walk: Walk, source: str, target: str, k: int, max_hops: int,
                     accept: Callable[[tuple[str, ...]], bool] | None = None) -> list[MechanismPath]:
    """The k best simple paths by brute force: every path of at most ``max_hops`` forward steps, sorted."""
    complete: list[tuple[float, float, int, tuple[str, ...], tuple[PathStep, ...]]] = []

    def extend(nodes: tuple[str, ...], steps: tuple[PathStep, ...]) -> None:
        if steps and nodes[-1] == target:
            if accept is None or accept(nodes):
                score, mean = walk.path(steps)
                complete.append((score, mean, len(steps), nodes, steps))
            return
        if len(steps) == max_hops:
            return
        for step in walk.steps(nodes[-1]):
            if step.target not in nodes:
                extend(nodes + (step.target,), steps + (step,))

    if source != target:
        extend((source,), ())
    complete.sort(key=lambda f: (-f[0], -f[1], f[2], f[3]))
    return [MechanismPath(nodes, steps, round(score, 4), round(mean, 4))
            for score, mean, _, nodes, steps in complete[:k]]
