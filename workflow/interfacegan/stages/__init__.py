"""One module per pipeline stage; each `run` reads and writes artifacts of a Layout."""
