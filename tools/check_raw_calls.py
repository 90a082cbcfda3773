"""List the raw calls that a helper of `medkd.core` wraps (yaml.safe_load, skip_special_tokens=True, requests.get,
session.get, reading with encoding='utf-8') wherever they appear outside that helper in `medkd/*.py`.
Run from the repository root: `python tools/check_raw_calls.py`; exits 1 if any remain."""
import sys
from pathlib import Path
from medkd.testing import raw_calls

if __name__ == '__main__':
    found = raw_calls(Path(__file__).resolve().parents[1]/'medkd')
    for module, line, call, helper in found: print(f'medkd/{module}:{line}: {call} -> use medkd.core.{helper}')
    print(f'{len(found)} raw call(s)')
    sys.exit(1 if found else 0)
