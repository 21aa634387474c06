"""The emulator's gateway shards as Discord does: IDENTIFY's shard, routing by server, READY."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.emulator.emulator import DiscordEmulator
from tests.emulator.gateway import INVALID_SHARD, shard_for_guild


@pytest.mark.parametrize(("shard", "count"), [(0, 1), (0, 2), (1, 2), (2, 3), (6, 7)])
def test_make_guild_places_a_server_on_the_shard_asked_for(shard: int, count: int) -> None:
    emu = DiscordEmulator()
    guilds = [emu.make_guild(shard=shard, shard_count=count) for _ in range(5)]
    assert [(int(guild) >> 22) % count for guild in guilds] == [shard] * 5
    assert len(set(guilds)) == 5


def test_shard_for_guild_is_discords_rule_and_dms_go_to_shard_zero() -> None:
    assert shard_for_guild(41771983423143937, 2) == (41771983423143937 >> 22) % 2
    assert shard_for_guild(str(5 << 22), 3) == 2
    assert shard_for_guild(None, 4) == 0


async def _identify(
    session: aiohttp.ClientSession, emu: DiscordEmulator, shard: list[int] | None
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(emu.gateway_url)
    hello = await ws.receive_json()
    assert hello["op"] == 10
    data: dict[str, Any] = {"token": emu.token, "intents": 0, "properties": {}}
    if shard is not None:
        data["shard"] = shard
    await ws.send_str(json.dumps({"op": 2, "d": data}))
    return ws


async def _next_dispatch(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            frame = await ws.receive_json()
            if frame["op"] == 0:
                return frame


def test_events_of_a_server_go_to_the_session_of_its_shard(emulator: DiscordEmulator) -> None:
    async def scenario() -> None:
        async with emulator, aiohttp.ClientSession() as http:
            first = await _identify(http, emulator, [0, 2])
            second = await _identify(http, emulator, [1, 2])
            ready = [await _next_dispatch(ws) for ws in (first, second)]
            assert [frame["d"]["shard"] for frame in ready] == [[0, 2], [1, 2]]
            for shard, ws in enumerate((first, second)):
                guild = emulator.make_guild(shard=shard, shard_count=2)
                assert emulator.gateway.serving(guild)
                await emulator.dispatch("TYPING_START", {"guild_id": guild})
                assert (await _next_dispatch(ws))["d"] == {"guild_id": guild}
            await emulator.dispatch("TYPING_START", {"user_id": "1"})  # a DM: shard 0
            assert (await _next_dispatch(first))["d"] == {"user_id": "1"}
            assert emulator.gateway.ready_shards == [0, 1]
            for ws in (first, second):
                with pytest.raises(TimeoutError):
                    await _next_dispatch_within(ws, 0.2)

    asyncio.run(scenario())


async def _next_dispatch_within(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        await _next_dispatch(ws)


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0], [0], "0,1", [True, 2]])
def test_an_impossible_shard_is_closed_with_4010(
    emulator: DiscordEmulator, shard: list[int]
) -> None:
    async def scenario() -> None:
        async with emulator, aiohttp.ClientSession() as http:
            ws = await _identify(http, emulator, shard)
            message = await ws.receive()
            assert message.type is aiohttp.WSMsgType.CLOSE
            assert message.data == INVALID_SHARD

    asyncio.run(scenario())
    assert emulator.take_violations() == [f"[protocol] gateway: IDENTIFY shard {shard!r}"]


def test_gateway_bot_recommends_the_shard_count_it_was_given() -> None:
    async def scenario() -> None:
        async with DiscordEmulator(shards=3) as emu, aiohttp.ClientSession() as http:
            headers = {"Authorization": f"Bot {emu.token}"}
            async with http.get(f"{emu.api_base}/gateway/bot", headers=headers) as response:
                body = await response.json()
            assert body["shards"] == 3
            assert body["url"] == emu.gateway_url

    asyncio.run(scenario())
