"""LoRA SFT speed on one GPU: medkd's fast recipe (`medkd.sft.load_recipe` + `train`) against the plain padded
transformers + peft loop, on the same length mix, in one run (issue 17).

The model is Qwen2.5-7B-shaped (28 layers, hidden 3584, 28/4 heads, intermediate 18944, vocab 152,064, untied) with
random bf16 weights built on the GPU machine and saved to a local folder (no hub there); the tokenizer is Qwen2.5's
real one rebuilt offline (medkd.testing). The data are the repo's real records (iiyi + CMB-Clin) cut or extended with
real rationale text to lognormal token lengths (median 800, sigma 0.6, clipped to [96, 2048]), so every sample keeps
its `<|im_end|>` and none is truncated. Useful tokens = non-padding tokens of the samples trained (prompt included).

  python bench/sft_speed.py prepare --out .bench_sft                  # here: tokenizer + length-mix records
  python bench/sft_speed.py all --data .bench_sft --out OUT --budget 480   # GPU machine: model, every set-up, report
  python bench/sft_speed.py report OUT/sft_speed.json                 # the table again

`all` runs each set-up in its own process (Liger patches modules globally; peak memory is per process):
plain (padded batch 4, gradient checkpointing, SDPA: the usual tutorial; `--plain-steps 0` skips it), then the medkd
set-ups named by `--setups` (from SETUPS), skipping those that no longer fit the time budget. MFU counts
4 x 7.6e9 FLOPs per useful token over 790 TFLOP/s. "warm-up +s" is the time the warm-up steps (step 1 included) took
beyond steady steps: compile and autotuning, paid once per run, and counted in the projection of the seed's full run.
"""
import argparse, dataclasses, inspect, json, math, os, shutil, subprocess, sys, time
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PEAK_TFLOPS, FLOPS_PER_TOKEN = 790e12, 4 * 7.6e9      # LoRA: forward + activation gradients, no weight gradients
SEED_RECORDS, SEED_EPOCHS, SEED_HOURS = 62_766, 2, 40.0  # the seed's full run: 40 h on three RTX 3090s
BASE_RECIPE = ROOT/'bench'/'recipes_speed'/'qwen2.5-7b_lora_speed.yaml'

# medkd set-ups: recipe values on top of BASE_RECIPE, in the order `all` runs them (most informative first)
SETUPS = {
    'packed_flex_b8':               dict(packing=True, per_device_train_batch_size=8, gradient_checkpointing=False,
                                         attn_implementation='flex_attention'),
    'packed_flex_liger_b8':         dict(packing=True, per_device_train_batch_size=8, gradient_checkpointing=False,
                                         attn_implementation='flex_attention', use_liger_kernel=True),
    'packed_flex_liger_compile_b8': dict(packing=True, per_device_train_batch_size=8, gradient_checkpointing=False,
                                         attn_implementation='flex_attention', use_liger_kernel=True, torch_compile=True),
    'packed_sdpa_b8':               dict(packing=True, per_device_train_batch_size=8, gradient_checkpointing=False,
                                         attn_implementation='sdpa'),
    'shipped_padded_gc_b2':         dict(packing=False, per_device_train_batch_size=2, gradient_checkpointing=True,
                                         attn_implementation='sdpa'),
}
SWITCHES = ('attn_implementation', 'use_liger_kernel', 'torch_compile')


# ---------------------------------------------------------------- data: the length mix, built here
def target_lengths(n:int, median:float=800, sigma:float=0.6, lo:int=96, hi:int=2048, seed:int=0) -> list[int]:
    "Lognormal token lengths (median, sigma), rounded and clipped to [lo, hi]."
    import numpy as np
    x = np.exp(np.random.default_rng(seed).normal(math.log(median), sigma, n))
    return [int(v) for v in np.clip(np.round(x), lo, hi)]

def _n_tokens(rec, tok) -> int:
    from medkd.sft import tokenize_record
    return len(tokenize_record(rec, tok)['input_ids'])

def _longest_fit(make, n_max:int, limit:int, tok) -> int:
    "Largest k in [0, n_max] with `_n_tokens(make(k)) <= limit` (token count grows with k); -1 if none."
    if _n_tokens(make(0), tok) > limit: return -1
    lo, hi = 0, n_max
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _n_tokens(make(mid), tok) <= limit: lo = mid
        else: hi = mid - 1
    return lo

def fit_record(r, length:int, tok, pool:str, offset:int):
    "Copy of real record `r` tokenized to `length` tokens (or just below): case text cut, rationale from `pool`."
    from medkd.core import SFTRecord, join_output
    d = r.to_dict()
    ans = r.answer[:200]
    room = length - 24                      # leave room for at least a short rationale
    with_input = lambda k: SFTRecord(**{**d, 'input': r.input[:k], 'output': join_output('', ans)})
    k = _longest_fit(with_input, len(r.input), room, tok)
    if k >= 0: base = with_input(k)
    else:                                   # a short sample: no case text, the instruction and answer cut too
        ans = ans[:16]
        with_instr = lambda k: SFTRecord(**{**d, 'instruction': r.instruction[:k], 'input': '', 'output': join_output('', ans)})
        k = _longest_fit(with_instr, len(r.instruction), room, tok)
        if k < 0: raise ValueError(f'{r.id}: system prompt and answer alone are over {room} tokens')
        base = with_instr(k)
    text = (pool * (2 + 4*length // max(len(pool), 1)))[offset:]
    with_rat = lambda c: SFTRecord(**{**base.to_dict(), 'output': join_output(text[:c], ans)})
    c = _longest_fit(with_rat, min(len(text), 4*length), length, tok)
    return with_rat(c), c

def prepare(out:str, n:int=1024, seed:int=0):
    "Tokenizer folder and `n` length-mix records (`data/train.jsonl`, `lengths.json`) under `out`."
    from medkd.testing import qwen25_tokenizer_dir
    from medkd.pipeline import demo_records
    from medkd.core import write_records
    from medkd.sft import load_tokenizer
    out = Path(out); shutil.copytree(qwen25_tokenizer_dir(), out/'q25tok', dirs_exist_ok=True)
    tok = load_tokenizer(str(out/'q25tok'))
    recs = demo_records(max_input=None, max_rationale=None, max_answer=None, instruction=None)   # real, unclipped
    pool = ''.join(r.rationale.replace('\n', ' ') + ' ' for r in recs)
    rows, offset = [], 0
    for i, L in enumerate(target_lengths(n, seed=seed)):
        rec, used = fit_record(recs[i % len(recs)], L, tok, pool, offset)
        rec.id = f'{rec.id}-len{i}'
        rows.append(rec); offset = (offset + used) % len(pool)
    write_records(out/'data'/'train.jsonl', rows)
    got = [_n_tokens(r, tok) for r in rows]
    tgt = target_lengths(n, seed=seed)
    stats = dict(n=n, mean=sum(got)/n, median=sorted(got)[n//2], min=min(got), max=max(got),
                 mean_target=sum(tgt)/n, max_abs_diff=max(abs(a - b) for a, b in zip(got, tgt)), lengths=got)
    (out/'lengths.json').write_text(json.dumps(stats))
    print(json.dumps({k: v for k, v in stats.items() if k != 'lengths'}))


# ---------------------------------------------------------------- model: built on the GPU machine
def qwen7b_config(tiny:bool=False):
    "A Qwen2.5-7B-shaped `Qwen2Config` (tiny: 2 layers, hidden 64, for CPU tests)."
    from transformers import Qwen2Config
    shape = (dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
             if tiny else dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                               num_key_value_heads=4))
    return Qwen2Config(vocab_size=152064, max_position_embeddings=32768, rope_theta=1e6, rms_norm_eps=1e-6,
                       tie_word_embeddings=False, bos_token_id=151643, eos_token_id=151643, pad_token_id=151643,
                       use_cache=False, **shape)

def make_model(out:str, tokenizer:str, tiny:bool=False):
    "Qwen2.5-7B-shaped Qwen2ForCausalLM with random bf16 weights (tiny: a 2-layer one for CPU tests), saved to `out`."
    import torch
    from transformers import Qwen2ForCausalLM, GenerationConfig
    t = time.time()
    cfg = qwen7b_config(tiny)
    torch.manual_seed(0)
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    torch.set_default_dtype(torch.bfloat16 if dev == 'cuda' else torch.float32)
    with torch.device(dev): model = Qwen2ForCausalLM(cfg)
    torch.set_default_dtype(torch.float32)
    model.generation_config = GenerationConfig(eos_token_id=[151645, 151643], pad_token_id=151643)
    model.save_pretrained(out)
    for f in Path(tokenizer).iterdir(): shutil.copy(f, Path(out)/f.name)
    print(f'{model.num_parameters()/1e9:.2f}B parameters saved to {out} in {time.time()-t:.0f} s', flush=True)


# ---------------------------------------------------------------- measurement helpers
def _sync():
    import torch
    if torch.cuda.is_available(): torch.cuda.synchronize()

def _summary(name, marks, warmup, total_s, samples_per_step, extra):
    "Rate over steps warmup+1..last from per-step marks [(time, step, useful tokens so far)]."
    import torch
    (t_a, s_a, n_a), (t_b, s_b, n_b) = marks[warmup - 1], marks[-1]
    t_begin = extra.pop('t_begin')
    step_s = [b[0] - a[0] for a, b in zip([(t_begin, 0, 0)] + marks[:-1], marks)]
    rate = (n_b - n_a) / (t_b - t_a)
    # time the warm-up steps took beyond steady steps: compile, autotune, first-touch (counted once per run)
    warm_extra = (t_a - t_begin) - warmup * (t_b - t_a) / (s_b - s_a)
    gpu = torch.cuda.is_available()
    return dict(setup=name, steps_timed=s_b - s_a, seconds=t_b - t_a, useful_tokens=int(n_b - n_a), tokens_per_s=rate,
                mfu=rate * FLOPS_PER_TOKEN / PEAK_TFLOPS, s_per_step=(t_b - t_a) / (s_b - s_a),
                samples_per_step=samples_per_step, warmup_steps=warmup, warmup_extra_s=warm_extra, total_seconds=total_s,
                setup_s=t_begin - extra.pop('t_start'), step_seconds=[round(s, 3) for s in step_s],
                peak_gib=torch.cuda.max_memory_allocated() / 2**30 if gpu else None,
                gpu=torch.cuda.get_device_name(0) if gpu else 'cpu', versions=_versions(), **extra)

def _versions():
    out = {}
    for m in ('torch', 'transformers', 'peft', 'trl', 'accelerate', 'datasets', 'liger_kernel', 'triton'):
        try: out[m] = __import__(m).__version__
        except Exception:
            try:
                from importlib.metadata import version
                out[m] = version(m.replace('_', '-'))
            except Exception: out[m] = None
    return out


# ---------------------------------------------------------------- the plain padded loop (the usual tutorial)
def plain(model:str, data:str, steps:int, warmup:int, batch:int, result:str):
    "transformers + peft by hand: padded batches of `batch` in shuffled order, gradient checkpointing, SDPA, AdamW."
    import random, torch
    from transformers import AutoModelForCausalLM
    from peft import LoraConfig, get_peft_model
    from medkd.core import read_records
    from medkd.sft import load_tokenizer, tokenize_record
    t_start = time.perf_counter()
    gpu = torch.cuda.is_available()
    tok = load_tokenizer(model)
    rows = [tokenize_record(r, tok) for r in read_records(Path(data)/'data'/'train.jsonl')]
    random.Random(42).shuffle(rows)
    m = AutoModelForCausalLM.from_pretrained(model, dtype=torch.bfloat16 if gpu else torch.float32,
                                             attn_implementation='sdpa').to('cuda' if gpu else 'cpu')
    m.config.use_cache = False
    m.gradient_checkpointing_enable()
    m.enable_input_require_grads()
    m = get_peft_model(m, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules='all-linear', task_type='CAUSAL_LM'))
    opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-4)
    m.train()
    marks, seen, dev = [], 0, m.device
    _sync(); t_begin = time.perf_counter()
    for step in range(steps):
        b = rows[step*batch:(step+1)*batch]
        L = max(len(x['input_ids']) for x in b)
        pad = lambda k, v: [x[k] + [v]*(L - len(x[k])) for x in b]
        ids = torch.tensor(pad('input_ids', tok.pad_token_id), device=dev)
        mask = torch.tensor(pad('attention_mask', 0), device=dev)
        labels = torch.tensor(pad('labels', -100), device=dev)
        loss = m(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
        _sync(); seen += int(mask.sum())
        marks.append((time.perf_counter(), step + 1, seen))
    res = _summary('plain', marks, warmup, time.perf_counter() - t_start, batch,
                   dict(t_start=t_start, t_begin=t_begin, recipe=dict(batch=batch, gradient_checkpointing=True, attn_implementation='sdpa',
                        packing=False, lora_r=16, lora_alpha=32, lora_dropout=0.05), last_loss=loss.item(),
                        mean_len=sum(len(x['input_ids']) for x in rows[:steps*batch]) / (steps*batch)))
    Path(result).write_text(json.dumps(res, indent=1)); print(json.dumps(res), flush=True)


# ---------------------------------------------------------------- medkd's recipe through load_recipe + train
def _apply_switches(setup:dict) -> tuple[dict, dict]:
    "Split `setup` into recipe overrides (fields SFTRecipe has) and switches it lacks, which are patched in."
    import medkd.sft as sft
    names = {f.name for f in dataclasses.fields(sft.SFTRecipe)}
    over = {k: v for k, v in setup.items() if k in names}
    patched = {k: v for k, v in setup.items() if k not in names}
    unknown = set(patched) - set(SWITCHES)
    if unknown: raise ValueError(f'recipe has no field(s) {sorted(unknown)}')
    if 'attn_implementation' in patched:
        load = sft.load_model
        sft.load_model = lambda path, dtype='float32', **kw: load(path, dtype, attn_implementation=patched['attn_implementation'], **kw)
    if patched.keys() & {'use_liger_kernel', 'torch_compile'}:
        make = sft.sft_config
        def sft_config(r, has_eval):
            cfg = make(r, has_eval)
            if patched.get('use_liger_kernel'): cfg.use_liger_kernel = True
            if patched.get('torch_compile'): cfg.torch_compile, cfg.torch_compile_backend = True, 'inductor'
            return cfg
        sft.sft_config = sft_config
    return over, patched

def _compat_sft_config() -> bool:
    "If medkd passes `activation_checkpointing` (transformers >= 5.2x) to an older SFTConfig, map it to the old name."
    import trl
    if 'activation_checkpointing' in inspect.signature(trl.SFTConfig.__init__).parameters: return False
    orig = trl.SFTConfig
    def SFTConfig(*a, activation_checkpointing=None, **kw):
        if activation_checkpointing is not None: kw['gradient_checkpointing'] = activation_checkpointing
        return orig(*a, **kw)
    trl.SFTConfig = SFTConfig
    return True

def run_medkd(model:str, data:str, setup:str, steps:int, warmup:int, result:str, dtype:str|None=None):
    "Train `steps` steps of SETUPS[setup] through `medkd.sft.load_recipe` + `train`; write the rate to `result`."
    import torch
    from transformers import TrainerCallback
    from medkd.sft import load_recipe, train
    t_start = time.perf_counter()

    class Timer(TrainerCallback):
        "Wall time and useful (non-padding) tokens seen at every optimizer step."
        def __init__(self): self.marks = []
        def on_train_begin(self, args, state, control, **kw): self.t_begin = time.perf_counter()
        def on_step_end(self, args, state, control, **kw):
            _sync(); self.marks.append((time.perf_counter(), state.global_step, state.num_input_tokens_seen))

    over, patched = _apply_switches(SETUPS[setup])
    shim = _compat_sft_config()
    if dtype: over['dtype'] = dtype
    timer = Timer()
    recipe = load_recipe(BASE_RECIPE, model=model, train_file=str(Path(data)/'data'/'train.jsonl'), eval_file=None,
                         output_dir=f'/tmp/sft_speed_{setup}', max_steps=steps, **over)
    quiet = {'progress': False} if 'progress' in inspect.signature(train).parameters else {}
    adapter = train(recipe, callbacks=[timer], **quiet)
    logs = json.loads((Path(adapter)/'log_history.json').read_text())
    res = _summary(setup, timer.marks, warmup, time.perf_counter() - t_start, recipe.per_device_train_batch_size,
                   dict(t_start=t_start, t_begin=timer.t_begin, recipe={**dataclasses.asdict(recipe), **patched},
                        switches_patched=sorted(patched), activation_checkpointing_shim=shim))
    res['mean_len'] = res['useful_tokens'] / (res['steps_timed'] * res['samples_per_step'])
    res['losses'] = {h['step']: round(h['loss'], 4) for h in logs if 'loss' in h}   # same data order in every set-up
    Path(result).write_text(json.dumps(res, indent=1)); print(json.dumps(res), flush=True)


# ---------------------------------------------------------------- one run of everything, and the report
def run_all(data:str, out:str, budget:float, model_dir:str|None, setups:list[str], steps:int, warmup:int,
            plain_steps:int, tiny:bool=False):
    "Build the model if needed, run plain + each medkd set-up in its own process within `budget` s, write the report."
    t0 = time.time()
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    work = Path('/tmp/sft_speed'); work.mkdir(exist_ok=True)
    shm = Path('/dev/shm').is_dir() and shutil.disk_usage('/dev/shm').free > 40 * 2**30
    model_dir = model_dir or ('/dev/shm/q7b' if shm else '/tmp/q7b')      # 15.2 GB of bf16 weights
    env = {**os.environ, 'TOKENIZERS_PARALLELISM': 'false', 'HF_HUB_OFFLINE': '1', 'HF_DATASETS_OFFLINE': '1',
           'PYTHONUNBUFFERED': '1'}
    me = [sys.executable, str(Path(__file__).resolve())]
    if not (Path(model_dir)/'config.json').exists():
        subprocess.run(me + ['make-model', '--out', model_dir, '--tokenizer', str(Path(data)/'q25tok')] + (['--tiny'] if tiny else []),
                       check=True, env=env)
    runs = [('plain', me + ['plain', '--model', model_dir, '--data', data, '--steps', str(plain_steps), '--warmup', str(warmup)])
            ] if plain_steps else []            # --plain-steps 0: medkd set-ups only (a repeat)
    runs += [(s, me + ['medkd', '--model', model_dir, '--data', data, '--setup', s, '--steps', str(steps), '--warmup', str(warmup)]
              + (['--dtype', 'float32'] if tiny else [])) for s in setups]
    results, not_run = [], {}
    for name, cmd in runs:
        left = budget - (time.time() - t0)
        if left < 45: not_run[name] = f'time budget: {left:.0f} s left'; continue
        f = work/f'{name}.json'; f.unlink(missing_ok=True)
        print(f'=== {name} ({left:.0f} s of budget left)', flush=True)
        try:
            p = subprocess.run(cmd + ['--result', str(f)], env=env, timeout=left)
            if p.returncode: not_run[name] = f'exit {p.returncode}'
        except subprocess.TimeoutExpired: not_run[name] = f'stopped at the time budget ({left:.0f} s)'
        if f.exists(): results.append(json.loads(f.read_text()))
    lengths = json.loads((Path(data)/'lengths.json').read_text())
    summary = dict(results=results, not_run=not_run, length_mix={k: v for k, v in lengths.items() if k != 'lengths'},
                   wall_s=time.time() - t0)
    (out/'sft_speed.json').write_text(json.dumps(summary, indent=1))
    report(out/'sft_speed.json')

def _hours(r, mean_len):
    "Seed's full recipe at this rate: 62,766 records x 2 epochs x mean length, plus warm-up extra once."
    return (SEED_RECORDS * SEED_EPOCHS * mean_len / r['tokens_per_s'] + max(r['warmup_extra_s'], 0)) / 3600

def report(path):
    s = json.loads(Path(path).read_text())
    rs, mean_len = s['results'], s['length_mix']['mean']
    base = next((r for r in rs if r['setup'] == 'plain'), None)
    print(f"length mix: {s['length_mix']['n']} samples, mean {mean_len:.0f} tokens, median {s['length_mix']['median']}, "
          f"[{s['length_mix']['min']}, {s['length_mix']['max']}]; none truncated")
    print(f"{'set-up':<30}{'tokens/s':>10}{'x plain':>9}{'MFU':>7}{'peak GiB':>10}{'s/step':>8}{'warm-up +s':>11}"
          f"{'seed run h':>11}")
    for r in rs:
        x = r['tokens_per_s'] / base['tokens_per_s'] if base else float('nan')
        print(f"{r['setup']:<30}{r['tokens_per_s']:>10.0f}{x:>9.2f}{r['mfu']:>7.1%}{(r['peak_gib'] or 0):>10.1f}"
              f"{r['s_per_step']:>8.3f}{r['warmup_extra_s']:>11.1f}{_hours(r, mean_len):>11.2f}")
    for k, v in s['not_run'].items(): print(f'not run / incomplete: {k}: {v}')
    for r in rs:
        if r.get('losses'): print(f"training loss (mean of logged steps) {r['setup']}: {r['losses']}")
    fast = [r for r in rs if r['setup'] != 'plain']
    if fast and base:
        best = min(fast, key=lambda r: _hours(r, mean_len))
        x = best['tokens_per_s'] / base['tokens_per_s']
        print(f"fastest medkd recipe: {best['setup']} {best['tokens_per_s']:.0f} useful tokens/s = {x:.2f}x plain "
              f"(goal >= 4.5x and >= 12,000): {'PASS' if x >= 4.5 and best['tokens_per_s'] >= 12000 else 'FAIL'}")
        print(f"plain loop {base['tokens_per_s']:.0f} tokens/s vs ~2,200 expected: "
              f"{base['tokens_per_s']/2200 - 1:+.0%} ({'within' if abs(base['tokens_per_s']/2200 - 1) <= .15 else 'outside'} +-15%)")
        print(f"projection, seed's full recipe ({SEED_RECORDS:,} records x {SEED_EPOCHS} epochs x {mean_len:.0f} tokens) on one "
              f"{best['gpu']}: {_hours(best, mean_len):.2f} h with {best['setup']} vs the seed's {SEED_HOURS:.0f} h "
              f"({SEED_HOURS/_hours(best, mean_len):.0f}x); plain loop {_hours(base, mean_len):.1f} h")
    cpu = ROOT/'bench'/'results'/'cpu_train_speed.json'   # the course machine's figure, by the CPU training benchmark
    print('CPU (2-core course machine):', json.loads(cpu.read_text()) if cpu.exists() else f'{cpu.name} not recorded yet')


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('prepare'); a.add_argument('--out', default='.bench_sft'); a.add_argument('--n', type=int, default=1024)
    a = sub.add_parser('make-model'); a.add_argument('--out', required=True); a.add_argument('--tokenizer', required=True)
    a.add_argument('--tiny', action='store_true')
    a = sub.add_parser('plain'); a.add_argument('--model', required=True); a.add_argument('--data', required=True)
    a.add_argument('--steps', type=int, default=20); a.add_argument('--warmup', type=int, default=4)
    a.add_argument('--batch', type=int, default=4); a.add_argument('--result', required=True)
    a = sub.add_parser('medkd'); a.add_argument('--model', required=True); a.add_argument('--data', required=True)
    a.add_argument('--setup', choices=list(SETUPS), required=True); a.add_argument('--steps', type=int, default=30)
    a.add_argument('--warmup', type=int, default=4); a.add_argument('--result', required=True); a.add_argument('--dtype')
    a = sub.add_parser('all'); a.add_argument('--data', default='.bench_sft'); a.add_argument('--out', required=True)
    a.add_argument('--budget', type=float, default=480); a.add_argument('--model-dir')
    a.add_argument('--setups', nargs='+', default=list(SETUPS)[:3]); a.add_argument('--steps', type=int, default=30)
    a.add_argument('--warmup', type=int, default=4); a.add_argument('--plain-steps', type=int, default=20)
    a.add_argument('--tiny', action='store_true')
    a = sub.add_parser('report'); a.add_argument('path')
    o = p.parse_args()
    if o.cmd == 'prepare': prepare(o.out, o.n)
    elif o.cmd == 'make-model': make_model(o.out, o.tokenizer, o.tiny)
    elif o.cmd == 'plain': plain(o.model, o.data, o.steps, o.warmup, o.batch, o.result)
    elif o.cmd == 'medkd': run_medkd(o.model, o.data, o.setup, o.steps, o.warmup, o.result, o.dtype)
    elif o.cmd == 'all': run_all(o.data, o.out, o.budget, o.model_dir, o.setups, o.steps, o.warmup, o.plain_steps, o.tiny)
    else: report(o.path)
