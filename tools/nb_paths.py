"""What tools/run_nb.py and tools/run_cells.py share: the repository root, and outputs scrubbed of its absolute path.

Standard library only: run_cells.py runs on the GPU machine, where nbdev and execnb may be missing."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def scrub(o):
    "Replace the repository's absolute path in a saved output with '.' (`nbs/` with nothing: outputs run there)."
    if isinstance(o, str): return o.replace(str(ROOT/'nbs') + '/', '').replace(str(ROOT), '.')
    if isinstance(o, list): return [scrub(v) for v in o]
    if isinstance(o, dict): return type(o)({k: scrub(v) for k, v in o.items()})
    return o
