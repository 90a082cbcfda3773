#!/usr/bin/env python
"""Teacher distillation throughput: medkd.distill against a plain sequential loop, side by side in one run.

Both talk to the same local OpenAI-compatible teacher (`medkd.testing_teacher.LocalTeacher` on 127.0.0.1) with a fixed
latency and a share of transient faults (429 with Retry-After, 500, 503, dropped connections, DeepSeek's empty 200
bodies, truncated JSON), and both use the same retry policy (core's `retry_policy` with distill's `is_retryable`, the
same attempt limit) and the same validation (core's `diagnosis_match`).
medkd runs all cases at the given concurrency; the loop runs the first `--seq-cases` one at a time, as the seed did.
The fault schedule depends only on (case, attempt number), and the server's counters are reset between the two
phases, so the loop meets exactly the faults medkd met on the same cases.

    python bench/distill_bench.py                      # 1,000 cases at concurrency 64 vs 50 sequential (about 3 minutes)
    python bench/distill_bench.py --cases 200 --seq-cases 10 --latency 0.5   # a quick look
"""
import argparse, json, tempfile, time
from pathlib import Path

import openai

from medkd.core import diagnosis_match, get_settings, retry_policy, think_format_ok
from medkd.distill import (CASE_HEADER, build_messages, distill, is_retryable, normalise_reply, parse_completion,
                           recover_jsonl, synthetic_cases)
from medkd.testing_teacher import LocalTeacher


def sequential(cases, base_url, model, timeout, max_attempts, backoff, out_path):
    "One case at a time: request (same retry policy as medkd), normalise, validate, append a line. Returns (records, requests)."
    client = openai.OpenAI(base_url=base_url, api_key='no-key-needed', max_retries=0, timeout=timeout)
    settings, n_records, n_requests = get_settings(), 0, 0
    with open(out_path, 'w', encoding='utf-8') as f:
        for case in cases:
            messages = build_messages(case, settings)
            try:
                for attempt in retry_policy(is_retryable, max_attempts, *backoff):
                    with attempt:
                        n_requests += 1
                        raw = client.chat.completions.with_raw_response.create(
                            model=model, messages=messages, extra_headers={CASE_HEADER: case['id']})
                        data = parse_completion(raw.http_response.content)
            except Exception as e:
                print(f'  sequential: case {case["id"]} failed: {type(e).__name__}')
                continue
            reply = normalise_reply(data)
            if reply.problem is None and think_format_ok(reply.output) and diagnosis_match(reply.answer, case['reference']):
                f.write(json.dumps(dict(id=case['id'], output=reply.output), ensure_ascii=False) + '\n'); f.flush()
                n_records += 1
    client.close()
    return n_records, n_requests


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cases', type=int, default=1000)
    ap.add_argument('--seq-cases', type=int, default=50)
    ap.add_argument('--concurrency', type=int, default=64)
    ap.add_argument('--latency', type=float, default=2.0, help='seconds before the teacher answers each request')
    ap.add_argument('--fault-rate', type=float, default=0.2, help='share of requests that meet a transient fault')
    ap.add_argument('--max-attempts', type=int, default=8)
    ap.add_argument('--backoff', type=float, nargs=2, default=(0.5, 10.), metavar=('INITIAL', 'MAX'))
    ap.add_argument('--timeout', type=float, default=30.)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--progress', action='store_true')
    a = ap.parse_args()

    cases = synthetic_cases(a.cases, prefix='bench')
    answers = {c['id']: c['reference'] for c in cases}
    out = Path(tempfile.mkdtemp(prefix='medkd-bench-'))
    model = 'bench-teacher'
    print(f'teacher: local, latency {a.latency:g} s, {a.fault_rate:.0%} transient faults, Retry-After 1 s; '
          f'retries: up to {a.max_attempts} attempts, backoff {a.backoff[0]:g}-{a.backoff[1]:g} s with jitter')
    with LocalTeacher(latency=a.latency, fault_rate=a.fault_rate, answers=answers, retry_after=1, seed=a.seed, model=model) as srv:
        t0 = time.monotonic()
        sm = distill(cases, out/'medkd', base_url=srv.url, model=model, concurrency=a.concurrency, max_attempts=a.max_attempts,
                     backoff=tuple(a.backoff), timeout=a.timeout, progress=a.progress)
        m_time = time.monotonic() - t0
        m_ids = [r['id'] for r in recover_jsonl(out/'medkd'/'distill.jsonl', key=None)[0]]
        m_dups, m_faults = sum(n - 1 for n in srv.completions.values() if n > 1), sum(v for k, v in srv.kinds.items() if k != 'ok')

        srv.reset()
        seq_cases = cases[:a.seq_cases]
        t0 = time.monotonic()
        s_records, s_requests = sequential(seq_cases, srv.url, model, a.timeout, a.max_attempts, tuple(a.backoff), out/'sequential.jsonl')
        s_time = time.monotonic() - t0
        s_ids = [r['id'] for r in recover_jsonl(out/'sequential.jsonl', key=None)[0]]
        s_dups, s_faults = sum(n - 1 for n in srv.completions.values() if n > 1), sum(v for k, v in srv.kinds.items() if k != 'ok')

    m_rate, s_rate = len(set(m_ids)) / m_time, len(set(s_ids)) / s_time
    rows = [('', f'medkd (concurrency {a.concurrency})', 'sequential loop'),
            ('cases', a.cases, len(seq_cases)),
            ('records written', len(m_ids), len(s_ids)),
            ('lost records', a.cases - len(set(m_ids)), len(seq_cases) - len(set(s_ids))),
            ('duplicate records', len(m_ids) - len(set(m_ids)), len(s_ids) - len(set(s_ids))),
            ('requests sent', sm['requests'], s_requests),
            ('faults met', m_faults, s_faults),
            ('duplicate successful requests', m_dups, s_dups),
            ('wall time (s)', f'{m_time:.1f}', f'{s_time:.1f}'),
            ('records/s', f'{m_rate:.2f}', f'{s_rate:.3f}')]
    w0, w1 = max(len(str(r[0])) for r in rows), max(len(str(r[1])) for r in rows)
    print()
    for r in rows: print(f'{r[0]:<{w0}}  {str(r[1]):>{w1}}  {str(r[2]):>16}')
    print(f'\nspeed-up: {m_rate / s_rate:.1f}x the sequential rate (goal: >= 25x)')
    print(f"medkd run: status {sm['status']}, retries {sm['retries']}, errors {sm['errors']}, "
          f"possibly billed {sm['possibly_billed']}, failed {sm['failed']}")
    ok = m_rate / s_rate >= 25 and a.cases == len(set(m_ids)) == len(m_ids) and m_dups == 0
    print('PASS' if ok else 'FAIL')
    return 0 if ok else 1


if __name__ == '__main__': raise SystemExit(main())
