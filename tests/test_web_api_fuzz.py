"""schemathesis fuzzes /api/v1 of a real `cryptowire run` against the API's own OpenAPI
document: no 500 anywhere, only documented status codes, JSON everywhere."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.cli.demo import example_files
from tests.run_support import cryptowire_run, free_port, run_env, wait_port, write_config

pytestmark = pytest.mark.slow
TOKEN = "fuzz-token-0123456789abcdef"


async def test_the_api_survives_schemathesis_without_a_server_error(tmp_path):
    cli = Path(sys.executable).with_name("schemathesis")
    if not cli.exists():
        pytest.skip("schemathesis is not installed (pip install -e '.[dev]')")
    port = free_port()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for item in example_files()[:6]:
        shutil.copy(item, inbox / item.name)
    config = write_config(
        tmp_path,
        f"""
[web]
listen = "127.0.0.1:{port}"
password = "fuzz-password"
api_token = "{TOKEN}"
""",
        inbox=inbox,
        source_name="Inbox",
    )
    env = run_env()
    base = f"http://127.0.0.1:{port}/api/v1"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with cryptowire_run(config, tmp_path, env=env) as bot:
        await wait_port(port)
        async with aiohttp.ClientSession(headers=auth) as http:
            for _ in range(100):  # the examples ingested: ids the fuzzer can hit
                async with http.get(f"{base}/stories") as response:
                    if (await response.json())["stories"]:
                        break
                await asyncio.sleep(0.1)
        fuzz = await asyncio.create_subprocess_exec(
            str(cli), "run", f"{base}/openapi.json",
            "-H", f"Authorization: Bearer {TOKEN}",
            "-c", "not_a_server_error,status_code_conformance,content_type_conformance",
            "-n", "25", "--generation-deterministic", "--request-timeout", "10",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={**env, "SCHEMATHESIS_HOOKS": ""},
        )  # fmt: skip
        report, _ = await asyncio.wait_for(fuzz.communicate(), 600)
    text = report.decode("utf-8", "replace")
    output = bot.output()
    assert fuzz.returncode == 0, text[-4000:]
    assert "Traceback" not in output and bot.code == 0, output[-3000:]
