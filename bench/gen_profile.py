"""Where a decoding step of the static backend spends its time (issue 16), on the 7B shape at batch 820: each decoding
attention's CUDA-graph step timed, one eager step profiled per `--profile` attention (kernels by self CUDA time), and the
parts timed alone (the projections' matrix products, one layer's attention, the token pick).
There (GPU): `python bench/gen_profile.py --out DIR` (about 40 s); bench/README.md has the recorded runs."""
import argparse, json, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import gen_speed as gs

def cuda_ms(fn, n:int=20) -> float:
    "Mean milliseconds of `fn()` over `n` calls after 3 warm-up calls (CUDA events)."
    import torch
    for _ in range(3): fn()
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    for _ in range(n): fn()
    b.record()
    torch.cuda.synchronize()
    return round(a.elapsed_time(b) / n, 3)

def cache(model, lengths, attention:str, window:int):
    "A bucket's cache (random ids fed, no prefill needed for timing), 100 columns into decoding, its window set."
    from medkd.generation import StaticKV, prepare_step
    kv = StaticKV(model, lengths, 512, attention)
    kv.cur += 100
    kv.L = kv.P + window * (100 // window + 1) if window else kv.L
    prepare_step(kv)
    return kv

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='/tmp/prof')
    ap.add_argument('--batch', type=int, default=820)
    ap.add_argument('--window', type=int, default=128)
    ap.add_argument('--attentions', default='sdpa,cudnn,matmul,flash', help='graph steps timed for each')
    ap.add_argument('--profile', default='sdpa,flash', help='eager steps profiled for each')
    a = ap.parse_args()
    import torch
    from medkd.generation import (DECODE_ATTENTION, attention_as, decode_step, decoder, logits_processors, pick_tokens,
                                  static_attention, versions)
    res, out = dict(versions=versions(), args=vars(a)), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    model, B = gs.random_qwen7b(), a.batch
    lengths, c = sorted(gs.bench_lengths(B)), model.config
    with torch.no_grad(), attention_as(model, 'medkd_static', static_attention):
        for att in a.attentions.split(','):
            kv = cache(model, lengths, att, a.window)
            tok, step = decoder(model, kv, cuda_graphs=True, window=a.window)
            tok.random_(0, 151643)
            res[f'graph_step_ms_{att}'] = cuda_ms(lambda: step(int(kv.cur)))
            print(att, res[f'graph_step_ms_{att}'], 'ms per graph step, L =', kv.L, flush=True)
            del kv, step
            torch.cuda.empty_cache()
        from torch.profiler import profile, ProfilerActivity
        tok = torch.randint(0, 151643, (B, 1), device='cuda')
        for att in a.profile.split(','):
            kv = cache(model, lengths, att, a.window)
            res[f'eager_step_ms_{att}'] = cuda_ms(lambda: decode_step(model, kv, tok), 5)
            with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as p:
                for _ in range(3): decode_step(model, kv, tok)
                torch.cuda.synchronize()
            table = p.key_averages().table(sort_by='self_cuda_time_total', row_limit=16)
            print(f'== eager decoding step x3, attention {att}\n{table}', flush=True)
            (out/f'profile_{att}.txt').write_text(table)
            q = torch.randn(B, 28, 1, 128, device='cuda', dtype=torch.bfloat16)
            res[f'attn_layer_ms_{att}'] = cuda_ms(lambda: DECODE_ATTENTION[att](q, kv, 0, 128 ** -0.5))
            res['L'], res['P'] = kv.L, kv.P
        logits = torch.randn(B, c.vocab_size, device='cuda', dtype=torch.bfloat16)
        seq = torch.randint(0, 151643, (B, kv.P + 100), device='cuda')
        procs, ds = logits_processors(model, 'greedy', [151645, 151643], kv.P, 512)
        res['pick_ms_min_new'] = cuda_ms(lambda: pick_tokens(logits, seq, procs, ds))
        x = torch.randn(B, c.hidden_size, device='cuda', dtype=torch.bfloat16)
        for name, n in [('qkv', 3584 + 2 * 512), ('o', 3584), ('gate_up', 2 * 18944), ('lm_head', 152064)]:
            w = torch.randn(n, c.hidden_size, device='cuda', dtype=torch.bfloat16)
            ms = cuda_ms(lambda: x @ w.T)
            res[f'gemm_{name}_ms'], res[f'gemm_{name}_tflops'] = ms, round(2 * B * n * c.hidden_size / ms / 1e9, 1)
    print(json.dumps(res, indent=1))
    (out/'profile.json').write_text(json.dumps(res, indent=1) + '\n')

if __name__ == '__main__': main()
