"""Time the README's commands on a fresh clone, as a new user runs them, and write `reports/setup/times.json`, from
which `make readme` renders the README's `<!-- medkd:times -->` block (medkd.site.times_table).

    python3 tools/time_readme.py                 # the test command on a clone of HEAD
    python3 tools/time_readme.py --worktree      # ... on a copy of the working tree as it is (tracked and untracked
                                                 #     files that git does not ignore, in a fresh `git init`)
    python3 tools/time_readme.py --demo          # the test command, then the demo command

The commands are read from the README's "## Two commands" code block and run exactly as written (`bash -c`), in the
clone, one after the other: the first creates `.venv` (set-up), the second finds it. Set-up ends when the Makefile
touches `.venv/.medkd-installed`; its modification time splits each command's wall time into set-up and the rest.
Each command's output goes to `<clone>/time_readme-<n>.log`; the clone is kept (its path is printed) for reading.
Run it with nothing else busy on the machine: the times are wall-clock seconds."""
import argparse, datetime, json, os, platform, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAMP = '.venv/.medkd-installed'

def readme_commands(readme:Path) -> dict:
    "{'test': 'make test', 'demo': 'make demo'}: the README's two commands, comments dropped."
    block = re.search(r'^## Two commands\n.*?```bash\n(.*?)```', readme.read_text(encoding='utf-8'), re.S | re.M)
    if not block: raise SystemExit(f'{readme}: no "## Two commands" section with a bash block')
    cmds = [l.split('#')[0].strip() for l in block[1].splitlines() if l.split('#')[0].strip()]
    return {c.split()[-1]: c for c in cmds}

def git(*args, cwd=ROOT) -> str:
    return subprocess.run(['git', *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()

def fresh_clone(dest:Path, worktree:bool) -> str:
    "Clone HEAD into `dest`, or copy the working tree there; returns what was cloned, in words."
    if not worktree:
        git('clone', '--quiet', '--no-hardlinks', str(ROOT), str(dest))
        return f"HEAD {git('rev-parse', '--short', 'HEAD')}"
    files = git('ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0')
    for f in filter(None, files):
        src = ROOT/f
        if not src.is_file(): continue   # deleted in the working tree
        (dest/f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest/f)
    for args in (['init', '-q'], ['add', '-A']):   # a repository as a clone has one; nothing is committed
        subprocess.run(['git', *args], cwd=dest, check=True, capture_output=True)
    return f"the working tree on HEAD {git('rev-parse', '--short', 'HEAD')} (uncommitted changes included)"

def pip_cache() -> str:
    "'warm (N MB in DIR)' or 'cold (DIR empty)': pip's cache before the run."
    d = subprocess.run([sys.executable, '-m', 'pip', 'cache', 'dir'], capture_output=True, text=True).stdout.strip()
    if os.environ.get('PIP_NO_CACHE_DIR') or not d or not Path(d).is_dir(): return 'off'
    mb = sum(p.stat().st_size for p in Path(d).rglob('*') if p.is_file()) / 2**20
    return f'warm ({mb:,.0f} MB in {d})' if mb > 50 else f'cold ({mb:,.0f} MB in {d})'

def run(cmd:str, clone:Path, log:Path) -> dict:
    "Run `cmd` in `clone`, its output to `log`; wall seconds, set-up seconds, exit code and last line."
    stamp = clone/STAMP
    before = stamp.stat().st_mtime if stamp.exists() else None
    t0 = time.time()
    with open(log, 'w', encoding='utf-8') as f:
        rc = subprocess.run(['bash', '-c', cmd], cwd=clone, stdout=f, stderr=subprocess.STDOUT).returncode
    wall = time.time() - t0
    after = stamp.stat().st_mtime if stamp.exists() else None
    setup = max(0.0, after - t0) if after is not None and after != before else 0.0
    return dict(command=cmd, wall_s=round(wall, 1), setup_s=round(min(setup, wall), 1),
                rest_s=round(wall - min(setup, wall), 1), exit_code=rc, last_line=last_line(log),
                setup_done=after is not None)

def last_line(log:Path) -> str:
    "The command's last line of output; make's own `make: *** [...] Error N` echo of a failure is skipped."
    lines = [l.strip() for l in log.read_text(encoding='utf-8', errors='replace').splitlines() if l.strip()]
    lines = [l for l in lines if not l.startswith('make: ***')] or lines
    return lines[-1] if lines else ''

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--worktree', action='store_true', help='time the working tree (a throwaway commit), not HEAD')
    ap.add_argument('--demo', action='store_true', help='after the test command, run the demo command too')
    ap.add_argument('--out', default=str(ROOT/'reports'/'setup'/'times.json'), help='the JSON to write')
    a = ap.parse_args()
    cmds = readme_commands(ROOT/'README.md')
    clone = Path(tempfile.mkdtemp(prefix='medkd-fresh-'))
    machine = dict(nproc=os.cpu_count(), python=platform.python_version(), platform=platform.platform(),
                   pip_cache=pip_cache(), load_1min_at_start=round(os.getloadavg()[0], 2))   # other jobs slow it
    source = fresh_clone(clone, a.worktree)
    print(f'clone: {clone} ({source})', flush=True)
    results = []
    for n, key in enumerate(['test'] + (['demo'] if a.demo else [])):
        print(f'running `{cmds[key]}` ...', flush=True)
        results.append(run(cmds[key], clone, clone/f'time_readme-{n}.log'))
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    out = dict(date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'), source=source,
               machine=machine, commands=results, tool='tools/time_readme.py' + ' --worktree' * a.worktree)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, ensure_ascii=False, indent=1) + '\n', encoding='utf-8')
    print(f'wrote {a.out}')
    return max(r['exit_code'] for r in results)

if __name__ == '__main__': sys.exit(main())
