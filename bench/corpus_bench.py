"""Corpus build at the seed's full size (62,766 records) on the course machine: clean, exact and near dedupe,
split, decontaminate, timed; side by side with a plain pairwise comparison on a slice. Run from the repository root:

    .venv/bin/python bench/corpus_bench.py [--n 62766] [--out bench/results/corpus_bench.json]

The corpus is built from the shipped real records (iiyi dialogues and evaluations, iiyi patients, CMB-Clin) by
recombining their sentences; a record of any pair with 0.3 Jaccard similarity or more on character 5-grams is
redrawn until no such pair is left (MinHash-LSH candidates, exact check), and the largest similarity left is reported. Planted on top: 2% exact duplicates, 5% near-duplicates (a few characters
changed, true Jaccard >= 0.8 checked per pair), and 1% edited copies of held-out questions: half copies of the exam
slice's questions (planted before the build), half copies of test-split prompts (planted into the training split after
the split, since they must copy records the split put in the test set). The token-length pass for the data card is
timed apart (Qwen2.5's tokenizer)."""
import argparse, json, os, random, re, sys, time
from collections import Counter
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from medkd.core import SFTRecord, join_output, iter_rows, write_json
from medkd import corpus as C

SENT = re.compile(r'[^。！？；\n]+[。！？；]?')
SHARES = dict(medical_o1=24772, medical_r1_distill=17000, psychology_r1=8775, hwtcm_r1=12219)

def strings(o):
    "Every string inside a JSON value."
    if isinstance(o, str): yield o
    elif isinstance(o, dict): yield from (s for v in o.values() for s in strings(v))
    elif isinstance(o, list): yield from (s for v in o for s in strings(v))

def sentence_pool() -> list[str]:
    "Distinct Chinese sentences (8-80 characters) from the shipped real records, sorted."
    files = ['iiyi_aihospital/dialog_history_gpt4.jsonl', 'iiyi_aihospital/evaluation_iiyi_gpt4_onestep.jsonl',
             'iiyi_aihospital/patients.json', 'cmb_clin/CMB-Clin-qa.json']
    pool = set()
    for f in files:
        for _, row in iter_rows(ROOT/'data'/f):
            for s in strings(row):
                for m in SENT.findall(s):
                    m = re.sub(r'<[^>]*>|\s+', '', m)
                    if 8 <= len(m) <= 80 and len(re.findall(r'[\u4e00-\u9fff]', m)) >= 6: pool.add(m)
    return sorted(pool)

def background(n:int, pool:list[str], rng:random.Random) -> list[SFTRecord]:
    "`n` records whose question, rationale and answer are sentences drawn from `pool`, sources in the seed's shares."
    srcs = [s for s, k in SHARES.items() for _ in range(k)]
    out = []
    for i in range(n):
        src = srcs[i * len(srcs) // n]
        q, ra, a = rng.sample(pool, 6), rng.sample(pool, 5), rng.choice(pool)
        out.append(SFTRecord(id=f'{src}-{i}', instruction=''.join(q), input='', output=join_output(''.join(ra), a),
                             system='你是一名专业的临床医生。', source=src, reference=a, meta={'group': f'{src}-{i}'}))
    return out

def separate(bg:list[SFTRecord], pool:list[str], rng:random.Random, limit:float=0.3) -> tuple[list[SFTRecord], int]:
    "Redraw one record of every pair with Jaccard >= `limit` (MinHash-LSH candidates, exact check) until none is left."
    redrawn = 0
    while True:
        texts = [C.dedupe_text(r) for r in bg]
        pairs = C.near_pairs(C.minhashes(texts), limit, similarity=C.exact_similarity(texts), margin=0.1)
        if not pairs: return bg, redrawn
        for _, j in pairs:
            r = bg[j]
            q, a = rng.sample(pool, 6), rng.choice(pool)
            bg[j] = SFTRecord(**{**r.to_dict(), 'instruction': ''.join(q), 'output': join_output(r.rationale, a), 'reference': a})
            redrawn += 1

def edit(text:str, k:int, pool:str, rng:random.Random) -> str:
    "`text` with `k` characters replaced by others (never the same character)."
    t = list(text)
    for i in rng.sample(range(len(t)), min(k, len(t))):
        t[i] = rng.choice([c for c in pool if c != t[i]])
    return ''.join(t)

def plant(recs, rng, pool_chars, exam_q):
    "Planted exact duplicates (2%), near duplicates (5%) and exam copies (0.5%), as `(records, truth)`."
    n, out, truth = len(recs), list(recs), dict(exact=[], near=[], exam=[])
    for j, r in enumerate(rng.sample(recs, round(0.02 * n))):
        out.append(SFTRecord(**{**r.to_dict(), 'id': f'exact-{j}', 'meta': {'group': f'exact-{j}'}}))
        truth['exact'].append((r.id, f'exact-{j}'))
    for j, r in enumerate(rng.sample(recs, round(0.05 * n))):
        while True:
            q = edit(r.instruction, rng.randint(1, 3), pool_chars, rng)
            if C.jaccard(C.shingles(f'{q}\x1f{r.answer}'), C.shingles(C.dedupe_text(r))) >= 0.8: break
        out.append(SFTRecord(**{**r.to_dict(), 'id': f'near-{j}', 'instruction': q, 'meta': {'group': f'near-{j}'}}))
        truth['near'].append((r.id, f'near-{j}'))
    for j in range(round(0.005 * n)):
        r, (qid, q) = rng.choice(recs), rng.choice(exam_q)
        text = edit(q, rng.randint(1, 3), pool_chars, rng)
        out.append(SFTRecord(**{**r.to_dict(), 'id': f'examcopy-{j}', 'instruction': f'复习题：{text}',
                                'meta': {'group': f'examcopy-{j}'}}))
        truth['exam'].append((qid, f'examcopy-{j}'))
    return out, truth

def pairwise_near(recs, threshold=0.8) -> tuple[list, float]:
    "Plain all-pairs Jaccard on character 5-grams: `(pairs, seconds)`."
    t = time.perf_counter()
    sh = [C.shingles(C.dedupe_text(r)) for r in recs]
    pairs = [(i, j) for i in range(len(sh)) for j in range(i + 1, len(sh)) if C.jaccard(sh[i], sh[j]) >= threshold]
    return pairs, time.perf_counter() - t

def main(n:int, out:Path, slice_n:int):
    rng = random.Random(42)
    t0 = time.perf_counter()
    pool = sentence_pool()
    bg, redrawn = separate(background(n, pool, rng), pool, rng)
    chars = ''.join(sorted(set(''.join(pool))))
    exam = C.exam_texts(ROOT/'data/nmle_exam/physician_200.json')
    recs, truth = plant(bg, rng, chars, list(exam.items()))
    t_make = time.perf_counter() - t0
    print(f'sentences in pool: {len(pool):,}; background {len(bg):,}; with plants {len(recs):,} ({t_make:.1f} s to make)')

    led, times, seed = C.Ledger(), {}, 42
    t = time.perf_counter(); kept = C.clean(recs, led); times['clean'] = time.perf_counter() - t
    t = time.perf_counter(); kept = C.exact_dedupe(kept, seed, led); times['exact_dedupe'] = time.perf_counter() - t
    t = time.perf_counter(); kept = C.near_dedupe(kept, seed, led); times['near_dedupe'] = time.perf_counter() - t
    t = time.perf_counter(); splits = C.split_by_source(kept, 0.05, 0.05, seed); times['split'] = time.perf_counter() - t
    # edited copies of test-split prompts, planted into the training split after the split (0.5%)
    test_copies = []
    for j, r in enumerate(rng.sample(splits['test'], round(0.005 * n))):
        host = rng.choice(splits['train'])
        q = edit(r.prompt, rng.randint(1, 3), chars, rng)
        test_copies.append(SFTRecord(**{**host.to_dict(), 'id': f'testcopy-{j}', 'instruction': q}))
        truth.setdefault('test', []).append((r.id, f'testcopy-{j}'))
    splits['train'] = splits['train'] + test_copies
    t = time.perf_counter()
    held = C.HeldOut(C.held_out_texts(splits, str(ROOT/'data/nmle_exam/physician_200.json')))
    splits = C.decontaminate(splits, held, led, 0.5)
    times['decontaminate'] = time.perf_counter() - t
    total = sum(times.values())

    dropped = {d['id']: d for d in led.dropped}
    def found(pairs):   # a planted copy is found when it or its original was dropped as a duplicate
        return sum(a in dropped or b in dropped for a, b in pairs)
    partners = {}
    for a, b in truth['exact'] + truth['near']: partners.setdefault(a, set()).add(b)
    dup_fp = sum(1 for r in bg if r.id in dropped and dropped[r.id]['reason'] in ('near_duplicate', 'exact_duplicate')
                 and dropped[r.id]['detail'] not in partners.get(r.id, ()))
    contam_fp = sum(1 for r in bg if r.id in dropped and dropped[r.id]['reason'] == 'contaminated')
    copies = truth['exam'] + truth['test']
    in_train = {r.id for r in splits['train'] + splits['validation']} | {d['id'] for d in led.dropped if d['reason'] == 'contaminated'}
    copies_trainside = [(q, c) for q, c in copies if c in in_train]
    contam_found = sum(1 for _, c in copies_trainside if c in dropped and dropped[c]['reason'] == 'contaminated')

    # the token-length pass of the data card, timed apart
    from medkd.testing import qwen25_tokenizer
    tok = qwen25_tokenizer()
    t = time.perf_counter(); C.token_lengths(kept, tok); t_tok = time.perf_counter() - t

    # plain pairwise baseline on a slice, extrapolated to the full size (quadratic in the number of records)
    sl = kept[:slice_n]
    _, t_pair = pairwise_near(sl)
    t = time.perf_counter(); C.near_dedupe(sl, seed, C.Ledger()); t_mh_slice = time.perf_counter() - t
    pair_full = t_pair * (len(kept) / len(sl)) ** 2

    # background overlap check: the largest exact Jaccard among MinHash-LSH candidates down to 0.2
    t = time.perf_counter()
    texts = [C.dedupe_text(r) for r in bg]
    sim = C.exact_similarity(texts)
    cand = C.near_pairs(C.minhashes(texts), 0.2, similarity=lambda i, j: 1., margin=0.)
    max_j = max((sim(i, j) for i, j in cand), default=0.)
    t_bgcheck = time.perf_counter() - t

    res = dict(load_average_1min_at_end=round(os.getloadavg()[0], 2), cores=os.cpu_count(), records=len(recs), background=len(bg), planted={k: len(v) for k, v in truth.items()},
               seconds=dict(times, total=total, token_lengths=t_tok, make_corpus=t_make, background_check=t_bgcheck),
               near_dup_recall=found(truth['near']) / len(truth['near']), exact_dup_recall=found(truth['exact']) / len(truth['exact']),
               dedupe_unplanted_removed=dup_fp / len(bg), contamination_recall=contam_found / max(1, len(copies_trainside)),
               contamination_copies_trainside=len(copies_trainside), contamination_unplanted_removed=contam_fp / len(bg),
               background_max_jaccard=max_j, background_lsh02_candidates=len(cand), background_redrawn=redrawn,
               pairwise_slice=dict(records=len(sl), seconds=t_pair, minhash_seconds=t_mh_slice,
                                   extrapolated_full_seconds=pair_full),
               settings=dict(shingle=5, near_threshold=0.8, num_perm=128, contamination_ngram=10, contamination_threshold=0.5))
    print(json.dumps(res, indent=1))
    print(f"\nclean+dedupe+split+decontaminate: {total:.1f} s for {len(recs):,} records (goal < 60 s); "
          f"token lengths apart: {t_tok:.1f} s")
    print(f"near-duplicates found {res['near_dup_recall']:.1%} (goal >= 95%), unplanted removed by dedupe "
          f"{res['dedupe_unplanted_removed']:.2%} (goal <= 1%)")
    print(f"contaminated copies found {res['contamination_recall']:.1%} (goal >= 95%), unplanted removed "
          f"{res['contamination_unplanted_removed']:.2%} (goal <= 1%)")
    print(f"pairwise baseline: {t_pair:.1f} s on {len(sl):,} records (MinHash: {t_mh_slice:.2f} s); extrapolated to "
          f"{len(kept):,}: {pair_full/3600:.1f} h, {pair_full / times['near_dedupe']:.0f}x the MinHash dedupe")
    write_json(out, res)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=62766, help='background records (the seed: 62,766)')
    ap.add_argument('--slice', type=int, default=2000, help='records of the pairwise baseline slice')
    ap.add_argument('--out', type=Path, default=ROOT/'bench/results/corpus_bench.json')
    a = ap.parse_args()
    main(a.n, a.out, a.slice)
