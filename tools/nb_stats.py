"""Per-notebook figures for the book's shape: code cells, mean and max lines per code cell, definitions per export cell,
cells with saved outputs, and statements joined with `;`. Run: `python tools/nb_stats.py [nbs/*.ipynb] [--check]`.

Lines are the lines of a cell's source without its `#|` directives. A definition is a top-level `def`, `async def` or
`class`; definitions per export cell averages over `#| export` cells that define at least one thing. `--check` exits 1
if a chapter misses a goal of the book issue (mean lines <= 7, no cell over 30 lines, <= 1.3 definitions per export
cell, saved outputs in at least a third of the code cells, no `;`-joined statements)."""
import ast, json, re, sys
from pathlib import Path

GOALS = dict(mean_lines=7.0, max_lines=30, defs_per_export=1.3, output_share=1/3, joined=0)

def _lines(src:str) -> list[str]: return [l for l in src.splitlines() if not re.match(r'\s*#\|', l)]

def _joined(src:str) -> int:
    "Statements that share a line with another statement (`a = 1; b = 2`)."
    try: tree = ast.parse('\n'.join(l if not l.lstrip().startswith(('%', '!')) else '' for l in src.splitlines()))
    except SyntaxError: return 0
    n = 0
    for node in ast.walk(tree):
        body = getattr(node, 'body', None)
        if not isinstance(body, list): continue
        for a, b in zip(body, body[1:]):
            if isinstance(a, ast.stmt) and isinstance(b, ast.stmt) and b.lineno == a.end_lineno: n += 1
    return n

def _defs(src:str) -> int:
    try: tree = ast.parse('\n'.join(_lines(src)))
    except SyntaxError: return 0
    return sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in tree.body)

def stats(path:Path) -> dict:
    "Figures of one notebook."
    cells = [c for c in json.loads(Path(path).read_text(encoding='utf-8'))['cells'] if c['cell_type'] == 'code']
    srcs = [''.join(c['source']) for c in cells]
    n_lines = [len(_lines(s)) for s in srcs]
    exp = [_defs(s) for s in srcs if re.search(r'^#\|\s*export', s, re.M)]
    exp = [d for d in exp if d]
    return dict(notebook=Path(path).name, code_cells=len(cells), mean_lines=round(sum(n_lines)/max(1, len(n_lines)), 1),
                max_lines=max(n_lines, default=0), defs_per_export=round(sum(exp)/max(1, len(exp)), 2),
                with_output=sum(bool(c.get('outputs')) for c in cells), joined=sum(map(_joined, srcs)))

def misses(s:dict) -> list[str]:
    "The goals `s` misses, in words."
    out = []
    if s['mean_lines'] > GOALS['mean_lines']: out.append(f"mean lines {s['mean_lines']} > {GOALS['mean_lines']}")
    if s['max_lines'] > GOALS['max_lines']: out.append(f"a cell of {s['max_lines']} lines > {GOALS['max_lines']}")
    if s['defs_per_export'] > GOALS['defs_per_export']: out.append(f"{s['defs_per_export']} definitions per export cell")
    if s['with_output'] < GOALS['output_share'] * s['code_cells']: out.append(f"outputs in {s['with_output']}/{s['code_cells']} cells")
    if s['joined']: out.append(f"{s['joined']} ;-joined statements")
    return out

def main(args:list[str]) -> int:
    check = '--check' in args
    paths = [Path(a) for a in args if a != '--check'] or sorted(Path('nbs').glob('*.ipynb'))
    rows = [stats(p) for p in paths]
    print(f"{'notebook':24} {'cells':>5} {'mean':>5} {'max':>4} {'defs/exp':>8} {'outputs':>8} {'joined':>6}  goals")
    bad = 0
    for s in rows:
        m = misses(s); bad += bool(m)
        print(f"{s['notebook']:24} {s['code_cells']:5} {s['mean_lines']:5} {s['max_lines']:4} {s['defs_per_export']:8} "
              f"{s['with_output']:8} {s['joined']:6}  {'; '.join(m) or 'met'}")
    return 1 if check and bad else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
