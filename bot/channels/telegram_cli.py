"""``coach telegram``: long polling for deployments without a public address, and webhook
set-up for those with one.

``--polling`` removes the webhook, sets the command menu, then fetches updates with
``getUpdates`` and posts each one, as Telegram would, to the running Rasa's
``/webhooks/telegram/webhook`` (with the webhook secret). The Rasa side (bot/channels/
telegram.py) does the rest, so polling and webhook mode behave the same, including the
once-only processing of an update. An update is acknowledged to Telegram (the offset moves
past it) only after Rasa accepted it, so stopping or restarting loses nothing.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any, Dict, Optional

import click
import yaml

from bot.config import ROOT, settings

CHANNEL_KEY = "bot.channels.telegram.TelegramInput"


def _credentials(path: str) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except FileNotFoundError:
        return {}
    except yaml.YAMLError as exc:
        raise click.ClickException(f"credentials 文件无法解析 / cannot parse {path}: {exc}") from None
    return data.get(CHANNEL_KEY) or {}


def _rasa_url(explicit: Optional[str]) -> str:
    if explicit:
        return explicit.rstrip("/")
    cfg = settings().get("rasa", {})
    if cfg.get("url"):
        return str(cfg["url"]).rstrip("/")
    return f"http://{cfg.get('host', '127.0.0.1')}:{cfg.get('port', 5005)}"


class Fatal(Exception):
    pass


async def _forward(http, url: str, secret: str, payload: Dict[str, Any], stop: asyncio.Event) -> bool:
    """Posts one update to Rasa until it is accepted. False when stopping."""
    import httpx

    from bot.channels.telegram import SECRET_HEADER

    delay = 1.0
    while not stop.is_set():
        try:
            r = await http.post(url, json=payload, headers={SECRET_HEADER: secret})
            if r.status_code == 200:
                return True
            if r.status_code == 403:
                raise Fatal("Rasa 拒绝了转发（403）：Rasa 和本命令的 Telegram 配置（token / secret_token）不一致")
            if r.status_code == 503 and "not configured" in r.text:
                raise Fatal("Rasa 的 Telegram 渠道没有配置 token（credentials.yml 或 COACH_TELEGRAM_TOKEN）")
            if r.status_code == 404:
                raise Fatal(f"Rasa 上没有 Telegram 渠道（{url} 返回 404）：检查 credentials.yml")
            reason = f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            reason = type(exc).__name__
        click.echo(f"转发到 Rasa 失败（{reason}），{delay:.0f} 秒后重试 …", err=True)
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
        except asyncio.TimeoutError:
            pass
        delay = min(delay * 2, 30.0)
    return False


async def poll(cfg, rasa_url: str, timeout: int, stop: asyncio.Event, once: bool = False) -> int:
    """Runs the polling loop until ``stop`` is set; returns the number of forwarded updates."""
    import httpx
    from telegram import BotCommand
    from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

    from bot.channels.telegram import ALLOWED_UPDATES, COMMANDS, WEBHOOK_PATH, TelegramSender

    sender = TelegramSender(cfg)
    try:
        bot = await sender.bot()
    except Exception as exc:
        raise Fatal(f"连不上 Telegram（{getattr(exc, 'reason', type(exc).__name__)}）：检查 token 和网络") from None
    await sender.call("deleteWebhook", lambda: bot.delete_webhook(drop_pending_updates=False))
    await sender.call("setMyCommands", lambda: bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS]))
    url = rasa_url + WEBHOOK_PATH
    click.echo(f"Telegram 轮询已启动（@{bot.username}），更新转发到 {url}；Ctrl-C 停止。")
    forwarded = 0
    offset: Optional[int] = None
    delay = 1.0
    async with httpx.AsyncClient(timeout=httpx.Timeout(300.0, connect=10.0)) as http:
        while not stop.is_set():
            fetch = asyncio.ensure_future(bot.get_updates(offset=offset, timeout=timeout,
                                                          allowed_updates=ALLOWED_UPDATES))
            stopping = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if fetch not in done:
                fetch.cancel()
                break
            stopping.cancel()
            try:
                updates = fetch.result()
                delay = 1.0
            except InvalidToken:
                raise Fatal("Telegram 拒绝了这个 token") from None
            except RetryAfter as exc:
                from bot.channels.telegram import _retry_after_seconds

                await asyncio.sleep(_retry_after_seconds(exc))
                continue
            except Conflict:
                click.echo("Telegram 报告冲突：另有程序在轮询这个机器人，或者设置了 webhook；稍后重试 …",
                           err=True)
                await asyncio.sleep(min(delay, 30.0))
                delay *= 2
                continue
            except (TimedOut, NetworkError) as exc:
                click.echo(f"取更新失败（{type(exc).__name__}），{delay:.0f} 秒后重试 …", err=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            for update in updates:
                if not await _forward(http, url, cfg.secret, update.to_dict(), stop):
                    break
                offset = update.update_id + 1
                forwarded += 1
            if once and updates:
                break
    if offset is not None:
        # Confirm the last forwarded update to Telegram before leaving.
        try:
            await bot.get_updates(offset=offset, timeout=0, allowed_updates=ALLOWED_UPDATES)
        except Exception:
            pass
    await sender.close()
    return forwarded


async def set_webhook(cfg) -> None:
    from telegram import BotCommand

    from bot.channels.telegram import ALLOWED_UPDATES, COMMANDS, TelegramSender

    sender = TelegramSender(cfg)
    bot = await sender.bot()
    await sender.call("setMyCommands", lambda: bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS]))
    await sender.call("setWebhook", lambda: bot.set_webhook(cfg.webhook_url, secret_token=cfg.secret,
                                                             allowed_updates=ALLOWED_UPDATES))
    await sender.close()


@click.command("telegram")
@click.option("--polling", is_flag=True,
              help="Fetch updates with getUpdates and forward them to the running Rasa (no public address needed).")
@click.option("--rasa-url", default=None, help="Rasa server (default: rasa.host/rasa.port of the settings).")
@click.option("--credentials", default=str(ROOT / "credentials.yml"), show_default="credentials.yml",
              help="Rasa credentials file holding the Telegram channel's entry.")
@click.option("--timeout", default=30, show_default=True, type=click.IntRange(0, 50),
              help="Long-polling timeout in seconds.")
def telegram(polling: bool, rasa_url: Optional[str], credentials: str, timeout: int) -> None:
    """Telegram: long polling (--polling), or set the webhook and command menu and exit."""
    from bot.channels.telegram import SendFailed, resolve_config

    cfg = resolve_config(_credentials(credentials))
    if not cfg.enabled:
        raise click.ClickException("没有配置 Telegram token：设置 COACH_TELEGRAM_TOKEN，"
                                   "或在 credentials.yml 的 Telegram 渠道里填写 token")
    if not polling:
        if not cfg.webhook_url:
            raise click.ClickException("没有配置 webhook 地址（COACH_TELEGRAM_WEBHOOK_URL）；"
                                       "没有公网地址时请用 --polling")
        try:
            asyncio.run(set_webhook(cfg))
        except SendFailed as exc:
            raise click.ClickException(f"设置 webhook 失败：{exc.reason}") from None
        click.echo("webhook 和命令菜单已设置。Rasa 启动时每个副本也会自动设置。")
        return

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
                pass
        return await poll(cfg, _rasa_url(rasa_url), timeout, stop)

    try:
        count = asyncio.run(main())
    except Fatal as exc:
        click.echo(f"错误 / error: {exc}", err=True)
        sys.exit(2)
    except SendFailed as exc:
        click.echo(f"错误 / error: Telegram {exc.method} 失败（{exc.reason}）", err=True)
        sys.exit(2)
    click.echo(f"已停止，共转发 {count} 条更新。")
