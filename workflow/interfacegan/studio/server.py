"""`interfacegan studio`: the editor as a local web page, served by the standard library.

Each page load is a visitor with a session token and a private temporary folder (uploads,
alignment crops), removed when the page closes or after an hour idle; one visitor never sees
another's faces. Networks run one request at a time. The page fetches nothing but this server.
"""

import base64
import json
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from ..artifacts import ArtifactError, CheckpointError
from ..config import ConfigError
from ..figures import png_bytes
from .editor import Face, Rendered, Studio

PAGE = Path(__file__).with_name("page.html")
MAX_UPLOAD = 20 * 2**20  # bytes of one photo
IDLE = 3600  # seconds before an idle visitor's session and folder are removed


@dataclass
class Visitor:
    folder: Path
    face: Face | None = None
    last: Rendered | None = None
    edit: dict = field(default_factory=dict)  # the last edit's settings, for export
    progress: dict = field(default_factory=lambda: {"done": 0, "total": 0, "message": ""})
    seen: float = field(default_factory=time.monotonic)


class StudioServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, studio: Studio, address: tuple[str, int]):
        super().__init__(address, Handler)
        self.studio = studio
        self.visitors: dict[str, Visitor] = {}
        self.networks = threading.Lock()  # one request on the networks at a time

    def visitor(self, token: str) -> Visitor:
        self.expire()
        if token not in self.visitors:
            raise ConfigError("this page's session has ended; reload the page")
        visitor = self.visitors[token]
        visitor.seen = time.monotonic()
        return visitor

    def welcome(self) -> str:
        token = secrets.token_urlsafe(16)
        self.visitors[token] = Visitor(Path(tempfile.mkdtemp(prefix="interfacegan-studio-")))
        return token

    def farewell(self, token: str) -> None:
        visitor = self.visitors.pop(token, None)
        if visitor:
            shutil.rmtree(visitor.folder, ignore_errors=True)

    def expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, v in self.visitors.items() if now - v.seen > IDLE]:
            self.farewell(token)

    def server_close(self) -> None:
        for token in list(self.visitors):
            self.farewell(token)
        super().server_close()


class Handler(BaseHTTPRequestHandler):
    server: StudioServer

    def log_message(self, format: str, *args) -> None:  # quiet: one line per error only
        pass

    def do_GET(self) -> None:
        if self.path == "/":
            page = PAGE.read_text(encoding="utf-8").replace("{{TOKEN}}", self.server.welcome())
            self.send(page.encode(), "text/html; charset=utf-8")
        elif self.path == "/favicon.ico":
            self.send(b"", "image/x-icon", HTTPStatus.NO_CONTENT)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def do_POST(self) -> None:
        if self.path not in ROUTES:
            return self.send_error(HTTPStatus.NOT_FOUND)
        try:
            body = self.body()
            if self.path == "/api/close":  # the page's last word (a beacon: no headers of ours)
                self.server.farewell(json.loads(body or b"{}").get("token", ""))
                return self.reply({})
            visitor = self.server.visitor(self.headers.get("X-Session", ""))
            if self.path == "/api/progress":  # read while an upload holds the networks
                return self.reply(visitor.progress)
            with self.server.networks:
                self.reply(ROUTES[self.path](self.server.studio, visitor, body, self.headers))
        except (ConfigError, ArtifactError, CheckpointError, ValueError) as err:
            self.reply({"error": " ".join(str(err).split())}, HTTPStatus.BAD_REQUEST)
        except KeyError as err:  # a request without a field its route reads
            self.reply({"error": f"the request lacks {err}"}, HTTPStatus.BAD_REQUEST)

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_UPLOAD:
            raise ConfigError(
                f"the upload is {length / 2**20:.0f} MB; photos of at most {MAX_UPLOAD // 2**20} MB are taken"
            )
        return self.rfile.read(length)

    def reply(self, content: dict, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send(json.dumps(content).encode(), "application/json", status)

    def send(self, data: bytes, kind: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)


# --- the routes: (studio, visitor, body, headers) -> JSON ---


def meta(studio: Studio, visitor: Visitor, body: bytes, headers) -> dict:
    """What the page lays out: attributes, boundaries per space, faces to start from."""
    return {
        "run": studio.config["run"],
        "attributes": studio.config["attributes"],
        "boundaries": studio.boundaries(),
        "samples": studio.config["n_samples"],
        "photos": studio.photos(),
        "wp_layers": studio.auto_layers,
        "range": studio.slider_range(),
        "translators": studio.translators(),
        "strength_range": (studio.config["translator"] or {}).get("strength_range"),
    }


def choose(studio: Studio, visitor: Visitor, body: bytes, headers) -> dict:
    """Start from a sample of the run (index), a fresh seed, or one of the run's inverted photos (index)."""
    request = json.loads(body)
    kinds = {
        "sample": lambda: studio.sample(int(request["index"])),
        "seed": lambda: studio.fresh(int(request["seed"])),
        "real": lambda: studio.real(int(request["index"])),
    }
    if request.get("kind") not in kinds:
        raise ConfigError(f"a face is a sample, a seed or a real photo, not {request.get('kind')!r}")
    visitor.face = kinds[request["kind"]]()
    return rendered(studio, visitor, {})


def edit(studio: Studio, visitor: Visitor, body: bytes, headers) -> dict:
    return rendered(studio, visitor, json.loads(body))


def rendered(studio: Studio, visitor: Visitor, request: dict) -> dict:
    face = face_of(visitor)
    settings = {
        "boundary": request.get("boundary"),
        "space": request.get("space") or next(iter(face.codes)),
        "amount": float(request.get("amount", 0.0)),
        "layers": studio.layers(request.get("boundary"), request.get("layers")),
    }
    return shown(visitor, studio.render(face, **settings), settings, face.origin)


def translate(studio: Studio, visitor: Visitor, body: bytes, headers) -> dict:
    """The face through a boundary's translator at a strength: one forward pass, no code moved."""
    face, request = face_of(visitor), json.loads(body)
    settings = {"translator": request["translator"], "strength": float(request["strength"])}
    result = studio.translated(face, settings["translator"], settings["strength"])
    return shown(visitor, result, settings, f"{face.origin} · translator {settings['translator']}")


def shown(visitor: Visitor, result: Rendered, settings: dict, origin: str) -> dict:
    """What the page shows of a result, kept as the visitor's last (for identity and export)."""
    visitor.last, visitor.edit = result, settings
    return {
        "image": png_url(result.image),
        "scores": result.scores.round(4).tolist(),
        "origin": origin,
        "spaces": list(visitor.face.codes),
        "layers": settings.get("layers"),
    }


def face_of(visitor: Visitor) -> Face:
    if visitor.face is None:
        raise ConfigError("choose a face first")
    return visitor.face


def identity(studio: Studio, visitor: Visitor, body: bytes, headers) -> dict:
    """dlib's distance of the image on the page to the face's start."""
    if visitor.last is None:
        raise ConfigError("choose a face first")
    return {"identity": round(studio.identity_distance(visitor.face, visitor.last.image), 4)}


def upload(studio: Studio, visitor: Visitor, body: bytes, headers) -> dict:
    """A dropped photo: aligned like the run's photos, inverted (encoder, then a few steps)."""
    name = Path(headers.get("X-Filename", "photo.png")).name  # shown as text, never used as a path
    suffix = Path(name).suffix.lower()
    if suffix not in (".png", ".jpg", ".jpeg"):
        raise ConfigError(f"a photo is a .png or .jpg file, not {suffix or 'a file without a suffix'}")
    path = visitor.folder / f"upload{suffix}"
    path.write_bytes(body)
    visitor.face, notes = studio.photo(path, visitor.progress)
    visitor.face.origin = name
    return rendered(studio, visitor, {}) | {"notes": notes}


def export(studio: Studio, visitor: Visitor, body: bytes, headers) -> dict:
    """The current image (PNG), code (.npy) and the edit as YAML that `interfacegan edit --replay` runs."""
    if visitor.last is None:
        raise ConfigError("nothing to export yet")
    if "translator" in visitor.edit:  # a translation is no edit of a code: the image alone
        return {"face.png": base64.b64encode(png_bytes(visitor.last.image)).decode()}
    files = studio.export(visitor.face, visitor.last, visitor.edit)
    return {name: base64.b64encode(data).decode() for name, data in files.items()}


def png_url(image: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode()


ROUTES = {
    "/api/meta": meta,
    "/api/choose": choose,
    "/api/edit": edit,
    "/api/translate": translate,
    "/api/identity": identity,
    "/api/upload": upload,
    "/api/export": export,
    "/api/progress": None,
    "/api/close": None,
}  # the last two are answered without the networks


def open_studio(config_path: str, results: str, host: str, port: int, steps: int) -> None:
    """`interfacegan studio`: serve until interrupted."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"interfacegan: warning: the studio listens on {host}: anyone who can reach this machine can use it",
            flush=True,
        )
    server = StudioServer(Studio(config_path, results, steps), (host, port))
    print(
        f"InterFaceGAN studio: http://{'127.0.0.1' if host == '0.0.0.0' else host}:{server.server_address[1]}/ (Ctrl-C stops it)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
