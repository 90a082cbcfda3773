"""GRPO step time on one GPU: a few steps of `recipes/grpo_qwen2.5-7b_h200.yaml` (issue 15) through medkd's own
`make_grpo_trainer`, on a Qwen2.5-7B-shaped model with random bf16 weights (`bench/sft_speed.py`'s `qwen7b_config`,
built on the machine: no hub there) and Qwen2.5's real tokenizer rebuilt offline (medkd.testing).

Prompts are the repo's real cases (iiyi + CMB-Clin, unclipped) without their instruction, as the recipe trains. A model
with random weights never emits `<|im_end|>`, so every completion runs to `max_completion_length`: the step time is the
worst case of the recipe (the longest generations), and the rewards are all equal (no learning; the backward pass runs
all the same). Generation uses vLLM where the recipe's `use_vllm: auto` finds it, else transformers' `generate`.

Printed and written to the JSON: seconds per step, generation seconds (the trainer's `_generate_single_turn`, timed
with CUDA synchronised) and the rest (log-probabilities, reference forward for the KL term, backward, optimizer), peak
GiB allocated and reserved, completion tokens per step.

  python bench/grpo_gpu.py --out bench/results/grpo_gpu_h200.json              # GPU machine, 3 steps
  python bench/grpo_gpu.py --tiny --out /tmp/grpo_gpu_tiny.json                # CPU smoke test (seconds)
"""
import argparse, json, sys, tempfile, time
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT/'bench'))


def _sync():
    import torch
    if torch.cuda.is_available(): torch.cuda.synchronize()


def write_prompts(path:Path, n:int):
    "The first `n` unclipped demo records (iiyi + CMB-Clin) as SFTRecord JSONL; the trainer drops their instruction."
    from medkd.core import write_jsonl
    from medkd.pipeline import demo_records
    recs = demo_records(max_input=None, max_rationale=None, max_answer=None, instruction=None)[:n]
    write_jsonl(path, [r.to_dict() for r in recs])


def timed_generation(trainer, times:list):
    "Wrap the trainer's generation so each call's seconds (CUDA synchronised) are appended to `times`."
    gen = trainer._generate_single_turn
    def wrapped(*a, **kw):
        _sync()
        t = time.perf_counter()
        out = gen(*a, **kw)
        _sync()
        times.append(time.perf_counter() - t)
        return out
    trainer._generate_single_turn = wrapped


def step_timer():
    "A `TrainerCallback` with `.seconds`: the wall time of each optimizer step (CUDA synchronised)."
    from transformers import TrainerCallback
    class StepTimer(TrainerCallback):
        seconds = []
        def on_step_begin(self, args, state, control, **kw):
            _sync()
            self.t = time.perf_counter()
        def on_step_end(self, args, state, control, **kw):
            _sync()
            self.seconds.append(time.perf_counter() - self.t)
    return StepTimer()


def run(out:str, steps:int, tiny:bool, recipe:str, model_dir:str|None, overrides:dict):
    import torch
    from sft_speed import make_model
    from medkd.grpo import load_grpo_recipe, make_grpo_trainer
    from medkd.generation import versions
    from medkd.testing import qwen25_tokenizer_dir
    t0, work = time.time(), Path(tempfile.mkdtemp(prefix='grpo_gpu_'))
    mdir = Path(model_dir) if model_dir else work/'model'
    if not (mdir/'config.json').exists(): make_model(str(mdir), str(qwen25_tokenizer_dir()), tiny)
    small = dict(max_completion_length=16, num_generations=2, prompts_per_step=2, dtype='float32',
                 gradient_checkpointing=False, use_vllm=False) if tiny else {}
    over = dict(model=str(mdir), sft_adapter=None, train_file=str(work/'prompts.jsonl'), output_dir=str(work/'grpo'),
                max_steps=steps, save_steps=10**6, logging_steps=1) | small | overrides
    r = load_grpo_recipe(ROOT/recipe, **over)
    write_prompts(work/'prompts.jsonl', r.prompts_per_step * steps)
    gen_s, timer = [], step_timer()
    trainer = make_grpo_trainer(r, [timer], progress=False)
    timed_generation(trainer, gen_s)
    if torch.cuda.is_available(): torch.cuda.reset_peak_memory_stats()
    t_setup = time.time() - t0
    trainer.train()   # not fit_grpo: with random weights every reward is equal and the adapter stays zero
    logs = [h for h in trainer.state.log_history if 'reward' in h]
    per = [dict(step=i + 1, seconds=round(s, 2), generate_s=round(g, 2), train_s=round(s - g, 2),
                completion_tokens=round(h['completions/mean_length'] * r.prompts_per_step * r.num_generations))
           for i, (s, g, h) in enumerate(zip(timer.seconds, gen_s, logs))]
    later = per[1:] or per
    gib = lambda f: round(f() / 2**30, 2) if torch.cuda.is_available() else None
    res = dict(recipe=recipe, tiny=tiny, steps=per, setup_s=round(t_setup, 1),
               mean_step_s=round(sum(p['seconds'] for p in later) / len(later), 2),
               mean_generate_s=round(sum(p['generate_s'] for p in later) / len(later), 2),
               mean_train_s=round(sum(p['train_s'] for p in later) / len(later), 2),
               generation_backend='vllm' if trainer.use_vllm else 'transformers generate',
               peak_allocated_gib=gib(torch.cuda.max_memory_allocated), peak_reserved_gib=gib(torch.cuda.max_memory_reserved),
               completions_per_step=r.prompts_per_step * r.num_generations, max_completion_length=r.max_completion_length,
               beta=r.beta, dtype=r.dtype, gradient_checkpointing=r.gradient_checkpointing, wall_s=round(time.time() - t0, 1),
               note='random weights: every completion runs to max_completion_length (worst case); '
                    'means exclude step 1 when there are 2+ steps', **versions())
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(res, indent=1))
    report(res)


def report(res:dict):
    print(f"{res['device']}: {res['completions_per_step']} completions x <= {res['max_completion_length']} tokens per "
          f"step, {res['dtype']}, generation: {res['generation_backend']}, beta {res['beta']}")
    print(f"{'step':>4}{'s/step':>9}{'generate s':>12}{'train s':>9}{'tokens':>8}")
    for p in res['steps']:
        print(f"{p['step']:>4}{p['seconds']:>9.1f}{p['generate_s']:>12.1f}{p['train_s']:>9.1f}{p['completion_tokens']:>8}")
    print(f"mean (after step 1): {res['mean_step_s']} s/step = {res['mean_generate_s']} s generation + "
          f"{res['mean_train_s']} s training; peak {res['peak_allocated_gib']} GiB allocated, "
          f"{res['peak_reserved_gib']} GiB reserved; set-up {res['setup_s']} s")


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', required=True, help='JSON file to write')
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--tiny', action='store_true', help='2-layer model, 2x2 completions of 16 tokens, fp32: CPU smoke test')
    p.add_argument('--recipe', default='recipes/grpo_qwen2.5-7b_h200.yaml')
    p.add_argument('--model-dir', help='reuse a model folder written by an earlier run (else built in a temp folder)')
    p.add_argument('--max-completion-length', type=int)
    p.add_argument('--prompts-per-step', type=int)
    p.add_argument('--num-generations', type=int)
    p.add_argument('--use-vllm', choices=['auto', 'true', 'false'])
    o = p.parse_args()
    over = {k: v for k, v in dict(max_completion_length=o.max_completion_length, prompts_per_step=o.prompts_per_step,
                                  num_generations=o.num_generations).items() if v is not None}
    if o.use_vllm: over['use_vllm'] = {'auto': 'auto', 'true': True, 'false': False}[o.use_vllm]
    run(o.out, o.steps, o.tiny, o.recipe, o.model_dir, over)
