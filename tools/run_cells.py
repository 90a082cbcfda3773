"""Run a notebook's `#| gpu` cells on a GPU machine and put their outputs into the notebook here.

On the GPU machine, from the repository root: `python tools/run_cells.py run nbs/05_sft.ipynb --out $OUT` imports the
notebook's exported module (`from medkd.<default_exp> import *`), then executes every cell flagged `#| gpu`, in order, in
one shell whose working folder is `nbs/` (as `nbdev-test` runs), and writes `cells_<notebook>.json`: each cell's id, a hash
of its source, its outputs (an error becomes the cell's output, and the run goes on), the device and versions.
Here: `python tools/run_cells.py apply cells_05_sft.json nbs/05_sft.ipynb` writes those outputs into the cells whose id and
source hash match, and refuses (exit 1) if any cell changed since the run. Outputs are never typed by hand."""
import hashlib, json, os, re, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nb_paths import ROOT, scrub

def src_hash(src:str) -> str: return hashlib.sha1(src.encode()).hexdigest()[:12]

def gpu_cells(nb) -> list:
    "The code cells flagged `#| gpu`."
    return [c for c in nb.cells if c.cell_type == 'code' and re.search(r'^#\|\s*gpu\b', c.source, re.M)]

def execute(src:str, ns:dict) -> list:
    "Run one cell's source in `ns` as a notebook does; its outputs in nbformat (stdout, the last expression's repr)."
    import ast, contextlib, io, pprint
    tree, buf, outs = ast.parse(src), io.StringIO(), []
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    with contextlib.redirect_stdout(buf):
        exec(compile(tree, '<cell>', 'exec'), ns)
        val = eval(compile(ast.Expression(last.value), '<cell>', 'eval'), ns) if last else None
    if buf.getvalue(): outs.append(dict(name='stdout', output_type='stream', text=buf.getvalue().splitlines(True)))
    if val is not None:
        outs.append(dict(data={'text/plain': pprint.pformat(val, width=116).splitlines(True)}, execution_count=None,
                         metadata={}, output_type='execute_result'))
    return outs

def run(path:str, out:str):
    "Execute the `gpu` cells of `path` after importing its module; write `cells_<stem>.json` into `out`."
    import traceback
    from fastcore.nbio import read_nb
    path, out = Path(path).resolve(), Path(out).resolve()
    nb = read_nb(path)
    mod = re.search(r'^#\|\s*default_exp\s+([\w.]+)', '\n'.join(c.source for c in nb.cells[:3]), re.M)[1]
    cwd, ns = os.getcwd(), {}
    os.chdir(path.parent)
    try:
        exec(f'from medkd.{mod} import *\nimport torch, transformers', ns)
        res = dict(notebook=path.name, device=ns['torch'].cuda.get_device_name(), cells=[],
                   versions=dict(torch=ns['torch'].__version__, transformers=ns['transformers'].__version__))
        for c in gpu_cells(nb):
            t, err = time.perf_counter(), None
            try: outs = execute(c.source, ns)
            except Exception:
                err = traceback.format_exc()[-3000:]
                outs = [dict(name='stderr', output_type='stream', text=err.splitlines(True))]
            res['cells'].append(dict(id=c.get('id'), sha=src_hash(c.source), outputs=scrub(outs), error=err,
                                     seconds=round(time.perf_counter() - t, 1)))
            print(c.get('id'), 'error' if err else 'ok', res['cells'][-1]['seconds'], 's', err or '', flush=True)
            (out/f'cells_{path.stem}.json').write_text(json.dumps(res, indent=1, ensure_ascii=False) + '\n')
    finally: os.chdir(cwd)

def apply(result:str, path:str):
    "Put the outputs of `result` into the matching `gpu` cells of `path`; exit 1 on a changed or failed cell."
    from fastcore.nbio import read_nb, write_nb
    res, nb = json.loads(Path(result).read_text()), read_nb(path)
    cells = {c.get('id'): c for c in gpu_cells(nb)}
    bad = [r['id'] for r in res['cells'] if r['id'] not in cells or src_hash(cells[r['id']].source) != r['sha']]
    if bad: sys.exit(f'{path}: cells changed since the device run: {bad}')
    for r in res['cells']: cells[r['id']].outputs = r['outputs']
    write_nb(nb, path)
    failed = [r['id'] for r in res['cells'] if r['error']]
    print(f"{path}: outputs of {len(res['cells'])} gpu cells from {res['device']} {res['versions']}; failed: {failed}")
    if failed: sys.exit(1)

if __name__ == '__main__':
    cmd, *a = sys.argv[1:]
    if cmd == 'run': run(a[0], a[a.index('--out') + 1] if '--out' in a else '.')
    elif cmd == 'apply': apply(*a)
    else: sys.exit(__doc__)
