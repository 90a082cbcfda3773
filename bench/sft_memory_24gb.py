"""Peak GPU memory and speed of LoRA SFT of Qwen2.5-7B on ONE 24 GB card, measured on an H200 capped to 24 GiB per
process with `torch.cuda.set_per_process_memory_fraction` (issue 14), without bitsandbytes: bf16 weights, LoRA r=16
all-linear, gradient checkpointing, Liger kernels, padding-free packing, SDPA.

Each set-up runs in its own process through `medkd.sft.load_recipe` + `train` on
`bench/recipes_speed/qwen2.5-7b_lora_24gb.yaml` (batch overridden per set-up). Model: Qwen2.5-7B-shaped
`Qwen2ForCausalLM` (bench/sft_speed.py's shape) with random bf16 weights built straight on the GPU inside each process
(`medkd.sft.load_model` is patched to build it from the saved config: no 15 GB weights file to write or read).
Data: bench/sft_speed.py's real length mix (`.bench_sft`). Worst case first: the first `--long` optimizer steps hold
only the longest samples of the mix (>= 1,900 tokens, up to max_length 2048), so the peak covers the recipe's worst
step (batch x ~2048 tokens); then the mix in file order (the trainer's sampler is patched to sequential). Tokens/s and
MFU are timed over the mix steps after 2 more warm-up steps. MFU counts 4 x 7.6e9 FLOPs per useful token over
790 TFLOP/s, as bench/sft_speed.py does (the recomputed forward of checkpointing is not counted as useful work).

  python bench/sft_memory_24gb.py all --data .bench_sft --out OUT --budget 250     # GPU machine, b2 b4 b8 b16
  python bench/sft_memory_24gb.py all --data .bench_sft --out OUT --budget 120 --setups a_recipe_b4 b_b6 --recipe-steps 40
  python bench/sft_memory_24gb.py all --data .bench_sft --out /tmp/m24 --tiny      # CPU dry run (tiny model)
  python bench/sft_memory_24gb.py report bench/results/sft_memory_24gb.json
"""
import argparse, dataclasses, inspect, json, os, shutil, subprocess, sys, time
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT/'bench'))
import sft_speed as sp

RECIPE = ROOT/'bench'/'recipes_speed'/'qwen2.5-7b_lora_24gb.yaml'
GOAL_GIB, LONG_MIN = 22.0, 1900
# set-up: batch (samples per step). `all` runs the ones named, in order, stopping at the first OOM; the first gets
# --recipe-steps mix steps, the others --steps. The recorded run: call 1 the first four, call 2 a_recipe_b4 b_b6.
SETUPS = {'a_recipe_b2': 2, 'b_b4': 4, 'b_b8': 8, 'b_b16': 16, 'a_recipe_b4': 4, 'b_b6': 6}


# ---------------------------------------------------------------- model: config + tokenizer only, weights built per run
def model_dir(out:str, tokenizer:str, tiny:bool=False) -> str:
    "A folder with a Qwen2.5-7B-shaped config (tiny: 2 layers) and the tokenizer, no weights."
    cfg = sp.qwen7b_config(tiny)
    Path(out).mkdir(parents=True, exist_ok=True)
    cfg.save_pretrained(out)
    for f in Path(tokenizer).iterdir(): shutil.copy(f, Path(out)/f.name)
    return out

def patch_load_model():
    "`medkd.sft.load_model` builds the model from its config with random weights, on the GPU if there is one."
    import torch, medkd.sft as sft
    from transformers import AutoConfig, AutoModelForCausalLM
    def load_model(path, dtype='float32', attn_implementation=None, **kw):
        torch.manual_seed(0)
        dt = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        torch.set_default_dtype(dt)              # built in `dt` from the start: a float32 7B would not fit the cap
        try:
            with torch.device('cuda' if torch.cuda.is_available() else 'cpu'):
                model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(path), dtype=dt,
                                                         attn_implementation=attn_implementation)
        finally: torch.set_default_dtype(torch.float32)
        if model.dtype != dt: raise TypeError(f'model built in {model.dtype}, not {dt}')
        return model
    sft.load_model = load_model

def patch_sequential_sampler():
    "The trainer reads the data in file order (worst-case steps first)."
    import torch, transformers
    transformers.Trainer._get_train_sampler = lambda self, *a, **kw: torch.utils.data.SequentialSampler(self.train_dataset)


# ---------------------------------------------------------------- data: worst-case steps, then the mix
def step_data(data:str, batch:int, long_steps:int, mix_steps:int, out:str) -> dict:
    "Write `long_steps` x `batch` of the longest samples, then `mix_steps` x `batch` of the mix in order, to `out`."
    from medkd.core import read_records, write_records
    recs = read_records(Path(data)/'data'/'train.jsonl')
    lengths = json.loads((Path(data)/'lengths.json').read_text())['lengths']
    long = sorted((i for i, n in enumerate(lengths) if n >= LONG_MIN), key=lambda i: -lengths[i])
    if not long: long = sorted(range(len(recs)), key=lambda i: -lengths[i])[:batch]    # tiny data: the longest there are
    head = [long[k % len(long)] for k in range(long_steps * batch)]
    taken = set(long)
    rest = [i for i in range(len(recs)) if i not in taken]
    mix = [rest[k % len(rest)] for k in range(mix_steps * batch)]
    rows = []
    for k, i in enumerate(head + mix):
        r = dataclasses.replace(recs[i]); r.id = f'{r.id}-s{k}'; rows.append(r)
    write_records(out, rows)
    return dict(long_tokens_per_step=[sum(lengths[i] for i in head[s*batch:(s+1)*batch]) for s in range(long_steps)],
                mix_mean_len=sum(lengths[i] for i in mix) / max(len(mix), 1))


# ---------------------------------------------------------------- one set-up, in its own process
def _gib(b): return b / 2**30

def run_one(model:str, data:str, setup:str, batch:int, long_steps:int, mix_steps:int, warmup:int, cap_gib:float,
            result:str, tiny:bool=False):
    "Train one set-up under the memory cap; write peak memory, tokens/s and MFU (or the OOM) to `result`."
    import torch
    t_start = time.perf_counter()
    gpu = torch.cuda.is_available()
    cap = {}
    if gpu:
        total = torch.cuda.get_device_properties(0).total_memory
        frac = min(cap_gib * 2**30 / total, 1.0)
        torch.cuda.set_per_process_memory_fraction(frac, 0)
        cap = dict(cap_gib=cap_gib, fraction=frac, card_total_gib=_gib(total),
                   method='torch.cuda.set_per_process_memory_fraction')
    from transformers import TrainerCallback
    from medkd.sft import load_recipe, train
    shim = sp._compat_sft_config()
    patch_load_model(); patch_sequential_sampler()
    work = Path('/tmp/sft_memory_24gb'); work.mkdir(exist_ok=True)
    info = step_data(data, batch, long_steps, mix_steps, work/f'{setup}.jsonl')

    class Meter(TrainerCallback):
        "Per optimizer step: wall time, useful tokens so far, peak allocated and reserved so far."
        def __init__(self): self.marks = []
        def on_train_begin(self, args, state, control, **kw): self.t_begin = time.perf_counter()
        def on_step_end(self, args, state, control, **kw):
            sp._sync()
            mem = (torch.cuda.max_memory_allocated(), torch.cuda.max_memory_reserved()) if gpu else (0, 0)
            self.marks.append((time.perf_counter(), state.global_step, state.num_input_tokens_seen, *mem))

    over = dict(per_device_train_batch_size=batch, max_steps=long_steps + mix_steps, save_steps=10**6,
                logging_steps=max(1, mix_steps // 4))
    if tiny or not gpu: over.update(dtype='float32', use_liger_kernel=False)
    recipe = load_recipe(RECIPE, model=model, train_file=str(work/f'{setup}.jsonl'), eval_file=None,
                         output_dir=str(work/setup), **over)
    m, oom = Meter(), None
    quiet = {'progress': False} if 'progress' in inspect.signature(train).parameters else {}
    try: train(recipe, callbacks=[m], **quiet)
    except torch.OutOfMemoryError as e: oom = str(e).splitlines()[0][:300]
    stats = torch.cuda.memory_stats() if gpu else {}
    res = dict(setup=setup, batch=batch, recipe={**dataclasses.asdict(recipe), 'train_file': 'step_data(...)'},
               activation_checkpointing_shim=shim, cap=cap, oom=oom, steps_done=len(m.marks),
               steps_planned=long_steps + mix_steps, long_steps=long_steps, warmup_steps=warmup, **info,
               peak_allocated_gib=_gib(torch.cuda.max_memory_allocated()) if gpu else None,
               peak_reserved_gib=_gib(torch.cuda.max_memory_reserved()) if gpu else None,
               peak_after_long_steps_gib=[round(_gib(x[3]), 3) for x in m.marks[:long_steps]],
               alloc_retries=stats.get('num_alloc_retries'), ooms=stats.get('num_ooms'),
               gpu=torch.cuda.get_device_name(0) if gpu else 'cpu', versions=sp._versions(),
               setup_s=getattr(m, 't_begin', time.perf_counter()) - t_start, total_s=time.perf_counter() - t_start)
    first = long_steps + warmup                  # timed: steps first+1 .. last (mix steps only)
    if len(m.marks) > first + 1:
        (t_a, s_a, n_a, *_), (t_b, s_b, n_b, *_) = m.marks[first - 1], m.marks[-1]
        rate = (n_b - n_a) / (t_b - t_a)
        res.update(steps_timed=s_b - s_a, seconds=t_b - t_a, useful_tokens=int(n_b - n_a), tokens_per_s=rate,
                   mfu=rate * sp.FLOPS_PER_TOKEN / sp.PEAK_TFLOPS, s_per_step=(t_b - t_a) / (s_b - s_a),
                   mean_tokens_per_step=(n_b - n_a) / (s_b - s_a))
    steps = [m.t_begin] + [x[0] for x in m.marks] if m.marks else []
    res['step_seconds'] = [round(b - a, 3) for a, b in zip(steps, steps[1:])]
    res['step_tokens'] = [b[2] - a[2] for a, b in zip([(0, 0, 0)] + m.marks, m.marks)]
    Path(result).write_text(json.dumps(res, indent=1)); print(json.dumps(res), flush=True)


# ---------------------------------------------------------------- all set-ups, one process each, and the report
def run_all(data:str, out:str, budget:float, setups:list[str], cap_gib:float, long_steps:int, mix_steps:int,
            warmup:int, recipe_mix_steps:int, tiny:bool=False):
    "(a) the recipe, then (b) the larger batches until the first OOM, each in its own process, within `budget` s."
    t0 = time.time()
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    work = Path('/tmp/sft_memory_24gb'); work.mkdir(exist_ok=True)
    mdir = model_dir(str(work/('tiny' if tiny else 'q7b_config')), str(Path(data)/'q25tok'), tiny)
    env = {**os.environ, 'TOKENIZERS_PARALLELISM': 'false', 'HF_HUB_OFFLINE': '1', 'HF_DATASETS_OFFLINE': '1',
           'PYTHONUNBUFFERED': '1'}
    me = [sys.executable, str(Path(__file__).resolve())]
    results, not_run = [], {}
    for i, name in enumerate(setups):
        left = budget - (time.time() - t0)
        if left < 40: not_run[name] = f'time budget: {left:.0f} s left'; continue
        if results and results[-1].get('oom'): not_run[name] = f'not needed: {results[-1]["setup"]} ran out of memory'; continue
        f = work/f'{name}.json'; f.unlink(missing_ok=True)
        cmd = me + ['one', '--model', mdir, '--data', data, '--setup', name, '--long', str(long_steps),
                    '--steps', str(recipe_mix_steps if i == 0 else mix_steps), '--warmup', str(warmup),
                    '--cap-gib', str(cap_gib), '--result', str(f)] + (['--tiny'] if tiny else [])
        print(f'=== {name} (batch {SETUPS[name]}; {left:.0f} s of budget left)', flush=True)
        try:
            p = subprocess.run(cmd, env=env, timeout=left)
            if p.returncode: not_run[name] = f'exit {p.returncode}'
        except subprocess.TimeoutExpired: not_run[name] = f'stopped at the time budget ({left:.0f} s)'
        if f.exists(): results.append(json.loads(f.read_text()))
    summary = dict(results=results, not_run=not_run, goal_gib=GOAL_GIB, wall_s=time.time() - t0)
    (out/'sft_memory_24gb.json').write_text(json.dumps(summary, indent=1))
    report(out/'sft_memory_24gb.json')

def report(path):
    s = json.loads(Path(path).read_text())
    cap = next((r['cap'] for r in s['results'] if r.get('cap')), {})
    if cap: print(f"cap: {cap['cap_gib']} GiB per process = {cap['fraction']:.4f} of the {cap['card_total_gib']:.1f} GiB "
                  f"card ({cap['method']})")
    print(f"{'set-up':<14}{'batch':>6}{'worst step tok':>15}{'peak alloc GiB':>15}{'peak resv GiB':>14}{'tokens/s':>10}"
          f"{'MFU':>7}{'s/step':>8}  result")
    for r in s['results']:
        g = lambda k, f: format(r[k], f) if r.get(k) is not None else '-'
        worst = max(r['long_tokens_per_step']) if r['long_tokens_per_step'] else 0
        state = (f"OOM at step {r['steps_done'] + 1}" if r['oom'] else
                 'fits' if r['peak_reserved_gib'] is None or r['peak_reserved_gib'] <= s['goal_gib'] else 'over goal')
        print(f"{r['setup']:<14}{r['batch']:>6}{worst:>15}{g('peak_allocated_gib', '.2f'):>15}"
              f"{g('peak_reserved_gib', '.2f'):>14}"
              f"{g('tokens_per_s', '.0f'):>10}{g('mfu', '.1%'):>7}{g('s_per_step', '.3f'):>8}  {state}")
    for k, v in s['not_run'].items(): print(f'not run / incomplete: {k}: {v}')
    for a in s['results']:
        if not a['setup'].startswith('a_recipe') or a['oom'] or a.get('peak_reserved_gib') is None: continue
        ok = a['peak_reserved_gib'] <= s['goal_gib'] and a['peak_allocated_gib'] <= s['goal_gib']
        print(f"24 GB recipe, batch {a['batch']}: peak {a['peak_allocated_gib']:.2f} GiB allocated / "
              f"{a['peak_reserved_gib']:.2f} GiB reserved under the {a['cap']['cap_gib']} GiB cap, goal <= {s['goal_gib']} GiB: "
              f"{'PASS' if ok else 'FAIL'}; {a.get('tokens_per_s', float('nan')):.0f} useful tokens/s, "
              f"MFU {a.get('mfu', float('nan')):.1%}")


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('one'); a.add_argument('--model', required=True); a.add_argument('--data', required=True)
    a.add_argument('--setup', choices=list(SETUPS), required=True); a.add_argument('--long', type=int, default=3)
    a.add_argument('--steps', type=int, default=20); a.add_argument('--warmup', type=int, default=2)
    a.add_argument('--cap-gib', type=float, default=24.0); a.add_argument('--result', required=True)
    a.add_argument('--tiny', action='store_true')
    a = sub.add_parser('all'); a.add_argument('--data', default='.bench_sft'); a.add_argument('--out', required=True)
    a.add_argument('--budget', type=float, default=250); a.add_argument('--setups', nargs='+', default=list(SETUPS)[:4])
    a.add_argument('--cap-gib', type=float, default=24.0); a.add_argument('--long', type=int, default=3)
    a.add_argument('--steps', type=int, default=12); a.add_argument('--recipe-steps', type=int, default=40)
    a.add_argument('--warmup', type=int, default=2); a.add_argument('--tiny', action='store_true')
    a = sub.add_parser('report'); a.add_argument('path')
    o = p.parse_args()
    if o.cmd == 'one':
        run_one(o.model, o.data, o.setup, SETUPS[o.setup], o.long, o.steps, o.warmup, o.cap_gib, o.result, o.tiny)
    elif o.cmd == 'all':
        run_all(o.data, o.out, o.budget, o.setups, o.cap_gib, o.long, o.steps, o.warmup, o.recipe_steps, o.tiny)
    else: report(o.path)
