"""The studio's latency as a person sees it: a slider move to the new image and score bars on
the page, measured in headless Chromium (Debian's) on the real page and server.

The page's own JavaScript moves one slider to --moves positions in turn: each move sets the
value and fires the input event the way a drag does, then waits until the image and the bars
have changed. The time from the event to the changed page is one latency; the script prints
their median and 90th percentile, and the server's share (the render and scores alone). dlib's
identity distance (about 90 ms at 64x64) is asked for only once a slider rests, so a drag
never waits for it.

Run by hand on a finished run (`make run` first for the default):
  .venv/bin/python bench/studio.py [--config config.yaml] [--results results] [--boundary smile]
      [--space z] [--moves 60] [--threads 2]
"""

import argparse
import shutil
import statistics
import threading
import time

import numpy as np
import torch
from playwright.sync_api import sync_playwright

from interfacegan.studio.editor import Studio
from interfacegan.studio.server import StudioServer

MEASURE = """async ([slider, moves]) => {
  const input = document.getElementById(slider), face = document.getElementById("face");
  const times = [];
  for (let i = 0; i < moves; i++) {
    const before = face.src;
    const changed = new Promise((resolve) => {
      const observer = new MutationObserver(() => { if (face.src !== before) { observer.disconnect(); resolve(); } });
      observer.observe(face, {attributes: true});
    });
    const start = performance.now();
    input.value = (i % 2 ? 1 : -1) * (0.5 + (i % 5) * 0.5);
    input.dispatchEvent(new Event("input"));
    await changed;
    await new Promise(requestAnimationFrame);  // the bars are drawn in the same task as the image
    times.push(performance.now() - start);
  }
  return times;
}"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="config.yaml")
    p.add_argument("--results", default="results")
    p.add_argument("--boundary", default="smile")
    p.add_argument("--space", default="z")
    p.add_argument("--moves", type=int, default=60)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    studio = Studio(args.config, args.results)
    server = StudioServer(studio, ("127.0.0.1", 0))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    face = studio.sample(0)
    server_ms = []
    for amount in np.linspace(-3, 3, args.moves):
        start = time.perf_counter()
        studio.render(face, args.boundary, args.space, float(amount))
        server_ms.append(1000 * (time.perf_counter() - start))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.wait_for_function("document.getElementById('face').src.startsWith('data:')")
        page_ms = page.evaluate(MEASURE, [f"slider-{args.space}-{args.boundary}", args.moves])
        browser.close()
    server.shutdown()
    server.server_close()
    resolution = studio.generator.resolution
    print(
        f"{studio.config['run']} ({studio.generator.name}, {resolution}x{resolution}, {args.threads} threads), "
        f"{args.moves} moves of {args.boundary} in {args.space}"
    )
    for name, values in (("slider -> image and bars (browser)", page_ms), ("render + scores (server)", server_ms)):
        print(f"  {name}: median {statistics.median(values):.1f} ms, p90 {np.percentile(values, 90):.1f} ms")


if __name__ == "__main__":
    main()
