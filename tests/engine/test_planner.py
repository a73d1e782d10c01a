import random

from installation.engine.planner import UP_DWELL_S, Costs, Planner

LEVELS = [16, 32, 64, 128]
COSTS = Costs({16: 2.0, 32: 5.0, 64: 12.0, 128: 30.0}, {1: 1.0, 2: 0.7, 4: 0.6})


def planner(budget: float, batch_budget: float = 1000.0, **kw) -> Planner:
    return Planner(COSTS, LEVELS, frame_budget_ms=budget, batch_budget_ms=batch_budget, **kw)


def test_the_highest_level_within_budget_is_chosen_at_start():
    assert planner(100).level == 128
    assert planner(10).level == 64  # 12 ms per frame alone, 7.2 ms in batches of 4
    assert planner(10, batch_budget=12).level == 32  # batches capped at one frame
    assert planner(1).level == 16  # nothing fits: the lowest level


def test_a_tight_budget_moves_down_a_level_and_slack_moves_back_up():
    p = planner(budget=20, batch_budget=30)  # 64 px fits (12 ms), 128 does not
    assert p.level == 64
    now = 0.0
    for _ in range(5):  # the host got 3x slower
        now += 0.2
        p.record(p.level, p.batch, 3 * COSTS.batch_ms(p.level, p.batch), now)
    assert p.level == 32
    for _ in range(40):  # back to normal: up again, but only after the dwell time
        now += 0.2
        p.record(p.level, p.batch, COSTS.batch_ms(p.level, p.batch), now)
    assert p.level == 64


def test_a_single_slow_frame_changes_nothing():
    p = planner(budget=20)
    level = p.level
    p.record(level, p.batch, 50 * COSTS.batch_ms(level, p.batch), 10.0)
    assert p.level == level


def test_noisy_times_near_the_budget_do_not_flicker():
    p = planner(budget=13, batch_budget=12)  # 64 px at batch 1 takes 12 ms: just inside
    rng = random.Random(0)
    switches, level, now = 0, p.level, 0.0
    for _ in range(600):  # two minutes of frames, times +-20 %
        now += 0.2
        p.record(p.level, p.batch, COSTS.batch_ms(p.level, p.batch) * rng.uniform(0.9, 1.3), now)
        switches += p.level != level
        level = p.level
    assert switches <= 8  # each retry of the higher level waits twice as long as the last


def test_the_batch_grows_only_while_it_pays_and_fits_the_latency_budget():
    assert planner(100, batch_budget=1000).batch == 4
    p = planner(100, batch_budget=50)  # 128 px: batch 2 takes 42 ms, batch 4 72 ms
    assert p.batch == 2
    assert planner(100, fixed_batch=3).batch == 3
    no_gain = Planner(
        Costs(COSTS.frame_ms, {1: 1.0, 2: 0.95}), LEVELS, frame_budget_ms=100, batch_budget_ms=1e3
    )
    assert no_gain.batch == 1


def test_going_up_waits_for_the_dwell_time():
    p = planner(budget=20, batch_budget=30)
    p.record(p.level, p.batch, 3 * COSTS.batch_ms(p.level, p.batch), 0.0)
    p.record(p.level, p.batch, 3 * COSTS.batch_ms(p.level, p.batch), 0.6)
    p.record(p.level, p.batch, 3 * COSTS.batch_ms(p.level, p.batch), 1.2)
    assert p.level == 32
    p.record(p.level, p.batch, 0.1, 1.3)
    p.record(p.level, p.batch, 0.1, 1.4)
    p.record(p.level, p.batch, 0.1, 1.5)
    assert p.level == 32  # fast again, but it only just came down
    p.record(p.level, p.batch, 0.1, 1.3 + UP_DWELL_S * 2)
    assert p.level == 64


def test_a_level_timed_again_faster_is_chosen_once_it_fits():
    # 128 px timed on torch eager while its graph was built (30 ms: over a 20 ms budget) ...
    p = planner(budget=20, batch_budget=30)
    assert p.level == 64
    p.record(p.level, p.batch, COSTS.batch_ms(p.level, p.batch), 0.0)
    # ... then on the built graph, at 10 ms: it fits, and is taken after the dwell time
    p.retime(128, 10.0)
    assert p.costs.frame_ms[128] == 10.0 and 128 not in p.costs.pending
    p.record(p.level, p.batch, COSTS.batch_ms(p.level, p.batch), UP_DWELL_S)
    assert p.level == 128


def test_a_retimed_level_is_retried_at_once_even_after_it_had_to_be_left():
    p = planner(budget=20, batch_budget=30)
    now = 0.0
    for _ in range(4):  # the host is 3x slower: 64 px is over budget, down to 32
        now += 0.6
        p.record(p.level, p.batch, 3 * COSTS.batch_ms(p.level, p.batch), now)
    assert p.level == 32
    p.retime(64, 12.0)  # its graph was built: 12 ms now, at this slowdown; it fits
    left = now
    for _ in range(20):
        now += 0.6
        p.record(p.level, p.batch, 3 * COSTS.batch_ms(p.level, p.batch), now)
        if p.level == 64:
            break
    assert p.level == 64 and now - left <= UP_DWELL_S + 0.6  # the first chance the dwell time gives
