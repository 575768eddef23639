#!/usr/bin/env python3
"""Counts the fenced `latex`/`typst` blocks of every integration guide of a book and what
the tool made of each: the snippet of a target that inserts it, the snippet of a target that
does not (already applied, skipped), reported with a finding at the fence's line, or
silently dropped (none of these). Prints one JSON object; `-v` lists the dropped fences.

    python3 bench/fences.py --bin target/release/chapter-integrator --book /tmp/mecfs
"""
import argparse, collections, json, os, re, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument('--bin', required=True, type=os.path.abspath)
ap.add_argument('--book', required=True)
ap.add_argument('--guide', action='append', help='guide path relative to the book (default: every integration guide)')
ap.add_argument('-v', action='store_true')
a = ap.parse_args()

FENCE = re.compile(r'^ {0,3}(`{3,}|~{3,})\s*([A-Za-z]*)')
LANGS = {'latex', 'tex', 'typst', 'typ'}


def run(*args):
    out = subprocess.run([a.bin, '--book', a.book, '--format', 'json', *args], capture_output=True, text=True, cwd=a.book)
    try:
        return json.loads(out.stdout)
    except ValueError:
        sys.stderr.write(f'{args}: exit {out.returncode}: {out.stderr.strip()[:300]}\n')
        return None


def fences(path):
    """1-based lines of the opening fences whose info string is a LaTeX or Typst language."""
    found, open_fence = [], None
    with open(os.path.join(a.book, path), encoding='utf-8', errors='replace') as f:
        for n, line in enumerate(f, 1):
            m = FENCE.match(line)
            if open_fence is None and m:
                open_fence = m.group(1)
                if m.group(2).lower() in LANGS:
                    found.append(n)
            elif open_fence is not None and line.strip().startswith(open_fence[:3]) and line.strip().strip(open_fence[0]) == '':
                open_fence = None
    return found


guides = a.guide or [g['guide'] for g in run('guides')['guides'] if g.get('kind') == 'integration-guide']
counts = collections.Counter()
dropped = []
plans = [run('plan', g) for g in guides]
for g in [g for p in plans if p for g in p['guides']]:
    by_line = {}
    for t in g['targets']:
        if t.get('snippet'):
            by_line.setdefault(t['snippet']['line'], []).append(t['status'])
    findings = {f.get('line') for f in g['findings']}
    for t in g['targets']:
        findings |= {f.get('line') for f in t.get('findings', [])}
    for line in fences(g['guide']):
        counts['fences'] += 1
        statuses = by_line.get(line)
        if statuses and 'insert' in statuses:
            counts['attached_insert'] += 1
        elif statuses:
            counts['attached_' + statuses[0].replace('-', '_')] += 1
        elif line in findings:
            counts['reported'] += 1
        else:
            counts['dropped'] += 1
            dropped.append(f"{g['guide']}:{line}")
print(json.dumps(dict(sorted(counts.items()))))
if a.v:
    print('\n'.join(dropped))
