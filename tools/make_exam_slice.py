"""Make the shipped exam slice: 200 items drawn with numpy's default_rng(42) from the 1,200 items of
`../shared/data/nmle_physician_exam/2017-2021physician.json`, kept in their original order and schema.
Run from the repository root: `python tools/make_exam_slice.py`."""
import json
from pathlib import Path
import numpy as np

src = Path('../shared/data/nmle_physician_exam/2017-2021physician.json')
items = json.loads(src.read_text(encoding='utf-8'))
keep = sorted(np.random.default_rng(42).choice(len(items), 200, replace=False).tolist())
out = Path('data/nmle_exam/physician_200.json')
out.write_text(json.dumps([items[i] for i in keep], ensure_ascii=False, indent=1) + '\n', encoding='utf-8')
print(f'{out}: {len(keep)} of {len(items)} items')
