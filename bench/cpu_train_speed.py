"""CPU LoRA SFT speed of the demo (issue 17, the course machine): the old demo recipe against the new one, side by
side in one run, on the same training records, through medkd's own `sft.make_trainer` (trl's SFTTrainer).

Both set-ups train SmolLM2-135M-Instruct (the demo's student) on the same first `--records` records of the demo's
training split, built by the demo's data recipe. Useful tokens are the non-padding tokens of the samples trained
(prompt included), counted by the Trainer (`include_num_input_tokens_seen='non_padding'`); the clock runs from the end
of the first optimizer step (warm-up: the first step allocates and plans kernels) to the end of the last.

  .venv/bin/python bench/cpu_train_speed.py                   # writes bench/results/cpu_train_speed.json
  .venv/bin/python bench/cpu_train_speed.py --records 16      # a quick look
  .venv/bin/python bench/cpu_train_speed.py --setups new --extra '{"learning_rate": 2e-3}'   # try a value

`old` is the demo recipe as shipped before issue 17 (below, verbatim but for paths), on torch's default threads (one
per core); `new` is `recipes/demo_cpu.yaml` on the threads the demo uses (`pipeline.free_cores`: cores minus the load
average); `packed` is `new` with padding-free packing of 8 records a row (kept apart by position_ids, C26).
"""
import argparse, json, os, platform, sys, tempfile, time
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OLD_RECIPE = """# the demo's recipe before issue 17: padded, 1 record a step x 2 accumulated, float32
model: smollm2
lora_r: 16
lora_alpha: 32
lora_dropout: 0.05
target_modules: all-linear
learning_rate: 1.0e-3
lr_scheduler_type: cosine
warmup_steps: 3
max_steps: 40
per_device_train_batch_size: 1
gradient_accumulation_steps: 2
max_length: 1024
dtype: float32
gradient_checkpointing: false
logging_steps: 5
save_steps: 1000
eval_steps: 40
"""


# `new` with padding-free packing: 8 records a step in one row, kept apart by position_ids (C26)
PACKED = dict(packing=True, per_device_train_batch_size=8, gradient_accumulation_steps=1)


def demo_train_file(out:Path) -> Path:
    "The demo's training split, built by its data recipe (`pipeline.demo_splits`) into `out/data`."
    from medkd.pipeline import demo_splits
    demo_splits(out)
    return out/'data'/'train.jsonl'


def clock():
    "A TrainerCallback that stores (time, tokens seen) at the end of every optimizer step."
    from transformers import TrainerCallback
    class Clock(TrainerCallback):
        marks = []
        def on_step_end(self, args, state, control, **kw): self.marks.append((time.perf_counter(), state.num_input_tokens_seen))
    return Clock()


def measure(recipe, n_records:int, threads:int) -> dict:
    "Train `recipe` on its first `n_records` records (one pass) with `threads` torch threads; useful tokens/s after step 1."
    from medkd.sft import make_trainer
    from medkd.pipeline import torch_threads
    batch = recipe.per_device_train_batch_size * recipe.gradient_accumulation_steps
    recipe.max_steps, recipe.num_train_epochs = n_records // batch, 1.0
    c = clock()
    trainer = make_trainer(recipe, callbacks=[c], progress=False)
    load0, t0 = os.getloadavg()[0], time.perf_counter()
    with torch_threads(threads): trainer.train()
    total = time.perf_counter() - t0
    (t1, n1), (t2, n2) = c.marks[0], c.marks[-1]
    return dict(steps=recipe.max_steps, records=recipe.max_steps * batch, batch=batch,
                per_device_train_batch_size=recipe.per_device_train_batch_size,
                gradient_accumulation_steps=recipe.gradient_accumulation_steps, packing=recipe.packing,
                dtype=recipe.dtype, lora_dropout=recipe.lora_dropout, threads=threads,
                load_average=[round(load0, 1), round(os.getloadavg()[0], 1)], useful_tokens=int(n2), seconds=round(total, 1),
                tokens_per_s=round((n2 - n1) / (t2 - t1), 1),
                records_per_s=round((recipe.max_steps - 1) * batch / (t2 - t1), 3))


def recipe_of(name:str, train_file:Path, out:Path, extra:dict):
    "The `old` or `new` demo recipe, reading `train_file`, without evaluation or checkpoints."
    from medkd.sft import load_recipe
    path = ROOT/'recipes'/'demo_cpu.yaml'
    if name == 'old':
        path = out/'old_demo_cpu.yaml'
        path.write_text(OLD_RECIPE)
    over = dict(train_file=str(train_file), eval_file=None, output_dir=str(out/f'sft_{name}'), save_steps=100_000,
                logging_steps=100_000, **(PACKED if name == 'packed' else {}), **(extra if name != 'old' else {}))
    return load_recipe(path, **over)


def versions() -> dict:
    import torch, transformers, trl, peft
    return dict(python=platform.python_version(), torch=torch.__version__, transformers=transformers.__version__,
                trl=trl.__version__, peft=peft.__version__, cpu_count=os.cpu_count(), torch_threads=torch.get_num_threads(),
                machine=platform.machine())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--records', type=int, default=48, help='training records each set-up trains on')
    ap.add_argument('--setups', nargs='+', default=['old', 'new', 'packed'], help='old, new, packed (new, packing 8 a row)')
    ap.add_argument('--threads', type=int, default=None, help='torch threads of new and packed (default: free cores)')
    ap.add_argument('--extra', default='{}', help='JSON of recipe values for the new set-up (to try one)')
    ap.add_argument('--out', default=str(ROOT/'bench'/'results'/'cpu_train_speed.json'))
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix='cpu_speed_'))
    train_file = demo_train_file(work)
    res = {}
    from medkd.pipeline import free_cores
    threads = a.threads or free_cores()   # the demo's choice; the old demo ran on torch's default, one per core
    for name in a.setups:
        res[name] = measure(recipe_of(name, train_file, work, json.loads(a.extra)), a.records,
                            os.cpu_count() if name == 'old' else threads)
        print(name, res[name], flush=True)
    report = dict(what='useful (non-padding) tokens/s of LoRA SFT on the demo records, CPU', records=a.records,
                  setups=res, versions=versions(), load_average_at_end=os.getloadavg())
    if {'old', 'new'} <= set(res): report['ratio_new_over_old'] = round(res['new']['tokens_per_s'] / res['old']['tokens_per_s'], 2)
    print(f"{'set-up':<7} {'batch':>5} {'packing':>7} {'dtype':>9} {'threads':>7} {'tokens/s':>9} {'records/s':>9}")
    for k, v in res.items():
        print(f"{k:<7} {v['batch']:>5} {str(v['packing']):>7} {v['dtype']:>9} {v['threads']:>7} {v['tokens_per_s']:>9} "
              f"{v['records_per_s']:>9}")
    if 'ratio_new_over_old' in report: print(f"new / old: {report['ratio_new_over_old']}x")
    if {'old', 'new'} <= set(a.setups) and a.extra == '{}':
        Path(a.out).write_text(json.dumps(report, indent=2, ensure_ascii=False) + '\n')


if __name__ == '__main__': main()
