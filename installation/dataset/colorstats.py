"""Per-picture color statistics for the report's histograms."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_HUE_BINS = 36
# Below this share of saturated, lit pixels a picture has no meaningful dominant hue.
_MIN_CHROMA = 0.05


@dataclass(frozen=True)
class ColorStats:
    brightness: float  # mean luma, 0..1
    saturation: float  # mean HSV saturation, 0..1
    hue: float | None  # dominant hue in degrees, None for near-gray pictures


def describe(image: np.ndarray) -> ColorStats:
    small = cv2.resize(image, (64, 64), interpolation=cv2.INTER_AREA)
    luma = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV).reshape(-1, 3).astype(np.float32)
    hue, saturation, value = hsv[:, 0] * 2, hsv[:, 1] / 255, hsv[:, 2] / 255
    # A pixel's say in the dominant hue grows with its chroma: dark or washed-out pixels have
    # an unstable hue and would otherwise drown the colors a person actually sees.
    weight = saturation * value
    histogram = np.bincount(
        (hue // (360 / _HUE_BINS)).astype(np.int64) % _HUE_BINS, weights=weight, minlength=_HUE_BINS
    )
    dominant = None
    if weight.mean() >= _MIN_CHROMA:
        dominant = (int(np.argmax(histogram)) + 0.5) * 360 / _HUE_BINS
    return ColorStats(float(luma.mean() / 255), float(saturation.mean()), dominant)
