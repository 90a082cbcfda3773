# Scratch script, run once OUTSIDE medkd to pin LLaMA-Factory's own metric values for nbs/06_evaluate.ipynb.
# How it was run (llamafactory 0.9.5 installed with --no-deps into /tmp/lfpkg; modules the metric never uses
# - torchaudio, omegaconf, trl - stubbed in /tmp/lfstub because 0.9.5 imports them at package import):
#   DISABLE_VERSION_CHECK=1 PYTHONPATH=/tmp/lfpkg:/tmp/lfstub python tools/llamafactory_metric_reference.py data/fixtures/llamafactory_metric_reference.json
# Run LLaMA-Factory's own metric (llamafactory 0.9.5, train/sft/metric.py ComputeSimilarity) on fixed pairs.
import json, sys, numpy as np
from transformers import EvalPrediction
from llamafactory.train.sft.metric import ComputeSimilarity
from medkd.testing import qwen25_tokenizer
tok = qwen25_tokenizer()
pairs = [("社区获得性肺炎", ""), ("社区获得性肺炎", " "), ("社区获得性肺炎", "."), ("社区获得性肺炎", "。"), ("社区获得性肺炎", "社区获得性肺炎"),
         ("社区获得性肺炎", "考虑社区获得性肺炎"),
         ("<think>\n转移性右下腹痛，麦氏点压痛，白细胞升高。\n</think>\n\n急性阑尾炎", "<think>\n右下腹痛伴发热，考虑阑尾炎。\n</think>\n\n急性阑尾炎"),
         ("十二指肠球部溃疡伴活动性出血", "胃溃疡"), ("脑梗死；高血压3级极高危", "脑梗死，高血压病"), ("2型糖尿病酮症酸中毒", "糖尿病")]
per = []
for label, pred in pairs:
    m = ComputeSimilarity(tokenizer=tok)
    p = tok(pred, add_special_tokens=False).input_ids; l = tok(label, add_special_tokens=False).input_ids
    n = max(len(p), len(l), 1)
    P = np.array([p + [-100]*(n-len(p))]); L = np.array([[-100]*(n-len(l)) + l])
    per.append(m(EvalPrediction(P, L)))
import importlib.metadata as md
out = dict(pairs=pairs, per_sample=per, versions={k: md.version(k) for k in ('llamafactory', 'jieba', 'rouge-chinese', 'nltk')})
m = ComputeSimilarity(tokenizer=tok)
for label, pred in pairs:
    p = tok(pred, add_special_tokens=False).input_ids; l = tok(label, add_special_tokens=False).input_ids
    n = max(len(p), len(l), 1)
    m(EvalPrediction(np.array([p + [-100]*(n-len(p))]), np.array([[-100]*(n-len(l)) + l])), compute_result=False)
out['mean'] = m._dump()
json.dump(out, open(sys.argv[1], 'w'), ensure_ascii=False, indent=1)
print(json.dumps(out['mean']), out['versions'])
