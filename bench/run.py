#!/usr/bin/env python3
"""Wall time (median of N runs) and peak memory of chapter-integrator on copies of a real
book, side by side with `rg` scanning the same tree for citation and label patterns.

Measures on the 1x book: `check` over every guide, `plan` and `diff` for one guide, and
building the book model alone (`outline --format json`); then `check`, the model and `rg`
on 2x and 4x copies of the chapter trees, for growth. Prints Markdown tables.

Each tool measure is taken twice: "first run", with the book snapshot removed before every
run (what a new commit or a fresh CI checkout costs, writing the snapshot included), and
"again", with the snapshot of the commit in place (every later run on the same commit).
A third, "after a one-file commit", runs on a new commit that changed one chapter file, the
previous commit's snapshot in place (what CI pays for a typical push).
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument('--bin', required=True)
# The real book is in the workplace's shared/ folder: $SHARED, else the one beside the checkout.
SHARED = os.environ.get('SHARED') or os.path.join(os.path.dirname(__file__), '..', '..', 'shared')
ap.add_argument('--corpus', default=os.path.join(SHARED, 'corpus', 'mecfs'))
ap.add_argument('--work', default=os.path.join(tempfile.gettempdir(), 'chapter-integrator-bench'))
ap.add_argument('--runs', type=int, default=5)
ap.add_argument('--guide', default='Literature/2day-CPET/Keller_2024_MetabolicResponses')
ap.add_argument('--changed', default='src/main/typst/mecfs/part3-treatment/ch22-mechanism-treatment-map/sec-01-mechanism-overview/sec-01-mechanism-overview.typ',
                help='the chapter file the one-file commits change')
a = ap.parse_args()

CHAPTER_TREES = ['src', 'contents']


def make_book(factor):
    """A git copy of the corpus whose chapter trees appear `factor` times."""
    dest = os.path.join(a.work, f'book{factor}x')
    if os.path.isdir(os.path.join(dest, '.git')):
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(a.corpus, dest)
    for tree in CHAPTER_TREES:
        for k in range(2, factor + 1):
            if os.path.isdir(os.path.join(dest, tree)):
                shutil.copytree(os.path.join(dest, tree), os.path.join(dest, f'{tree}-copy{k}'))
    subprocess.run(['chmod', '-R', 'u+w', dest], check=True)
    env = dict(os.environ, GIT_AUTHOR_NAME='bench', GIT_AUTHOR_EMAIL='bench@example.invalid',
               GIT_COMMITTER_NAME='bench', GIT_COMMITTER_EMAIL='bench@example.invalid')
    for cmd in (['git', 'init', '-q', '-b', 'main'], ['git', 'add', '-A'], ['git', 'commit', '-q', '-m', 'book']):
        subprocess.run(cmd, cwd=dest, env=env, check=True, capture_output=True)
    return dest


def measure(cmd, cwd, fresh=False):
    """Median wall seconds and max peak RSS (MB) over the runs; exit codes 0 and 1 count.
    `fresh`: the book's snapshot is removed before every run; else one unmeasured run
    writes it first."""
    snapshots = os.path.join(cwd, '.git', 'chapter-integrator')
    if not fresh and cmd[0] == a.bin:
        subprocess.run(cmd, cwd=cwd, capture_output=True)
    walls, rss = [], []
    for _ in range(a.runs):
        if fresh:
            shutil.rmtree(snapshots, ignore_errors=True)
        p = subprocess.run(['/usr/bin/time', '-f', '%e %M'] + cmd, cwd=cwd, capture_output=True, text=True)
        if p.returncode not in (0, 1):
            sys.exit(f'failed ({p.returncode}): {" ".join(cmd)}\n{p.stderr[-2000:]}')
        wall, kb = p.stderr.strip().splitlines()[-1].split()
        walls.append(float(wall))
        rss.append(int(kb) / 1024)
    return statistics.median(walls), max(rss)


def measure_after_commit(cmd, cwd):
    """Median wall seconds and max peak RSS (MB) of `cmd` run on a new commit that appends a
    comment line to the `--changed` chapter file, the previous commit's snapshot written by an
    unmeasured run first; a new commit (so a new tree) for every run."""
    env = dict(os.environ, GIT_AUTHOR_NAME='bench', GIT_AUTHOR_EMAIL='bench@example.invalid',
               GIT_COMMITTER_NAME='bench', GIT_COMMITTER_EMAIL='bench@example.invalid')
    changed = os.path.join(cwd, a.changed)
    if not os.path.isfile(changed):
        sys.exit(f'--changed {a.changed}: no such file in the book')
    walls, rss = [], []
    for k in range(a.runs):
        subprocess.run(cmd, cwd=cwd, capture_output=True)
        with open(changed, 'a') as f:
            f.write(f'// bench edit {k} {time.time_ns()}\n')
        subprocess.run(['git', 'commit', '-q', '-am', f'bench edit {k}'], cwd=cwd, env=env, check=True)
        p = subprocess.run(['/usr/bin/time', '-f', '%e %M'] + cmd, cwd=cwd, capture_output=True, text=True)
        if p.returncode not in (0, 1):
            sys.exit(f'failed ({p.returncode}): {" ".join(cmd)}\n{p.stderr[-2000:]}')
        wall, kb = p.stderr.strip().splitlines()[-1].split()
        walls.append(float(wall))
        rss.append(int(kb) / 1024)
    return statistics.median(walls), max(rss)


def rg_cmd(book):
    trees = [t for t in os.listdir(book) if t.split('-copy')[0] in CHAPTER_TREES]
    return ['rg', '--no-messages', '-c', '-e', r'\\(cite|citep|citet|label|ref|cref)\{', '-e', r'@[A-Za-z][A-Za-z0-9_:-]*',
            '-e', r'<[a-z]+:[^>]+>'] + trees


def tool(book, *args):
    return [a.bin, '--book', book, '-q', *args]


os.makedirs(a.work, exist_ok=True)
rows = []
b1 = make_book(1)
guide = os.path.join(b1, a.guide)
rg1 = measure(rg_cmd(b1), b1)
for name, cmd in [
    ('check, every guide', tool(b1, 'check')),
    ('plan, one guide', tool(b1, 'plan', guide)),
    ('diff, one guide', tool(b1, 'diff', guide)),
    ('book model (outline)', tool(b1, 'outline', '--format', 'json')),
]:
    first, first_rss = measure(cmd, b1, fresh=True)
    again, again_rss = measure(cmd, b1)
    rows.append((name, first, again, max(first_rss, again_rss)))

print(f'## 1x book ({a.runs} runs each, median wall time; rg {rg1[0]:.3f} s)\n')
print('| measure | first run s | again s | peak RSS MB | first × rg | again × rg |')
print('|---|---:|---:|---:|---:|---:|')
for name, first, again, rss in rows:
    print(f'| {name} | {first:.3f} | {again:.3f} | {rss:.0f} | {first / rg1[0]:.1f} | {again / rg1[0]:.1f} |')
print(f'| rg scan (I/O floor) | {rg1[0]:.3f} | | {rg1[1]:.0f} | 1.0 | |')

# On a copy of its own: the commits it makes stay out of the other measures' book.
bc = os.path.join(a.work, 'book1x-commits')
if not os.path.isdir(os.path.join(bc, '.git')):
    shutil.copytree(b1, bc, symlinks=True)
print(f'\n## After a one-file commit ({a.runs} runs each, median wall time; `{a.changed}` changed)\n')
print('| measure | wall s | peak RSS MB | × rg |')
print('|---|---:|---:|---:|')
for name, cmd in [('check, every guide', tool(bc, 'check')), ('book model (outline)', tool(bc, 'outline', '--format', 'json'))]:
    wall, peak = measure_after_commit(cmd, bc)
    print(f'| {name} | {wall:.3f} | {peak:.0f} | {wall / rg1[0]:.1f} |')

growth = {}
for factor in (1, 2, 4):
    b = make_book(factor)
    growth[factor] = {
        'check, first run': measure(tool(b, 'check'), b, fresh=True)[0],
        'check, again': measure(tool(b, 'check'), b)[0],
        'book model, first run': measure(tool(b, 'outline', '--format', 'json'), b, fresh=True)[0],
        'rg': measure(rg_cmd(b), b)[0],
    }
print('\n## Growth with book size (median wall s)\n')
print('| measure | 1x | 2x | 4x | 4x / 1x |')
print('|---|---:|---:|---:|---:|')
for m in ('check, first run', 'check, again', 'book model, first run', 'rg'):
    g = [growth[f][m] for f in (1, 2, 4)]
    print(f'| {m} | {g[0]:.3f} | {g[1]:.3f} | {g[2]:.3f} | {g[2] / g[0]:.2f} |')
