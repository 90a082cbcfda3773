"""Multi-GPU LoRA SFT throughput: medkd's Qwen2.5-7B recipe under `accelerate launch` + DeepSpeed, 1 GPU vs N GPUs.

The model is Qwen2.5-7B-shaped (28 layers, hidden 3584, 28/4 heads, vocab 152,064, untied) with random bf16 weights
built on the GPU machine (no hub there); the tokenizer is Qwen2.5's real one rebuilt offline (medkd.testing); the
data are real iiyi records (medkd's formatter, unclipped), so batches have real lengths. The recipe is
recipes/qwen2.5-7b_lora_zero{2,3}.yaml with only the model path, data, steps and output overridden.

  python bench/sft_scaling.py prepare --out bench_out                 # here: tokenizer + data
  python bench/sft_scaling.py make-model --out /tmp/q7b --tokenizer bench_out/q25tok     # on the GPU machine
  accelerate launch --config_file configs/accelerate_deepspeed.yaml --num_processes N \\
      bench/sft_scaling.py run --model /tmp/q7b --data bench_out/data --zero 2 --steps 40 --result z2_N.json
  python bench/sft_scaling.py report z2_1.json z2_2.json [z3_2.json]  # side by side, scaling efficiency
"""
import argparse, json, os, shutil, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
ROOT = Path(__file__).resolve().parents[1]


def prepare(out):
    from medkd.testing import qwen25_tokenizer_dir
    from medkd.pipeline import demo_records
    from medkd.core import write_records
    out = Path(out); shutil.copytree(qwen25_tokenizer_dir(), out/'q25tok', dirs_exist_ok=True)
    recs = demo_records(max_input=None, max_rationale=None, max_answer=None, instruction=None)   # unclipped: real lengths
    write_records(out/'data'/'train.jsonl', recs)
    print(f'{len(recs)} records, tokenizer and data in {out}')


def make_model(out, tokenizer):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM, GenerationConfig
    t = time.time()
    cfg = Qwen2Config(vocab_size=152064, hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                      num_key_value_heads=4, max_position_embeddings=32768, rope_theta=1e6, rms_norm_eps=1e-6, tie_word_embeddings=False,
                      bos_token_id=151643, eos_token_id=151643, pad_token_id=151643, use_cache=False)
    torch.manual_seed(0)
    torch.set_default_dtype(torch.bfloat16)
    with torch.device('cuda'): model = Qwen2ForCausalLM(cfg)
    torch.set_default_dtype(torch.float32)
    model.generation_config = GenerationConfig(eos_token_id=[151645, 151643], pad_token_id=151643)
    model.save_pretrained(out)
    for f in Path(tokenizer).iterdir(): shutil.copy(f, Path(out)/f.name)
    print(f'{model.num_parameters()/1e9:.2f}B parameters saved to {out} in {time.time()-t:.0f} s')


def run(model, data, zero, steps, result, batch=2):
    import torch
    from transformers import TrainerCallback
    from medkd.sft import load_recipe, train, check_adapter

    class Timer(TrainerCallback):
        "Wall time and tokens seen (all ranks, non-padding) at every optimizer step."
        def __init__(self): self.marks = []
        def on_step_end(self, args, state, control, **kw):
            torch.cuda.synchronize(); self.marks.append((time.perf_counter(), state.global_step, state.num_input_tokens_seen))

    timer = Timer()
    world = int(os.environ.get('WORLD_SIZE', 1))
    out = Path(f'/tmp/sft_z{zero}_w{world}')
    recipe = load_recipe(ROOT/'recipes'/f'qwen2.5-7b_lora_zero{zero}.yaml', model=model, train_file=str(Path(data)/'train.jsonl'),
                         eval_file=None, output_dir=str(out), max_steps=steps, save_steps=10**6, logging_steps=5,
                         per_device_train_batch_size=batch)
    t0 = time.perf_counter()
    adapter = train(recipe, callbacks=[timer])
    total = time.perf_counter() - t0
    if int(os.environ.get('RANK', 0)) == 0:
        warm = 5
        (t_a, s_a, n_a), (t_b, s_b, n_b) = timer.marks[warm - 1], timer.marks[-1]
        shapes = check_adapter(adapter)
        res = dict(zero=zero, gpus=world, steps_timed=s_b - s_a, seconds=t_b - t_a, tokens=int(n_b - n_a),
                   tokens_per_s=(n_b - n_a)/(t_b - t_a), tokens_per_s_per_gpu=(n_b - n_a)/(t_b - t_a)/world,
                   samples_per_step=batch*world, s_per_step=(t_b - t_a)/(s_b - s_a), total_seconds=total,
                   peak_mem_gib=torch.cuda.max_memory_allocated()/2**30, adapter=str(adapter), adapter_tensors=len(shapes),
                   adapter_bytes=(Path(adapter)/'adapter_model.safetensors').stat().st_size,
                   adapter_shapes={k: list(v) for k, v in shapes.items()}, gpu=torch.cuda.get_device_name(0),
                   versions={m: __import__(m).__version__ for m in ('torch', 'transformers', 'peft', 'trl', 'deepspeed', 'accelerate')})
        Path(result).write_text(json.dumps(res, indent=1))
        print(json.dumps({k: v for k, v in res.items() if k != 'adapter_shapes'}, indent=1))


def load_check(model, adapter):
    "Load a saved adapter (e.g. from ZeRO-3) as a plain PEFT adapter onto the base and check it changes the logits."
    import torch
    from peft import PeftModel
    from medkd.sft import load_model, check_adapter
    check_adapter(adapter)
    base = load_model(model, 'bfloat16', device_map='cuda').eval()
    ids = torch.tensor([[151644, 8948, 198, 108386, 151645, 198]], device='cuda')
    with torch.no_grad():
        l0 = base(ids).logits.float()
        peft = PeftModel.from_pretrained(base, adapter).eval()
        l1 = peft(ids).logits.float()
    print(json.dumps(dict(adapter=adapter, loads_as_peft=True, max_logit_change=(l1 - l0).abs().max().item())))


def report(files):
    rs = sorted((json.loads(Path(f).read_text()) for f in files), key=lambda r: (r['zero'], r['gpus']))
    base = {r['zero']: r for r in rs if r['gpus'] == 1}   # each ZeRO stage against its own 1-GPU run
    print(f"{'run':<14}{'GPUs':>5}{'tokens/s':>12}{'tokens/s/GPU':>14}{'s/step':>9}{'peak GiB':>10}{'scaling eff.':>14}")
    for r in rs:
        eff = r['tokens_per_s_per_gpu'] / base[r['zero']]['tokens_per_s_per_gpu'] if r['zero'] in base else float('nan')
        print(f"ZeRO-{r['zero']:<9}{r['gpus']:>5}{r['tokens_per_s']:>12.0f}{r['tokens_per_s_per_gpu']:>14.0f}{r['s_per_step']:>9.3f}"
              f"{r['peak_mem_gib']:>10.1f}{eff:>14.1%}")
    keys = [set(r['adapter_shapes']) for r in rs]
    print('adapter key sets identical across runs:', all(k == keys[0] for k in keys),
          '| shapes identical:', all(r['adapter_shapes'] == rs[0]['adapter_shapes'] for r in rs))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('prepare'); a.add_argument('--out', default='bench_out')
    a = sub.add_parser('make-model'); a.add_argument('--out', required=True); a.add_argument('--tokenizer', required=True)
    a = sub.add_parser('run'); a.add_argument('--model', required=True); a.add_argument('--data', required=True)
    a.add_argument('--zero', type=int, default=2); a.add_argument('--steps', type=int, default=40); a.add_argument('--batch', type=int, default=2)
    a.add_argument('--result', required=True)
    a = sub.add_parser('load-check'); a.add_argument('--model', required=True); a.add_argument('--adapter', required=True)
    a = sub.add_parser('report'); a.add_argument('files', nargs='+')
    o = p.parse_args()
    if o.cmd == 'prepare': prepare(o.out)
    elif o.cmd == 'make-model': make_model(o.out, o.tokenizer)
    elif o.cmd == 'run': run(o.model, o.data, o.zero, o.steps, o.result, o.batch)
    elif o.cmd == 'load-check': load_check(o.model, o.adapter)
    else: report(o.files)
