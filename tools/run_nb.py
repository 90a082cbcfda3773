"""Execute notebooks and save their outputs in place, skipping the cells that `nbdev-test` skips (the `tst_flags` of
`pyproject.toml` and `#| eval: false`). Run from the repository root: `python tools/run_nb.py nbs/01_crawl.ipynb ...`.

Outputs are what a reader sees without running anything, so they must be stable: the repository's absolute path is
replaced by `.`, and a cell that raises stops the run with the cell's index and source (nothing is saved then)."""
import os, re, sys
from pathlib import Path
from fastcore.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
sys.path.insert(0, str(Path(__file__).resolve().parent))
from nb_paths import ROOT, scrub

def flags() -> list[str]:
    "The test flags from `pyproject.toml` `[tool.nbdev] tst_flags`."
    m = re.search(r'^tst_flags\s*=\s*"([^"]*)"', (ROOT/'pyproject.toml').read_text(encoding='utf-8'), re.M)
    return (m[1].split() if m else []) + ['eval: false']

def skipped(cell, fl:list[str]) -> bool:
    "True for markdown cells and code cells that carry a test flag."
    if cell.cell_type != 'code': return True
    return any(re.search(rf'^#\|\s*{re.escape(f)}\b', cell.source, re.M) for f in fl)

def run(path:Path):
    "Execute `path` in its own folder and write the outputs back."
    nb, fl = read_nb(path), flags()
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        sh = CaptureShell(path)
        for i, c in enumerate(nb.cells):
            if skipped(c, fl): continue
            sh.cell(c)
            if sh.exc: raise RuntimeError(f'{path.name} cell {i} failed:\n{c.source}\n{sh.exc!r}')
            c.outputs = scrub(c.outputs)
            c.metadata.pop('execution', None)
            c.execution_count = None
    finally: os.chdir(cwd)
    write_nb(nb, path)
    print(f'{path}: outputs saved')

if __name__ == '__main__':
    for p in sys.argv[1:]: run(Path(p).resolve())
