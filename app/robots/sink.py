"""A robot server on this machine that answers as WeCom's and DingTalk's webhooks do, for the
demo (and, with scripted answers, the tests): nothing leaves the machine.

A post with ``?key=`` is WeCom's, with ``?access_token=`` DingTalk's. A DingTalk robot given a
secret checks ``timestamp`` and ``sign`` as DingTalk does (an hour's leeway, errcode 310000
otherwise), and one given a keyword refuses a message without it. What is accepted is appended
to ``<folder>/<platform>.md`` (to read) and ``<folder>/<platform>.jsonl`` (to check).
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlsplit

from app import clock
from app.domain.robot import Platform, dingtalk_sign

SIGN_LEEWAY_MS = 3600 * 1000


@dataclass
class SinkRobot:
    """What the sink knows of one robot: its token and, for DingTalk, its security settings."""

    platform: Platform
    token: str
    secret: str = ""
    keyword: str = ""


@dataclass
class Received:
    platform: str
    token: str
    body: dict
    signature: str  # "verified", or "none" for a robot without a secret
    at: float = field(default_factory=lambda: clock.now().timestamp())

    @property
    def content(self) -> str:
        markdown = self.body.get("markdown", {})
        return markdown.get("text") or markdown.get("content") or ""


def ok() -> dict:
    return {"errcode": 0, "errmsg": "ok"}


class RobotSink:
    def __init__(self, folder: Path | None, robots: list[SinkRobot], host: str = "127.0.0.1", port: int = 0) -> None:
        self.folder = folder
        self.robots = {(robot.platform, robot.token): robot for robot in robots}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                status, answer = sink.handle(self.path, self.rfile.read(length))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args) -> None:  # one line per post is chatter
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self.server.socket.getsockname()[:2]
        return f"{host}:{port}"

    def url(self, robot: SinkRobot) -> str:
        name = "key" if robot.platform is Platform.WECOM else "access_token"
        path = "cgi-bin/webhook/send" if robot.platform is Platform.WECOM else "robot/send"
        return f"http://{self.address}/{path}?{name}={robot.token}"

    def start(self) -> RobotSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, raw: bytes) -> tuple[int, dict]:
        query = {key: values[0] for key, values in parse_qs(urlsplit(path).query).items()}
        platform = Platform.WECOM if "key" in query else Platform.DINGTALK
        robot = self.robots.get((platform, query.get("key") or query.get("access_token", "")))
        if robot is None:
            if platform is Platform.WECOM:
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        try:
            body = json.loads(raw)
        except ValueError:
            return 200, {"errcode": 40035 if platform is Platform.WECOM else 300001, "errmsg": "invalid json"}
        signature = "none"
        if robot.secret:
            refused = self._refused_signature(robot, query)
            if refused:
                return 200, {"errcode": 310000, "errmsg": refused}
            signature = "verified"
        received = Received(platform.value, robot.token, body, signature)
        if robot.keyword and robot.keyword not in json.dumps(body, ensure_ascii=False):
            return 200, {"errcode": 310000, "errmsg": "keywords not in content"}
        status, answer = self.answer(received)
        if answer.get("errcode") == 0:
            self._keep(received)
        return status, answer

    @staticmethod
    def _refused_signature(robot: SinkRobot, query: dict) -> str:
        try:
            timestamp = int(query.get("timestamp", ""))
        except ValueError:
            return "sign not match, timestamp missing"
        if abs(clock.now().timestamp() * 1000 - timestamp) > SIGN_LEEWAY_MS:
            return "sign not match, timestamp is timeout"
        # parse_qs has already URL-decoded ``sign`` once; DingTalk's value is the base64 itself.
        expected = dingtalk_sign(robot.secret, timestamp)
        if not hmac.compare_digest(unquote_plus(expected), query.get("sign", "")):
            return "sign not match"
        return ""

    def answer(self, received: Received) -> tuple[int, dict]:
        """What the platform answers a well-formed post (tests override it to script errors)."""
        return 200, ok()

    def _keep(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)
            if self.folder is None:
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(received.at))
            with (self.folder / f"{received.platform}.md").open("a", encoding="utf-8") as log:
                log.write(
                    f"---\n{stamp} · robot {received.token} · signature {received.signature}\n\n{received.content}\n\n"
                )
            with (self.folder / f"{received.platform}.jsonl").open("a", encoding="utf-8") as log:
                log.write(
                    json.dumps(
                        {"at": stamp, "token": received.token, "signature": received.signature, "body": received.body},
                        ensure_ascii=False,
                    )
                    + "\n"
                )
