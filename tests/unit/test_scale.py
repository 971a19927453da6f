from __future__ import annotations

import pytest
from govrate.kernel.scale import DEFAULT_LEVEL_SCORES, Level, satisfaction_score


@pytest.mark.parametrize(
    ("level", "bad"),
    [(Level(1), True), (Level(2), True), (Level(3), False), (Level(4), False), (Level(5), False)],
)
def test_bad_review_is_level_one_or_two(level: Level, bad: bool) -> None:
    assert level.is_bad_review is bad


def test_labels_follow_the_national_scale() -> None:
    assert [Level(n).label_zh for n in (5, 4, 3, 2, 1)] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert Level.BASICALLY_SATISFIED.label_en == "Basically satisfied"


def test_default_scores_are_ten_eight_six_three_zero_times_ten() -> None:
    assert [DEFAULT_LEVEL_SCORES[Level(n)] for n in (5, 4, 3, 2, 1)] == [100, 80, 60, 30, 0]


def test_satisfaction_score_is_the_mean_of_level_scores() -> None:
    assert satisfaction_score([Level(5), Level(2)]) == 65.0
    assert satisfaction_score([]) is None
    assert satisfaction_score([Level(3)], {**DEFAULT_LEVEL_SCORES, Level(3): 50}) == 50.0
