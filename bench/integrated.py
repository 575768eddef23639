#!/usr/bin/env python3
"""Detection of already-integrated content on both sides of real integrations.

`../shared/gold/integrated.json` lists guides whose content the real book's history shows was
integrated, as they stand in today's book (`guide_at_head`); the gold cases (`book.git`, tags
D01..) hold the same guides just before integration (`guide_when_written`).

  integrated.py --bin BIN [--book-copy DIR] [--work DIR] [--status] [-v]

prints `head_found` (share of the guides `status` calls applied or partly applied in today's
book: should be high), `snapshot_applied` (share of their case snapshots where it calls the
guide applied: should be low) and `snapshot_targets_applied` (targets judged applied at the
snapshots, which `apply` would skip). `--status` also prints the real book's `status` totals.
The real book is copied (git) to --book-copy once; the cases are materialized as eval.py does.
"""
import argparse, collections, json, os, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
shared = os.path.normpath(os.path.join(here, '..', '..', 'shared'))
ap = argparse.ArgumentParser()
ap.add_argument('--bin', required=True)
ap.add_argument('--shared', default=shared)
ap.add_argument('--book-copy', default='/tmp/integrated-mecfs')
ap.add_argument('--work', default='/tmp/gold-work')
ap.add_argument('--status', action='store_true')
ap.add_argument('-v', action='store_true')
a = ap.parse_args()
binp = os.path.abspath(a.bin)
gold = os.path.join(a.shared, 'gold')

def git_copy(src, dest):
    if os.path.isdir(os.path.join(dest, '.git')):
        return dest
    os.makedirs(dest, exist_ok=True)
    subprocess.run(['cp', '-r', src + '/.', dest], check=True)
    subprocess.run(['chmod', '-R', 'u+w', dest], check=True)
    return git_init(dest)

def materialize(case):
    d = os.path.join(a.work, case)
    if os.path.isdir(os.path.join(d, '.git')):
        return d
    os.makedirs(d, exist_ok=True)
    tar = subprocess.run(['git', f'--git-dir={os.path.join(gold, "book.git")}', 'archive', case],
                         capture_output=True, check=True).stdout
    subprocess.run(['tar', '-x', '-C', d], input=tar, check=True)
    return git_init(d)

def git_init(d):
    env = dict(os.environ, GIT_AUTHOR_NAME='eval', GIT_AUTHOR_EMAIL='eval@example.invalid',
               GIT_COMMITTER_NAME='eval', GIT_COMMITTER_EMAIL='eval@example.invalid')
    for cmd in (['git', 'init', '-q', '-b', 'main'], ['git', 'add', '-A'], ['git', 'commit', '-q', '-m', 'snapshot']):
        subprocess.run(cmd, cwd=d, env=env, check=True, capture_output=True)
    return d

def status(book, guides):
    p = subprocess.run([binp, 'status', '--format', 'json', '--book', book] + [os.path.join(book, g) for g in guides],
                       capture_output=True, timeout=600)
    if p.returncode not in (0, 1):
        sys.exit(f'status failed on {book}: {p.stderr.decode(errors="replace")[-500:]}')
    return {g['guide']: g['status'] for g in json.loads(p.stdout)['guides']}

def plan_targets(book, guide):
    p = subprocess.run([binp, 'plan', '--format', 'json', '--book', book, os.path.join(book, guide)],
                       capture_output=True, timeout=600)
    if p.returncode not in (0, 1):
        return []
    return [t for g in json.loads(p.stdout).get('guides', []) for t in g.get('targets', [])]

integrated = json.load(open(os.path.join(gold, 'integrated.json')))
book = git_copy(os.path.join(a.shared, 'corpus', 'mecfs'), a.book_copy)
head = status(book, [g['guide_at_head'] for g in integrated])
found = [g for g in integrated if head.get(g['guide_at_head'], {}).get('state') in ('applied', 'partly-applied')]
if a.v:
    for g in integrated:
        print('head', head.get(g['guide_at_head'], {}).get('state'), g['guide_at_head'])

cases = collections.OrderedDict()
for line in open(os.path.join(gold, 'dev.jsonl')):
    r = json.loads(line)
    cases.setdefault(r['case'], r['guide'])
written = {g['guide_when_written'] for g in integrated}
snap = [(c, g) for c, g in cases.items() if g in written]
applied, targets, targets_applied = [], 0, 0
for case, guide in snap:
    d = materialize(case)
    st = status(d, [guide]).get(guide, {}).get('state')
    if st == 'applied':
        applied.append(case)
    ts = plan_targets(d, guide)
    targets += len(ts)
    hits = [t for t in ts if (t.get('integrated') or {}).get('state') == 'applied']
    targets_applied += len(hits)
    if a.v:
        print('snapshot', case, st, guide, [((t.get('integrated') or {}).get('place')) for t in hits])
out = {
    'head_guides': len(integrated), 'head_found': round(len(found) / max(len(integrated), 1), 3),
    'snapshots': len(snap), 'snapshot_applied': round(len(applied) / max(len(snap), 1), 3),
    'snapshot_applied_cases': applied, 'snapshot_targets': targets, 'snapshot_targets_applied': targets_applied,
}
if a.status:
    p = subprocess.run([binp, 'status', '--format', 'json', '--book', book], capture_output=True, timeout=600)
    out['book_status_totals'] = json.loads(p.stdout)['totals']
    out['book_status_guides'] = len(json.loads(p.stdout)['guides'])
print(json.dumps(out))
