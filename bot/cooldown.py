"""Per-channel cooldown of public answers, so five helpers typing the same command post one card.

`Cooldown` keeps it in this process; `AnswerCooldown` is the small interface the responder uses,
served by `LocalCooldown` (this process) or, to share it between processes, by
`bot.redis_cooldown.RedisCooldown`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True)
class Recent:
    """An answer posted lately: where to point people who ask again."""

    at: float
    """When it was claimed, on the clock of the cooldown that holds it."""
    jump_url: str | None = None
    """None while the first answer is still on its way."""
    message_id: int | None = None
    """The answer's message, so that deleting it ends the cooldown."""


class Cooldown:
    """Remembers, per channel and topic, the last public answer for `seconds`."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._recent: OrderedDict[tuple[int, str], Recent] = OrderedDict()

    def claim(self, channel: int, topic: str) -> Recent | None:
        """Return the recent answer on `topic` in `channel`, or claim the topic and return None.

        Claiming before the answer is sent means that helpers who ask at the same moment get a
        pointer rather than a second card.
        """
        if self.seconds <= 0:
            return None
        now = self._clock()
        self._forget_before(now - self.seconds)
        recent = self._recent.get((channel, topic))
        if recent is not None:
            return recent
        self._recent[(channel, topic)] = Recent(at=now)
        return None

    def posted(
        self, channel: int, topic: str, jump_url: str | None, message_id: int | None = None
    ) -> None:
        """Record where the answer that claimed `topic` ended up."""
        recent = self._recent.get((channel, topic))
        if recent is not None:
            recent.jump_url = jump_url
            recent.message_id = message_id

    def deleted(self, channel: int, message_id: int) -> None:
        """Forget the answer posted as `message_id`, so the next asker is not pointed at nothing."""
        for key, recent in list(self._recent.items()):
            if key[0] == channel and recent.message_id == message_id:
                del self._recent[key]

    def release(self, channel: int, topic: str) -> None:
        """Forget a claim whose answer could not be sent, so the next asker gets one."""
        self._recent.pop((channel, topic), None)

    def __len__(self) -> int:
        return len(self._recent)

    def _forget_before(self, cutoff: float) -> None:
        # Entries go in in time order, so the stale ones are all at the front.
        while self._recent:
            key, oldest = next(iter(self._recent.items()))
            if oldest.at > cutoff:
                return
            del self._recent[key]


class AnswerCooldown(Protocol):
    """What the responder needs of a cooldown; see `Cooldown` for what each step means."""

    @property
    def seconds(self) -> float:
        """How long an answer holds its topic in its channel; 0 or less: no cooldown at all."""

    async def claim(self, channel: int, topic: str) -> Recent | None:
        """Return the recent answer on `topic` in `channel`, or claim it and return None."""

    async def posted(
        self, channel: int, topic: str, jump_url: str | None, message_id: int | None
    ) -> None:
        """Record where the answer that claimed `topic` ended up."""

    async def deleted(self, channel: int, message_id: int) -> None:
        """Forget the answer posted as `message_id`."""

    async def release(self, channel: int, topic: str) -> None:
        """Forget a claim whose answer could not be sent."""


class LocalCooldown:
    """A `Cooldown` in this process, behind the `AnswerCooldown` interface."""

    def __init__(self, cooldown: Cooldown) -> None:
        self.cooldown = cooldown

    @property
    def seconds(self) -> float:
        """See `Cooldown.seconds`."""
        return self.cooldown.seconds

    async def claim(self, channel: int, topic: str) -> Recent | None:
        """See `Cooldown.claim`."""
        return self.cooldown.claim(channel, topic)

    async def posted(
        self, channel: int, topic: str, jump_url: str | None, message_id: int | None
    ) -> None:
        """See `Cooldown.posted`."""
        self.cooldown.posted(channel, topic, jump_url, message_id)

    async def deleted(self, channel: int, message_id: int) -> None:
        """See `Cooldown.deleted`."""
        self.cooldown.deleted(channel, message_id)

    async def release(self, channel: int, topic: str) -> None:
        """See `Cooldown.release`."""
        self.cooldown.release(channel, topic)
