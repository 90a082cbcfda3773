"""Generation speed on one GPU (issue 16): `medkd.generation.generate_ids` on 820 prompts of ~600 tokens, 512 new tokens
each, on a Qwen2.5-7B-shaped model with random bf16 weights, side by side with the seed's one-prompt-at-a-time loop and
today's padded batches; plus a teacher-forced agreement check of the static cache against a plain forward.

Here (CPU): `python bench/gen_speed.py lengths` writes `bench/gen_lengths.json` (the demo test split's prompt lengths).
There (GPU): `python bench/gen_speed.py run --out DIR` (see `--help`; bench/README.md has the recorded run)."""
import argparse, json, math, os, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
LENGTHS = HERE/'gen_lengths.json'
QWEN7B = dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
              num_key_value_heads=4, vocab_size=152064, max_position_embeddings=32768, rope_theta=1e6,
              rms_norm_eps=1e-6, tie_word_embeddings=False, bos_token_id=151643, eos_token_id=151645,
              pad_token_id=151643)
TINY = dict(QWEN7B, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2)
DEV = 'cuda'  # `--tiny` (a dry run of the whole script on a CPU) sets 'cpu' and the TINY shape

def demo_lengths() -> list[int]:
    "Prompt token lengths (Qwen2.5 tokenizer, chat template) of the demo pipeline's test split."
    from medkd.core import get_settings
    from medkd.merge import split_by_group
    from medkd.pipeline import demo_records
    from medkd.testing import qwen25_tokenizer
    tok = qwen25_tokenizer()
    test = split_by_group(demo_records(), val=0.03, test=0.1, seed=get_settings().seed)['test']
    render = lambda r: tok.apply_chat_template(r.messages(with_answer=False), tokenize=False,
                                               add_generation_prompt=True)
    return [len(tok(render(r), add_special_tokens=False).input_ids) for r in test]

def bench_lengths(n:int=820, mean:float=600., seed:int=0) -> list[int]:
    "`n` lengths drawn from the demo test split's lengths, scaled to `mean`, jittered within one scale step."
    import numpy as np
    base = np.array(json.loads(LENGTHS.read_text())['demo_test_prompt_lengths'], float)
    rng, scale = np.random.default_rng(seed), mean / base.mean()
    return [int(round(x)) for x in rng.choice(base, n) * scale + rng.uniform(-scale / 2, scale / 2, n)]

class StubTokenizer:
    "What `generate_ids` reads of Qwen2.5's tokenizer: `<|im_end|>` 151645 (eos), `<|endoftext|>` 151643 (pad)."
    eos_token_id, pad_token_id = 151645, 151643
    def convert_tokens_to_ids(self, t): return {'<|im_end|>': 151645, '<|endoftext|>': 151643}[t]

def random_qwen7b(seed:int=0, shape:dict=QWEN7B, dtype:str='bfloat16'):
    "A Qwen2.5-7B-shaped `Qwen2ForCausalLM` with random weights (bf16 on the GPU by default), built there (no download)."
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM
    torch.manual_seed(seed)
    torch.set_default_dtype(getattr(torch, dtype) if DEV == 'cuda' else torch.float32)
    try:
        with torch.device(DEV): model = Qwen2ForCausalLM(Qwen2Config(**shape, attn_implementation='sdpa')).eval()
    finally: torch.set_default_dtype(torch.float32)
    model.generation_config = GenerationConfig(bos_token_id=151643, eos_token_id=[151645, 151643], pad_token_id=151643)
    return model

def random_prompts(lengths:list[int], seed:int=0) -> list[list[int]]:
    "Random token ids (below the special tokens) of the given lengths."
    import torch
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 151643, (n,), generator=g).tolist() for n in lengths]

def hf_cached_logprobs(model, prompts, forced):
    "The forced tokens' log-probabilities through transformers' own cache (DynamicCache), one step at a time."
    import torch
    from medkd.generation import left_pad
    ids, mask = left_pad(prompts, 0)
    ids, mask, f, out = ids.to(DEV), mask.to(DEV), torch.tensor(forced, device=DEV), []
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        r = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1)
        for t in range(f.shape[1]):
            out.append(r.logits[:, -1].float().log_softmax(-1).gather(-1, f[:, t, None])[:, 0])
            if t + 1 == f.shape[1]: break
            mask, pos = torch.cat([mask, mask[:, -1:]], 1), pos[:, -1:] + 1
            r = model(input_ids=f[:, t, None], attention_mask=mask, position_ids=pos, past_key_values=r.past_key_values,
                      use_cache=True)
    return torch.stack(out, 1)

# Rule 1, written before the first H200 run (2026-12-01), failed by it (static 0.148, transformers' own cache 0.149):
# the bf16 gap to one full bf16 forward at most 0.1 nats max, 0.01 mean. Kept for the record.
EARLIER_TOLERANCE = dict(max_abs=0.1, mean_abs=0.01)
# Rule 2, stated before the second run: the static path's bf16 gap to that bf16 forward at most 1.25x the gap of
# transformers' own cached decoding (DynamicCache) to it. It passed with SDPA decoding (1.05x); with the
# FlashAttention decoding it passed three times (1.07-1.15x) and failed three times (1.27-1.31x): the reference gap itself
# moved between 0.137 and 0.168 on the same inputs, so a bf16 forward is too noisy a yardstick. Kept for the record.
RATIO_TOLERANCE = 1.25
# Rule 3, stated before the third run (the one `ok` reports): the yardstick is a float32 forward of the same weights
# (the bf16 model cast up, so only the arithmetic differs). In bf16, the static path's error to it, max and mean over
# all log-probabilities, at most 1.25x the larger error of transformers' own two bf16 paths (one full forward, and
# cached decoding, the path `model.generate` takes): within the spread of accepted bf16 arithmetic. In float32 (no
# bf16 rounding anywhere) at most 1e-3 nats max, 1e-4 mean against the float32 forward.
TOLERANCE = dict(bf16_ratio_to_transformers=1.25, fp32_max_abs=1e-3, fp32_mean_abs=1e-4)

def stats(d) -> dict:
    "Max and mean absolute value of a difference of log-probabilities."
    return dict(max_abs=round(d.abs().max().item(), 6), mean_abs=round(d.abs().mean().item(), 7))

def agreement(model, n:int=16, steps:int=64, seed:int=1) -> dict:
    "Per-step log-probabilities of `n` teacher-forced sequences of `steps` tokens: static cache vs a float32 forward."
    import copy, torch
    from medkd.generation import cached_logprobs, pick_attention, plain_logprobs
    prompts = random_prompts(bench_lengths(n, seed=seed), seed=seed)
    forced = random_prompts([steps] * n, seed=seed + 1)
    lp = dict(static=cached_logprobs(model, prompts, forced), transformers_cache=hf_cached_logprobs(model, prompts, forced),
              plain_forward=plain_logprobs(model, prompts, forced))
    dtype = str(next(model.parameters()).dtype).removeprefix('torch.')
    gap = {k: stats(lp[k] - lp['plain_forward']) for k in ('static', 'transformers_cache')}   # rules 1 and 2
    if dtype == 'float32': ref = lp['plain_forward']
    else:
        up = copy.deepcopy(model).float()
        ref = plain_logprobs(up, prompts, forced)
        del up
        if DEV == 'cuda': torch.cuda.empty_cache()
    err = {k: stats(v - ref) for k, v in lp.items()}
    s, worst = err['static'], {k: max(err['transformers_cache'][k], err['plain_forward'][k]) for k in err['static']}
    if dtype == 'float32': ok = s['max_abs'] <= TOLERANCE['fp32_max_abs'] and s['mean_abs'] <= TOLERANCE['fp32_mean_abs']
    else: ok = all(s[k] <= TOLERANCE['bf16_ratio_to_transformers'] * worst[k] for k in s)
    g, gh = gap['static'], gap['transformers_cache']
    return dict(dtype=dtype, attention=pick_attention(model), sequences=n, steps=steps,
                logprob_mean=round(ref.mean().item(), 3), error_to_fp32=err, tolerance=TOLERANCE, ok=ok,
                ratio_to_transformers={k: round(s[k] / max(worst[k], 1e-12), 3) for k in s},
                gap_to_bf16_forward=gap, rule1_ok=all(g[k] <= EARLIER_TOLERANCE[k] for k in g),
                rule2_ok=all(g[k] <= RATIO_TOLERANCE * gh[k] for k in g))

def kernel_check(rows:int=64, new:int=64, seed:int=0) -> dict:
    "`flash_decode` in bf16 against the masked attention in float32 on the same random cache (Qwen2.5-7B's heads)."
    import copy, types, torch
    from medkd.generation import DECODE_ATTENTION, StaticKV, flash_decode, prepare_step
    torch.manual_seed(seed)
    cfg = types.SimpleNamespace(num_hidden_layers=1, num_key_value_heads=4, head_dim=128)
    one = torch.zeros(1, device=DEV, dtype=torch.bfloat16)
    kv = StaticKV(types.SimpleNamespace(config=cfg, parameters=lambda: iter([one])), bench_lengths(rows, seed=seed), new)
    kv.k.normal_()
    kv.v.normal_()
    kv.cur += new // 2
    prepare_step(kv)
    q, up = torch.randn(rows, 28, 1, 128, device=DEV, dtype=torch.bfloat16), copy.copy(kv)
    up.k, up.v = kv.k.float(), kv.v.float()
    ref = DECODE_ATTENTION['sdpa'](q.float(), up, 0, 128 ** -0.5)
    err, bound = (flash_decode(q, kv, 0, 128 ** -0.5).float() - ref).abs().max().item(), 2 ** -8 * ref.abs().max().item()
    return dict(rows=rows, max_abs_error=round(err, 6), bound=round(bound, 6), ok=err <= bound,
                rule='bf16 output rounding: at most 2^-8 of the largest output value')

def timed(fn):
    "`(result, seconds)` of `fn()`, the GPU synchronised on both ends."
    import torch
    sync = torch.cuda.synchronize if DEV == 'cuda' else (lambda: None)
    sync()
    t = time.perf_counter()
    r = fn()
    sync()
    return r, time.perf_counter() - t

def one_at_a_time(model, tok, prompts, new_tokens:int, probe_tokens:int) -> dict:
    "The seed's loop: `model.generate` one prompt at a time; timed with 1 and `probe_tokens` new tokens per prompt."
    import torch
    from medkd.generation import stop_ids
    stops = stop_ids(tok, model)
    def run(k):
        with torch.no_grad():
            for p in prompts:
                model.generate(input_ids=torch.tensor([p], device=DEV), max_new_tokens=k, min_new_tokens=k,
                               do_sample=False, eos_token_id=stops, pad_token_id=tok.pad_token_id)
    run(2)  # warm-up
    t1, tk = timed(lambda: run(1))[1], timed(lambda: run(probe_tokens))[1]
    est = t1 + (tk - t1) * (new_tokens - 1) / max(probe_tokens - 1, 1)
    return dict(prompts=len(prompts), probe_new_tokens=probe_tokens, seconds_1_token=round(t1, 2),
                seconds_probe=round(tk, 2), seconds_est=round(est, 1), samples_per_s=round(len(prompts) / est, 4),
                label=f'extrapolated: {len(prompts)} prompts timed at 1 and {probe_tokens} new tokens, '
                      f'linear in tokens to {new_tokens}')

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('cmd', choices=['lengths', 'run', 'summarize'], help='summarize: recompute the summary of --files')
    ap.add_argument('--files', nargs='*', default=[], help='result JSON files (summarize)')
    ap.add_argument('--out', default='bench/results', help='folder for gen_speed.json')
    ap.add_argument('--n', type=int, default=820, help='prompts for the static backend')
    ap.add_argument('--new-tokens', type=int, default=512)
    ap.add_argument('--variants', default='0:128:auto,820:0:flash,410:128:flash,820:128:sdpa',
                    help='static backend runs through generate_ids, each BATCH:WINDOW:ATTENTION (0:128:auto = the defaults)')
    ap.add_argument('--padded-n', type=int, default=128, help="prompts for today's padded path (extrapolated to --n)")
    ap.add_argument('--padded-batch', type=int, default=128)
    ap.add_argument('--seq-n', type=int, default=32, help='prompts for the one-at-a-time loop (extrapolated)')
    ap.add_argument('--seq-probe', type=int, default=64, help='new tokens per prompt timed in the one-at-a-time loop')
    ap.add_argument('--tiny', action='store_true', help='dry run on the CPU: a 2-layer model, same vocabulary')
    a = ap.parse_args(argv)
    global DEV
    if a.tiny: DEV = 'cpu'
    if a.cmd == 'lengths':
        L = demo_lengths()
        src = 'demo pipeline test split (split_by_group val=0.03 test=0.1 seed 42), Qwen2.5 chat template'
        LENGTHS.write_text(json.dumps(dict(source=src, demo_test_prompt_lengths=L)) + '\n')
        return print(f'{len(L)} prompts, mean {sum(L) / len(L):.1f} tokens -> {LENGTHS.name}')
    if a.cmd == 'summarize':
        for f in map(Path, a.files):
            res = json.loads(f.read_text())
            res['summary'] = summary(res)
            f.write_text(json.dumps(res, indent=1) + '\n')
            print(f.name, res['summary'])
        return
    run(a)

def phase(res:dict, key:str, fn, save):
    "Run one phase of the benchmark, keeping its result (or its error) under `res[key]`, and save."
    try: res[key] = fn()
    except Exception as e:
        import traceback
        traceback.print_exc()
        res[key] = dict(error=repr(e)[:500])
    print(key, res[key], flush=True)
    save()

def static_run(model, tok, prompts, a, bs:int, window:int, attention:str) -> dict:
    "One timed static-backend run over all prompts through `generate_ids` (what `medkd eval` calls)."
    import torch
    from medkd.generation import generate_ids, last_backend_info
    if DEV == 'cuda': torch.cuda.reset_peak_memory_stats()
    kw = dict(batch_size=bs, min_new_tokens=a.new_tokens, window=window, attention=attention)
    outs, s = timed(lambda: generate_ids(model, tok, prompts, a.new_tokens, backend='static', **kw))
    assert all(len(o) == a.new_tokens for o in outs), 'a completion stopped early'
    peak, info = round(torch.cuda.max_memory_allocated() / 2**30, 1) if DEV == 'cuda' else None, last_backend_info()
    return dict(requested=f'{bs}:{window}:{attention}', batch_size=info['batch_size'], window=window,
                attention=info['attention'].split(':')[0], seconds=round(s, 2), samples_per_s=round(len(prompts) / s, 2),
                new_tokens_per_s=round(len(prompts) * a.new_tokens / s), peak_gib=peak, info=info)

def padded_run(model, tok, prompts, sub, a) -> dict:
    "Today's padded path on the subset `sub`, timed."
    from medkd.generation import generate_ids
    ps = [prompts[i] for i in sub]
    _, s = timed(lambda: generate_ids(model, tok, ps, a.new_tokens, batch_size=a.padded_batch, backend='padded',
                                      min_new_tokens=a.new_tokens))
    return dict(prompts=len(sub), batch_size=a.padded_batch, seconds=round(s, 2), samples_per_s=round(len(sub) / s, 3),
                label=f'measured on {len(sub)} of the {a.n} prompts (one in every {a.n // a.padded_n} by length); '
                      f'rate extrapolated to {a.n}')

def summary(res:dict) -> dict:
    "The defaults' rate (`0:...:auto`, what `medkd eval` runs), the best static rate, the baselines and the ratios."
    ok = [r for r in res.get('static', []) if 'samples_per_s' in r]
    best = max(ok, key=lambda r: r['samples_per_s']) if ok else {}
    dflt = next((r for r in ok if r.get('requested', '').startswith('0:')), best)
    rate = lambda k: res.get(k, {}).get('samples_per_s')
    ratio = lambda k: round(dflt['samples_per_s'] / rate(k), 1) if dflt and rate(k) else None
    return dict(default_samples_per_s=dflt.get('samples_per_s'), default_seconds=dflt.get('seconds'),
                best_samples_per_s=best.get('samples_per_s'), best_variant=best.get('requested'),
                padded_samples_per_s=rate('padded'), one_at_a_time_samples_per_s=rate('one_at_a_time'),
                ratio_vs_padded=ratio('padded'), ratio_vs_one_at_a_time=ratio('one_at_a_time'),
                goal_20_samples_per_s=bool(dflt) and dflt['samples_per_s'] >= 20)

def run(a):
    from medkd.generation import generate_ids, versions
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    res = dict(versions=versions(), args=vars(a))
    save = lambda: (out/'gen_speed.json').write_text(json.dumps(res, indent=1) + '\n')
    model, res['model_load_s'] = timed(lambda: random_qwen7b(shape=TINY if a.tiny else QWEN7B))
    tok, lengths = StubTokenizer(), bench_lengths(a.n)
    prompts = random_prompts(lengths)
    res['prompts'] = dict(n=a.n, mean_len=round(sum(lengths) / a.n, 1), min_len=min(lengths), max_len=max(lengths))
    print('model load', round(res['model_load_s'], 1), 's;', res['prompts'], flush=True)
    phase(res, 'agreement', lambda: agreement(model), save)
    if not a.tiny: phase(res, 'kernel_check', kernel_check, save)
    phase(res, 'warmup', lambda: len(generate_ids(model, tok, prompts[:16], 8, batch_size=16, backend='static')), save)
    runs = [(int(b), int(w), att) for b, w, att in (v.split(':') for v in a.variants.split(','))]
    for k, (bs, w, att) in enumerate(runs):
        phase(res, f'static_{k}', lambda: static_run(model, tok, prompts, a, bs, w, att), save)
    res['static'] = [res.pop(f'static_{k}') for k in range(len(runs))]
    sub = sorted(range(a.n), key=lambda i: lengths[i])[::max(1, a.n // a.padded_n)][:a.padded_n]
    phase(res, 'padded', lambda: padded_run(model, tok, prompts, sub, a), save)
    seq = [prompts[i] for i in sub[:a.seq_n]]
    phase(res, 'one_at_a_time', lambda: one_at_a_time(model, tok, seq, a.new_tokens, a.seq_probe), save)
    res['summary'] = summary(res)
    save()
    print(f"\n{'path':44} {'samples/s':>10}")
    for r in res['static']:
        i = r.get('info', {})
        name = f"static {r.get('attention')}, batch {r.get('batch_size')}, window {r.get('window')}"
        print(f"{name:44} {r.get('samples_per_s', r.get('error'))!s:>10}   prefill {i.get('prefill_s')} s, "
              f"decode {i.get('decode_s')} s, peak {r.get('peak_gib')} GiB")
    name = f'padded (today), batch {a.padded_batch}, subset'
    print(f"{name:44} {res['padded'].get('samples_per_s')!s:>10}")
    print(f"{'one at a time (extrapolated)':44} {res['one_at_a_time'].get('samples_per_s')!s:>10}")
    print('summary', res['summary'])

if __name__ == '__main__': main()
