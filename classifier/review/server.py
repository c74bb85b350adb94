"""`classify review --serve`: the review queue as a local web page, every change saved at once.

Security, because the page can write a file on the user's disk:

- the server listens on 127.0.0.1 only, and every request must carry the random token
  of its URL (`?token=...`), so another local user or a web page cannot guess it;
- the Host header must name 127.0.0.1 or localhost (a DNS-rebinding page sends its own);
- a write must be a same-origin POST with a JSON content type (a cross-site form cannot
  send one without a CORS preflight, which the server never answers);
- the page builds its text with `textContent` only, the JSON escapes `<`, `>` and `&`,
  and a Content-Security-Policy allows no script but the page's own;
- the server reads its three static files from the package and writes only the
  corrections file, whole each time (a temporary file in the same folder, then a rename),
  so a killed browser or process loses nothing and never leaves half a file.
"""

from __future__ import annotations

import datetime as dt
import errno
import hmac
import json
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from ..errors import InputError
from ..files.writing import neutralise_formulas, refuse_overwrite, write_text_atomic
from ..model.dataset import POLARITIES, split_mentions
from ..model.model import Model
from .queue import QUEUE_COLUMNS, ReviewQueue

HOST = "127.0.0.1"
CORRECTION_COLUMNS = (*QUEUE_COLUMNS, "predicted", "reviewed")
STATIC = {  # URL path -> (file in review/static, content type); nothing else is ever read
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
MAX_BODY = 64 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


class ReviewSession:
    """The queue, the codebook and the corrections made so far (read back from the file on start)."""

    def __init__(self, queue: ReviewQueue, model: Model, corrections: Path, *, protect: tuple[Path, ...] = ()):
        refuse_overwrite(corrections, protect)
        self.path = corrections
        self.protect = protect
        self.items = queue.table.to_dict("records")
        self.by_id = {str(item["id"]): item for item in self.items}
        self.codebook = [{"id": c, "name": model.codebook.display_name(c)} for c in model.labels]
        self.saved = read_corrections(corrections)  # id -> row, in file order; rows of other queues kept
        self.polarity = queue.polarity or any(":" in str(row.get("labels", "")) for row in self.saved.values())
        self.lock = threading.Lock()

    def state(self) -> dict:
        """What the page shows: the codebook and every queued comment with its current labels."""
        with self.lock:
            items = [
                {
                    "id": str(item["id"]),
                    "text": item["text"],
                    "lang": item["lang"],
                    "confidence": item["confidence"],
                    "reason": item["reason"],
                    "predicted": split_mentions(item["predicted"]),
                    "labels": split_mentions(self.saved.get(str(item["id"]), item)["labels"]),
                    "reviewed": str(item["id"]) in self.saved,
                }
                for item in self.items
            ]
        return {"codebook": self.codebook, "polarity": self.polarity, "items": items, "file": self.path.name}

    def save(self, item_id: str, labels: dict) -> dict:
        """Record a person's coding of one queued comment and rewrite the corrections file."""
        if item_id not in self.by_id:
            raise ValueError("not a comment of this queue")
        known = {c["id"] for c in self.codebook}
        if not isinstance(labels, dict) or any(
            lab not in known or pol not in ("", *POLARITIES) for lab, pol in labels.items()
        ):
            raise ValueError("labels must map codebook ids to a polarity (neg, pos, neu or empty)")
        item = self.by_id[item_id]
        ordered = [c["id"] for c in self.codebook if c["id"] in labels]  # codebook order, as predictions are
        cell = ";".join(f"{lab}:{labels[lab]}" if labels[lab] else lab for lab in ordered)
        with self.lock:
            self.saved[item_id] = {
                **{col: item[col] for col in QUEUE_COLUMNS},
                "labels": cell,
                "predicted": item["predicted"],
                "reviewed": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            }
            self._write()
            return {"reviewed": sum(i in self.saved for i in self.by_id), "total": len(self.items)}

    def _write(self) -> None:
        frame = pd.DataFrame(list(self.saved.values()), columns=list(CORRECTION_COLUMNS)).fillna("")
        text = neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n")
        write_text_atomic(self.path, "\ufeff" + text, protect=self.protect)


def read_corrections(path: Path) -> dict[str, dict]:
    """The rows of an earlier session's corrections file by id (none when there is no file yet)."""
    from ..files.reading import open_table

    if not path.exists():
        return {}
    df = open_table(path).read()
    missing = [c for c in ("id", "text", "labels") if c not in df.columns]
    if missing:
        raise InputError(
            f"is not a corrections file of `classify review` (no {', '.join(missing)} column); "
            "give another --out, so it is not overwritten",
            path=path,
        )
    rows = df.astype(object).where(df.notna(), "").to_dict("records")
    return {str(row["id"]): {col: row.get(col, "") for col in CORRECTION_COLUMNS} for row in rows}


def _json(value) -> bytes:
    # Escaped so that no browser ever reads markup in it, whatever it sniffs.
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


class ReviewServer(ThreadingHTTPServer):
    """The page's HTTP server on 127.0.0.1 with its token; it serves `session` once one is set."""

    daemon_threads = True

    def __init__(self, port: int = 0, token: str | None = None):
        self.token = token or secrets.token_urlsafe(24)
        self.session: ReviewSession | None = None
        try:
            super().__init__((HOST, port), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(f"port {port} is in use; give another with --port, or leave --port out") from None
            raise InputError(f"cannot listen on port {port} ({exc.strerror or type(exc).__name__})") from None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/?token={self.token}"


class _Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    server_version = "classify-review"
    sys_version = ""

    def log_message(self, format, *args):  # the request lines carry the token: never print them
        pass

    def _allowed(self) -> bool:
        given = (parse_qs(urlsplit(self.path).query).get("token") or [""])[0]
        hosts = {f"{HOST}:{self.server.port}", f"localhost:{self.server.port}"}
        if self.headers.get("Host", "") not in hosts or not hmac.compare_digest(
            given.encode(), self.server.token.encode()
        ):
            self._send(403, b"forbidden", "text/plain; charset=utf-8")
            return False
        if self.server.session is None:
            self._send(503, b"the queue is not ready yet", "text/plain; charset=utf-8")
            return False
        return True

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if not self._allowed():
            return
        assert self.server.session is not None
        path = urlsplit(self.path).path
        if path in STATIC:
            name, content_type = STATIC[path]
            body = (resources.files("classifier.review") / "static" / name).read_bytes()
            self._send(200, body.replace(b"{{TOKEN}}", self.server.token.encode()), content_type)
        elif path == "/api/state":
            self._send(200, _json(self.server.session.state()), "application/json")
        else:
            self._send(404, b"not found", "text/plain; charset=utf-8")

    def do_POST(self):
        if not self._allowed():
            return
        assert self.server.session is not None
        origin = self.headers.get("Origin")
        fetch_site = self.headers.get("Sec-Fetch-Site", "same-origin")
        if (origin is not None and origin != f"http://{self.headers.get('Host')}") or fetch_site not in (
            "same-origin",
            "none",
        ):
            self._send(403, b"cross-origin writes are refused", "text/plain; charset=utf-8")
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
            self._send(415, b"writes must be application/json", "text/plain; charset=utf-8")
            return
        if urlsplit(self.path).path != "/api/save":
            self._send(404, b"not found", "text/plain; charset=utf-8")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            self._send(413, b"body too large or empty", "text/plain; charset=utf-8")
            return
        try:
            body = json.loads(self.rfile.read(length))
            progress = self.server.session.save(str(body["id"]), body["labels"])
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, _json({"error": str(exc)}), "application/json")
            return
        except InputError as exc:  # the corrections file cannot be written
            self._send(500, _json({"error": str(exc)}), "application/json")
            return
        self._send(200, _json(progress), "application/json")


def serve_queue(
    server: ReviewServer,
    session: ReviewSession,
    *,
    say: Callable[[str], None] = print,
) -> None:
    """Serve the session's page until Ctrl-C; its URL is the first line said."""
    server.session = session
    say(server.url)
    done = sum(i in session.saved for i in session.by_id)
    say(
        f"Reviewing {len(session.items)} comments ({done} done before); every change is saved to "
        f"{session.path} at once. Open the address above in a browser; Ctrl-C stops."
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    done = sum(i in session.saved for i in session.by_id)
    say(f"Stopped: {done} of {len(session.items)} comments reviewed in {session.path}")
