#!/usr/bin/env python3
"""Fits the placement weights of rules/scoring.toml ([place]) to the gold dev events and
reports leave-one-guide-out cross-validated insertion-point accuracy beside the accuracy of
the weights fitted on all events and of today's weights.

Two steps, run together by default:

  collect: materializes the gold cases with the gold harness (../shared/gold/eval.py, run as
           it is: it also measures today's weights end to end), runs
           `BIN plan --format json --explain` on each case and writes, per real block
           (event), every candidate of the targets the harness matches to it: its signals'
           values per weight (`x`, summed per `rule`), whether it is in the block's section
           (the harness's own `hit`, imported from eval.py) and at its spot (within 3
           lines, as eval.py counts spot@k).
  fit:     learns the weights from that data and scores rankings offline (a candidate's raw
           score is the sum of weight * value over its signals, exactly as the tool ranks;
           see `plan --explain` in README). Methods (--method):
             pairwise   pairwise logistic regression (RankNet's loss with a linear scorer;
                        Burges et al. 2005; Herbrich et al. 2000 for ranking SVM pairs) on
                        graded labels (spot 2, section 1, else 0), each target's pairs
                        weighted to sum to 1, L2 penalty --l2, weights kept >= 0, solved by
                        projected Newton steps;
             coordinate coordinate ascent on section@1 + spot@1 (Metzler & Croft 2007),
                        from today's weights, over a grid of multiples of each weight.
           `relevance` is the unit and is not fitted (2.0: one relevance-only match scores
           0.5, see score_half), so scores keep their scale; weights absent from the data
           keep today's value.

Cross-validation: for each guide, fit on the events of the other guides and rank that
guide's events with those weights; the held-out hits of all guides make the
cross-validated numbers. "fitted on all" ranks every event with weights fitted on all of
them (an optimistic number: the gap to the cross-validated one is the overfitting).

Usage:
  bench/fit.py --bin target/release/chapter-integrator [--work /tmp/fit-gold]
               [--method pairwise|coordinate] [--data data.json] [--write-rules rules/scoring.toml]
  bench/fit.py --data bench/fit-tiny.json [--method ...]     # fit only, on collected data

Prints one JSON document: events, guides, the method, today's weights and their offline
and end-to-end numbers, the weights fitted on all events with their numbers, and the
cross-validated numbers. --write-rules writes the weights fitted on all events into that
scoring.toml (only what the caller decided to land: see README).
"""
import argparse, contextlib, datetime, io, json, math, os, re, runpy, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The harness is in the workplace's shared/ folder: $SHARED, else the one beside the checkout.
SHARED = os.environ.get('SHARED') or os.path.join(HERE, '..', '..', 'shared')
EVAL = os.path.join(SHARED, 'gold', 'eval.py')
# The weights whose signals placement sums (Signal::weighed in src/place/signal.rs).
RULES = ['hint', 'hint_parent', 'subject', 'line_prior', 'line_shifted', 'relevance',
         'cites_keys', 'same_environment', 'anchor_text', 'follows',
         'spot_end', 'spot_paragraph', 'spot_environment', 'spot_start']
# The spot weights order the insertion points inside one section and add nothing to its
# score (Signal::is_spot): candidates rank by the other rules' sum, then by theirs.
SPOT_RULES = ('spot_end', 'spot_paragraph', 'spot_environment', 'spot_start')
UNIT = 'relevance'
METRICS = ['section@1', 'section@3', 'spot@1', 'file@1', 'landed@1']


# ---------------------------------------------------------------------------- collect

def load_harness(eval_py, binp, work):
    """eval.py's module globals (its `hit`, `materialize`, parsed options) without scoring any
    case: it runs with --only naming no case, its summary of nothing sent nowhere."""
    argv = sys.argv
    sys.argv = [eval_py, '--bin', binp, '--work', work, '--only', '-']
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return runpy.run_path(eval_py, run_name='gold_eval')
    finally:
        sys.argv = argv


def select_targets(targets, ev):
    """The targets the harness scores an event against: those defining one of its labels,
    else the one with its snippet's title, else those in its file, else all (eval.py's
    order of tests, so that offline numbers are the harness's), with how: `label`, `title`,
    `file` or `all`."""
    norm = HARNESS['norm']
    labels = set(ev.get('snippet_labels') or []) | set(ev.get('labels') or [])
    sel = [t for t in targets if labels & set(((t.get('snippet') or {}).get('labels')) or [])]
    if sel:
        return sel, 'label'
    if ev.get('snippet_title'):
        sel = [t for t in targets if norm((t.get('snippet') or {}).get('title')) == norm(ev['snippet_title'])]
        if sel:
            return sel, 'title'
    sel = [t for t in targets if ((t.get('resolved') or {}).get('path')) == ev['file']
           or any(c.get('path') == ev['file'] for c in (t.get('candidates') or [])[:3])]
    return (sel, 'file') if sel else (targets, 'all')


def candidate_row(c, ev):
    x = {}
    for s in c.get('signals') or []:
        if s.get('rule'):
            x[s['rule']] = round(x.get(s['rule'], 0.0) + s['value'], 6)
    group = spot_group(c)
    spot = (c.get('path') == ev['file'] and isinstance(c.get('after_line'), int)
            and ev['after_line'] is not None and abs(c['after_line'] - ev['after_line']) <= 3)
    return {'x': x, 'score': c.get('score'), 'pinned': any(s['name'] == 'sentence' for s in c.get('signals') or []),
            'section': bool(HARNESS['hit'](c, ev)), 'spot': bool(spot), 'in_file': c.get('path') == ev['file'],
            'group': group}


def spot_group(c):
    """The section a candidate is a spot of (its file and heading path), for a candidate with
    a spot signal; None for anchors and the like. The tool prints one spot per section."""
    if any(s.get('rule') in SPOT_RULES for s in c.get('signals') or []):
        return (c.get('path') or '') + '\n' + '\n'.join(c.get('heading_path') or [])
    return None


def collect(binp, work, eval_py):
    """Runs the harness (materializing the cases, measuring today's weights) and the tool
    with --explain; returns the data set (see the module's doc)."""
    global HARNESS
    binp = os.path.abspath(binp)
    os.makedirs(work, exist_ok=True)
    report = os.path.join(work, 'eval-today.json')
    subprocess.run([sys.executable, eval_py, '--bin', binp, '--work', work, '--out', report],
                   check=True, capture_output=True)
    today = json.load(open(report))['summary']
    HARNESS = load_harness(eval_py, binp, work)
    rows = [json.loads(l) for l in open(HARNESS['a'].cases)]
    cases = {}
    for r in rows:
        if r['op'] in ('insert', 'replace') and r['file']:
            cases.setdefault(r['case'], []).append(r)
    events = []
    for case, evs in cases.items():
        d = HARNESS['materialize'](case)
        p = subprocess.run([binp, 'plan', '--format', 'json', '--explain', '--book', d,
                            os.path.join(d, evs[0]['guide'])], capture_output=True)
        plan = json.loads(p.stdout) if p.returncode in (0, 1) else {'guides': []}
        targets = [t for g in plan.get('guides', []) for t in g.get('targets', [])]
        for ev in evs:
            sel, matched = select_targets(targets, ev) if targets else ([], 'all')
            events.append({
                'case': case, 'event': ev['event'], 'guide': ev['guide'], 'matched': matched,
                'targets': [{
                    'target': targets.index(t),
                    'filled': bool(t.get('insertion') or t.get('new_file')),
                    'resolved_in_file': ((t.get('resolved') or {}).get('path')) == ev['file'],
                    'candidates': [candidate_row(c, ev) for c in t.get('candidates') or []],
                } for t in sel],
            })
    return {'today_end_to_end': {k: today[k] for k in METRICS}, 'events': events}


# ---------------------------------------------------------------------------- ranking

def first_of(cands, w, k=1):
    """The best `k` candidates under weights `w`: a pinned one (an in-place edit's sentence)
    first, then by raw score, ties in the tool's order."""
    def raw(c, spot):
        return round(sum(w.get(r, 0.0) * v for r, v in c['x'].items() if (r in SPOT_RULES) == spot), 3)
    scored = sorted((not c['pinned'], -raw(c, False), -raw(c, True), i) for i, c in enumerate(cands))
    out, seen = [], set()
    for *_, i in scored:
        g = cands[i].get('group')
        if g is not None and g in seen:
            continue
        seen.add(g)
        out.append(cands[i])
        if len(out) == k:
            break
    return out


def event_hits(ev, w):
    """Per metric, whether event `ev` is hit under weights `w` (eval.py's definitions)."""
    h = dict.fromkeys(METRICS, False)
    for t in ev['targets']:
        top = first_of(t['candidates'], w, 3)
        if not top:
            h['file@1'] |= t['resolved_in_file']
            continue
        h['section@1'] |= top[0]['section']
        h['spot@1'] |= top[0]['spot']
        h['section@3'] |= any(c['section'] for c in top)
        h['file@1'] |= t['resolved_in_file'] or top[0]['in_file']
        h['landed@1'] |= t['filled'] and top[0]['section']
    return h


def score(events, w):
    n = len(events) or 1
    tot = dict.fromkeys(METRICS, 0)
    for ev in events:
        for k, v in event_hits(ev, w).items():
            tot[k] += v
    return {k: round(tot[k] / n, 3) for k in METRICS}


def confidence(raw, half):
    """The tool's score of a raw sum (place::confidence): raw / (raw + half)."""
    return round(raw / (raw + half), 3) if raw > 0 else 0.0


def calibration(events, w, half, at=0.8, matched=None):
    """Of the targets matched to events whose first candidate scores `at` or more under
    weights `w`, how many there are and the share whose first candidate is in the section
    of an event matched to it (a target the harness matches to several events, as when it
    matches none by label or title, is right when it places one of them); with `matched`
    (`label`, `title`), only the events matched to their targets so. A pinned candidate (an
    in-place edit's sentence) scores at least an anchor's score, as the plan gives it."""
    firsts = {}
    for ev in events:
        if matched and ev.get('matched') not in matched:
            continue
        for t in ev['targets']:
            top = first_of(t['candidates'], w)
            if not top:
                continue
            c = top[0]
            raw = sum(w.get(r, 0.0) * v for r, v in c['x'].items() if r not in SPOT_RULES)
            s = confidence(max(raw, w.get('anchor_text', 0.0)) if c['pinned'] else raw, half)
            key = (ev['case'], t.get('target', id(t)))
            firsts[key] = (s, firsts.get(key, (s, False))[1] or c['section'])
    high = [right for s, right in firsts.values() if s >= at]
    n = len(high)
    bins = {}
    for s, right in firsts.values():
        b = f'{min(int(s * 10), 9) / 10:.1f}'
        n_b, r_b = bins.get(b, (0, 0))
        bins[b] = (n_b + 1, r_b + right)
    return {'at_least': at, 'first_candidates': n, 'right': round(sum(high) / n, 3) if n else None,
            'by_score': {b: {'first_candidates': n_b, 'right': round(r_b / n_b, 3)}
                         for b, (n_b, r_b) in sorted(bins.items())}}


# ---------------------------------------------------------------------------- fitting

def grade(c):
    return 2 if c['spot'] else (1 if c['section'] else 0)


def pairs_of(events, free):
    """Per target with candidates of two grades and no pinned first candidate: the sparse
    differences x(better) - x(worse) over the free rules (and the unit's difference), each
    target's pairs weighted to sum to 1."""
    index = {r: i for i, r in enumerate(free)}
    out = []
    for ev in events:
        for t in ev['targets']:
            cands = t['candidates']
            if not cands or any(c['pinned'] for c in cands):
                continue
            by = {}
            for c in cands:
                by.setdefault(grade(c), []).append(c)
            pairs = [(a, b) for ga in by for gb in by if ga > gb for a in by[ga] for b in by[gb]]
            for a, b in pairs:
                d, unit = {}, a['x'].get(UNIT, 0.0) - b['x'].get(UNIT, 0.0)
                for r in set(a['x']) | set(b['x']):
                    if r in index:
                        v = a['x'].get(r, 0.0) - b['x'].get(r, 0.0)
                        if v:
                            d[index[r]] = v
                out.append((list(d.items()), unit, 1.0 / len(pairs)))
    return out


def solve(a, b):
    """Solves the small dense system a x = b (Gaussian elimination with partial pivoting)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        if abs(m[col][col]) < 1e-12:
            return None
        for r in range(n):
            if r != col:
                f = m[r][col] / m[col][col]
                for k in range(col, n + 1):
                    m[r][k] -= f * m[col][k]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit_pairwise(events, start, l2=1.0, iters=40):
    """Pairwise logistic regression: minimizes sum over pairs of weight *
    log(1 + exp(-(w . d))) + l2/2 |w|^2 over the free rules, w >= 0, by Newton steps on the
    rules not held at 0 (a rule at 0 whose gradient points below it stays there)."""
    free = [r for r in RULES if r != UNIT and any(r in c['x'] for ev in events
                                                  for t in ev['targets'] for c in t['candidates'])]
    unit_w = start[UNIT]
    pairs = pairs_of(events, free)
    n = len(free)
    w = [0.0] * n
    for _ in range(iters):
        g = [l2 * wi for wi in w]
        h = [[(l2 if i == j else 0.0) for j in range(n)] for i in range(n)]
        for d, unit, weight in pairs:
            s = unit_w * unit + sum(w[i] * v for i, v in d)
            p = 1.0 / (1.0 + math.exp(s)) if s > -30 else 1.0
            for i, v in d:
                g[i] -= weight * p * v
            q = weight * p * (1.0 - p)
            for i, vi in d:
                for j, vj in d:
                    h[i][j] += q * vi * vj
        active = [i for i in range(n) if w[i] > 0 or g[i] < 0]
        if not active:
            break
        step = solve([[h[i][j] for j in active] for i in active], [g[i] for i in active])
        if step is None:
            break
        moved = 0.0
        for k, i in enumerate(active):
            new = max(0.0, w[i] - step[k])
            moved = max(moved, abs(new - w[i]))
            w[i] = new
        if moved < 1e-6:
            break
    out = dict(start)
    out.update({r: round(w[i], 3) for i, r in enumerate(free)})
    return out


def fit_coordinate(events, start, sweeps=4):
    """Coordinate ascent on the number of section@1 plus spot@1 hits: each free rule in turn
    takes the multiple of its start value (or, from 0, of the unit) that hits most, the
    current value on ties; until a sweep changes nothing."""
    def objective(w):
        return sum(h['section@1'] + h['spot@1'] for h in (event_hits(ev, w) for ev in events))
    w = dict(start)
    best = objective(w)
    factors = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0]
    for _ in range(sweeps):
        changed = False
        for r in RULES:
            if r == UNIT or r not in start:
                continue
            base = start[r] if start[r] > 0 else start[UNIT]
            for f in factors:
                trial = dict(w, **{r: round(base * f, 3)})
                if trial[r] == w[r]:
                    continue
                o = objective(trial)
                if o > best:
                    best, w, changed = o, trial, True
        if not changed:
            break
    return w


def fit(events, start, method, l2):
    if method == 'pairwise':
        return fit_pairwise(events, start, l2)
    return fit_coordinate(events, start)


def cross_validate(events, start, method, l2):
    """Leave one guide out: each guide's events ranked with weights fitted on the others."""
    guides = sorted({ev['guide'] for ev in events})
    held = []
    for g in guides:
        w = fit([ev for ev in events if ev['guide'] != g], start, method, l2)
        held += [(ev, w) for ev in events if ev['guide'] == g]
    n = len(held) or 1
    tot = dict.fromkeys(METRICS, 0)
    for ev, w in held:
        for k, v in event_hits(ev, w).items():
            tot[k] += v
    return {k: round(tot[k] / n, 3) for k in METRICS}


# ---------------------------------------------------------------------------- rules

def read_weights(path, keys=RULES):
    """The [place] weights of a scoring.toml that placement sums (RULES), or other `keys`."""
    section, out = None, {}
    for line in open(path):
        m = re.match(r'\s*\[(\w+)\]', line)
        if m:
            section = m.group(1)
        m = re.match(r'(\w+)\s*=\s*([0-9.]+)\s*$', line)
        if m and section == 'place' and m.group(1) in keys:
            out[m.group(1)] = float(m.group(2))
    return out


def write_weights(path, w, method, note):
    """Rewrites the [place] lines of `path` for the rules whose weight changed, each with a
    comment naming the script, the method, the date and the value it replaces."""
    old = read_weights(path)
    section, lines = None, []
    for line in open(path):
        m = re.match(r'\s*\[(\w+)\]', line)
        if m:
            section = m.group(1)
        m = re.match(r'(\w+)\s*=\s*([0-9.]+)\s*$', line)
        if m and section == 'place' and m.group(1) in w and w[m.group(1)] != old[m.group(1)]:
            r = m.group(1)
            lines.append(f'# Fitted by bench/fit.py --method {method} on {note} (was {old[r]}).\n')
            line = f'{r} = {w[r]}\n'
        lines.append(line)
    open(path, 'w').write(''.join(lines))


# ---------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bin', help='the tool; with it, the gold cases are collected first')
    ap.add_argument('--work', default='/tmp/fit-gold', help='where the harness materializes the cases')
    ap.add_argument('--eval', default=EVAL, help='the gold harness (eval.py)')
    ap.add_argument('--data', help='collected data: written after collecting, read without --bin')
    ap.add_argument('--rules', default=os.path.join(HERE, '..', 'rules', 'scoring.toml'),
                    help="today's weights (a scoring.toml)")
    ap.add_argument('--method', choices=['pairwise', 'coordinate'], default='pairwise')
    ap.add_argument('--l2', type=float, default=0.1, help='L2 penalty of the pairwise fit (0.1: the best of 1, 0.1, 0.01, 0.001 cross-validated on the dev events)')
    ap.add_argument('--start', choices=['today', 'even'], default='today',
                    help="coordinate ascent's start: today's weights (set by hand looking at every dev "
                         "event, so its cross-validation is optimistic) or every weight equal to the unit")
    ap.add_argument('--write-rules', help='write the weights fitted on all events into this scoring.toml')
    ap.add_argument('--date', default=datetime.date.today().isoformat(), help='for the comment --write-rules adds')
    a = ap.parse_args(argv)
    if a.bin:
        data = collect(a.bin, a.work, a.eval)
        if a.data:
            json.dump(data, open(a.data, 'w'), indent=None, separators=(',', ':'))
    elif a.data:
        data = json.load(open(a.data))
    else:
        ap.error('give --bin (collect and fit) or --data (fit collected data)')
    events = data['events']
    start = read_weights(a.rules)
    half = read_weights(a.rules, ['score_half']).get('score_half', 2.0)
    begin = start if a.start == 'today' else {r: start[UNIT] if r != UNIT else v for r, v in start.items()}
    fitted = fit(events, begin, a.method, a.l2)
    out = {
        'events': len(events),
        'guides': len({ev['guide'] for ev in events}),
        'method': a.method,
        'today': {'weights': start, 'offline': score(events, start),
                  'end_to_end': data.get('today_end_to_end'),
                  'calibration': calibration(events, start, half),
                  'calibration_by_label_or_title': calibration(events, start, half, matched=('label', 'title'))},
        'fitted_on_all': {'weights': fitted, 'offline': score(events, fitted),
                          'calibration': calibration(events, fitted, half),
                          'calibration_by_label_or_title': calibration(events, fitted, half,
                                                                       matched=('label', 'title'))},
        'cross_validated': cross_validate(events, begin, a.method, a.l2),
    }
    if a.method == 'pairwise':
        out['l2'] = a.l2
    else:
        out['start'] = a.start
    print(json.dumps(out, indent=1))
    if a.write_rules:
        write_weights(a.write_rules, fitted, a.method, a.date)
    return out


if __name__ == '__main__':
    main()
