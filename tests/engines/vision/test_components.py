"""The numpy image primitives against scipy.ndimage, which they replace on the analysis path."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from analysis.engines.vision.components import component_boxes, dilate_cross, mean3


def _scipy_boxes(mask: np.ndarray, diagonal: bool) -> list[tuple[int, int, int, int]]:
    lab, _n = ndi.label(mask, structure=np.ones((3, 3), bool) if diagonal else None)
    return [(s[1].start, s[0].start, s[1].stop, s[0].stop) for s in ndi.find_objects(lab) if s is not None]


@pytest.mark.parametrize("diagonal", [False, True])
def test_component_boxes_match_scipy_label_on_random_masks(diagonal: bool) -> None:
    rng = np.random.default_rng(7)
    for _ in range(150):
        h, w = (int(v) for v in rng.integers(1, 50, 2))
        mask = rng.random((h, w)) < rng.uniform(0.05, 0.75)
        assert component_boxes(mask, diagonal=diagonal) == _scipy_boxes(mask, diagonal)


def test_diagonal_touch_joins_only_with_eight_connectivity() -> None:
    mask = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0], [1, 1, 1]], dtype=bool)
    assert component_boxes(mask) == [(0, 0, 1, 1), (1, 1, 2, 2), (0, 3, 3, 4)]
    assert component_boxes(mask, diagonal=True) == [(0, 0, 2, 2), (0, 3, 3, 4)]
    assert component_boxes(np.zeros((4, 4), bool)) == []


def test_u_shape_is_one_component_whose_arms_meet_late() -> None:
    mask = np.zeros((6, 7), bool)
    mask[0:5, 1] = mask[0:5, 5] = True
    mask[5, 1:6] = True
    mask[0, 3] = True  # a separate dot between the arms
    assert component_boxes(mask) == [(1, 0, 6, 6), (3, 0, 4, 1)]


def test_mean3_and_dilation_match_scipy() -> None:
    rng = np.random.default_rng(3)
    for shape in [(1, 9), (9, 1), (2, 2), (37, 53)]:
        a = (rng.random(shape) * 255).astype(np.float32)
        for axis in (0, 1):
            ours = mean3(a, axis)
            assert ours.dtype == np.float32
            np.testing.assert_allclose(ours, ndi.uniform_filter1d(a, 3, axis=axis), rtol=0, atol=1e-4)
        m = rng.random(shape) < 0.1
        assert (dilate_cross(m, 2) == ndi.binary_dilation(m, iterations=2)).all()
