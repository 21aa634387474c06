"""The benchmark's answers, untimed: a larger guide must not change what the matcher answers.

`python -m bench.run` times the matcher on guides of up to 100,000 frameworks; its quality
column must be perfect at every size. CI checks the answers at 14, 1,000 and 10,000.
"""

from bench.run import ANSWER_SIZES, check_answers


def test_the_bench_answers_are_right_at_every_checked_size():
    assert ANSWER_SIZES == (14, 1_000, 10_000)
    assert check_answers() == []
