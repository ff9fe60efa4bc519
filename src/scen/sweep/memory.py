"""The memory a sweep may take: an estimate is checked before the sweep starts, and a sweep that
would take more than MEMORY_SHARE of the available memory is refused with a one-line ScenError
that says how many seeds would fit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from scen.scenario import ScenError

MEMORY_SHARE = 0.5  # refuse a sweep whose estimate exceeds this share of the free memory


def available_memory(device: str) -> tuple[int, str]:
    """Free bytes where the batched model lives, and where that number came from."""
    if device.startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return int(free), "free GPU memory (torch.cuda.mem_get_info)"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo"
    except OSError:
        pass
    pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return int(pages), "free physical memory (sysconf)"


def size_text(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"


@dataclass
class MemoryEstimate:
    per_seed: int  # bytes one seed needs while its block trains (weights, slots, batches, data)
    shared: int  # bytes once per block (data all seeds share)
    per_result: int  # bytes each finished seed's histories and record keep
    live_seeds: int  # seeds training at once
    total_seeds: int  # seeds x configurations, kept until the end
    available: int
    source: str
    configs: int = 1

    @property
    def needed(self) -> int:
        return self.live_seeds * self.per_seed + self.shared + self.total_seeds * self.per_result

    def check(self, what: str) -> None:
        limit = MEMORY_SHARE * self.available
        if self.needed <= limit:
            return
        fit = max(0, int((limit - self.shared)
                         // max(1, self.per_seed + self.configs * self.per_result)))
        raise ScenError(
            f"{what} needs about {size_text(self.needed)} of memory ({size_text(self.per_seed)} per seed "
            f"training, {size_text(self.per_result)} per seed's results); {size_text(self.available)} is "
            f"available ({self.source}) and a sweep may use {MEMORY_SHARE:.0%} of it: use at "
            f"most ~{fit} seeds per learning rate, or fewer learning rates")

