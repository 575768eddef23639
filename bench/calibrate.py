#!/usr/bin/env python3
"""Calibrates placement scores: maps a target's first candidate's score to the estimated
probability that it is in the right section, by isotonic regression (pool adjacent
violators; Zadrozny & Elkan 2002) over the first candidates of one or more benchmarks.

Input: data files in bench/fit.py's form (`fit.py --bin ... --data dev.json` for the gold
dev events, `selfsup.py --bin ... --data selfsup.json` for the self-supervised benchmark).
Each target's first candidate under the weights of --rules gives one (score, right) pair,
as fit.py's calibration counts them (a target matched to several events is right when it
places one of them), for the events whose target is known (MATCHED).

Prints one JSON document: per benchmark (file) its pairs, and of the first candidates whose
estimated probability is --at (0.8) or more, how many and the share right; the calibration
table (`scores`, lower bounds of score ranges, and `right`, the probability of each) fitted
on all benchmarks pooled, each benchmark weighing the same in total (so that a large one
does not drown a small one); and the same table cross-checked leaving each benchmark out
(`held_out`: the share right of a benchmark's first candidates at --at or more under the
table fitted on the others). --toml prints the table as rules/scoring.toml's
`[calibration]` lines.

Usage:
  bench/calibrate.py DATA.json [DATA.json ...] [--rules rules/scoring.toml] [--at 0.8] [--toml]
"""
import argparse, json, os, runpy, sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Events whose target is known: matched by label or title (fit.py), or the one target of a
# self-supervised guide. A gold event matched only by its file may be no target's block.
MATCHED = ('label', 'title', 'only')
FIT = runpy.run_path(os.path.join(HERE, 'fit.py'), run_name='fit')


def pairs(events, w, half):
    """(score, right) of each target's first candidate under weights `w`."""
    firsts = {}
    for ev in events:
        if ev.get('matched') not in MATCHED:
            continue
        for t in ev['targets']:
            top = FIT['first_of'](t['candidates'], w)
            if not top:
                continue
            c = top[0]
            raw = sum(w.get(r, 0.0) * v for r, v in c['x'].items() if r not in FIT['SPOT_RULES'])
            s = FIT['confidence'](max(raw, w.get('anchor_text', 0.0)) if c['pinned'] else raw, half)
            key = (ev['case'], t.get('target', id(t)))
            firsts[key] = (s, firsts.get(key, (s, False))[1] or c['section'])
    return list(firsts.values())


def isotonic(points):
    """Pool adjacent violators over (score, right, weight) points: a non-decreasing step
    function as (lower bound of score, probability) blocks, scores rounded to 0.001."""
    by_score = {}
    for s, y, wt in points:
        got = by_score.setdefault(s, [s, 0.0, 0.0])
        got[1] += y * wt
        got[2] += wt
    blocks = []  # [first score, weighted right, weight]; equal scores are one point
    for s in sorted(by_score):
        blocks.append(by_score[s])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            s2, y2, w2 = blocks.pop()
            blocks[-1][1] += y2
            blocks[-1][2] += w2
    return [(round(b[0], 3), round(b[1] / b[2], 3)) for b in blocks]


def probability(table, s):
    p = 0.0
    for lo, right in table:
        if s >= lo:
            p = right
    return p


def fit_table(sets):
    pts = []
    for ps in sets:
        n = len(ps) or 1
        pts += [(s, 1.0 if right else 0.0, 1.0 / n) for s, right in ps]
    table = isotonic(pts)
    # The lowest block starts at 0: every score has a probability.
    return [(0.0, table[0][1])] + table[1:] if table else [(0.0, 0.0)]


def share_at(table, ps, at):
    high = [right for s, right in ps if probability(table, s) >= at]
    return {'first_candidates': len(high), 'right': round(sum(high) / len(high), 3) if high else None}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('data', nargs='+')
    ap.add_argument('--rules', default=os.path.join(HERE, '..', 'rules', 'scoring.toml'))
    ap.add_argument('--at', type=float, default=0.8)
    ap.add_argument('--toml', action='store_true', help="print the table as scoring.toml's [calibration] lines")
    a = ap.parse_args(argv)
    w = FIT['read_weights'](a.rules)
    half = FIT['read_weights'](a.rules, ['score_half']).get('score_half', 2.0)
    sets = {os.path.basename(d): pairs(json.load(open(d))['events'], w, half) for d in a.data}
    table = fit_table(list(sets.values()))
    out = {'table': {'scores': [s for s, _ in table], 'right': [p for _, p in table]}, 'at_least': a.at,
           'benchmarks': {}}
    for name, ps in sets.items():
        others = [p for n, p in sets.items() if n != name]
        out['benchmarks'][name] = {
            'first_candidates': len(ps), 'right': round(sum(r for _, r in ps) / (len(ps) or 1), 3),
            'at_least': share_at(table, ps, a.at),
            'held_out': share_at(fit_table(others), ps, a.at) if others else None,
        }
    if a.toml:
        print('scores = [' + ', '.join(f'{s}' for s, _ in table) + ']')
        print('right = [' + ', '.join(f'{p}' for _, p in table) + ']')
    else:
        print(json.dumps(out, indent=1))
    return out


if __name__ == '__main__':
    main()
