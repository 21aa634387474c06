from bot.cooldown import Cooldown


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_cooldown_points_the_second_asker_to_the_first_answer():
    clock = FakeClock()
    cooldown = Cooldown(30, clock)
    assert cooldown.claim(1, "fw:django") is None
    cooldown.posted(1, "fw:django", "https://discord.com/channels/1/1/5")
    recent = cooldown.claim(1, "fw:django")
    assert recent is not None
    assert recent.jump_url == "https://discord.com/channels/1/1/5"


def test_cooldown_is_per_channel_and_per_topic():
    cooldown = Cooldown(30, FakeClock())
    assert cooldown.claim(1, "fw:django") is None
    assert cooldown.claim(2, "fw:django") is None
    assert cooldown.claim(1, "fw:flask") is None
    # Each of those claimed its own channel and topic: asking again there is pointed.
    assert cooldown.claim(1, "fw:django") is not None
    assert cooldown.claim(2, "fw:django") is not None
    assert cooldown.claim(1, "fw:flask") is not None


def test_cooldown_expires_and_forgets_old_entries():
    clock = FakeClock()
    cooldown = Cooldown(30, clock)
    for channel in range(100):
        cooldown.claim(channel, "fw:django")
    clock.now += 31
    assert cooldown.claim(1, "fw:django") is None
    assert len(cooldown) == 1


def test_cooldown_release_lets_the_next_asker_post():
    cooldown = Cooldown(30, FakeClock())
    cooldown.claim(1, "t")
    cooldown.release(1, "t")
    assert cooldown.claim(1, "t") is None


def test_cooldown_of_zero_never_points():
    cooldown = Cooldown(0, FakeClock())
    assert cooldown.claim(1, "t") is None
    assert cooldown.claim(1, "t") is None
