#!/usr/bin/env python3
"""Self-supervised placement benchmark built from a Typst book itself.

Takes blocks out of a copy of the book and asks the tool to put them back:

  blocks:  labelled environment calls (`#name(title: [T])[ ... ] <label>`, `name` an
           environment the book defines with `#let name(title: ...)`) and paragraphs that
           cite a key of the book's `.bib` files (`@Key`), each outside any environment and
           under a heading of its own file;
  guides:  one per block and form, in the book's per-paper guide form (`### Primary Target:`,
           `**File:**` naming the chapter by its older path form -- the chapter file before it
           was split into `sec-*/subsec-*` files: `part/chNN-x/chNN-x.typ` named as
           `part/chNN-x.typ` --, `**BibTeX key:**` with the block's citation keys,
           `**Environment type:**` for an environment, the block as a ```typst fence), with a
           `**Section hint:**` naming the block's heading (`hint`) or without one (`nohint`);
  run:     the sampled blocks are grouped in rounds holding at most one block per file; per
           round the copy gets one commit with those blocks removed (with one blank line
           after each) and `BIN plan --format json --explain` runs once on the round's hint
           guides and once on its nohint guides;
  measure: for the primary target of each guide: section@1 / section@3 (a candidate in the
           block's file under the block's heading, or within 3 lines of its spot, as the gold
           harness counts), spot@1 / spot@3 (within 3 lines of the line the block followed),
           file@1, and where the first candidate is in the right section but at a wrong spot,
           whether any candidate is at the spot (`spot_candidate`).

Deterministic: the sample is drawn with --seed from the blocks sorted by file and line.
Prints one JSON document: size (guides), blocks, per form and over both: the measures, and
the calibration of the first candidate's score (share right per tenth of score, and of those
scored 0.8 or more). --data FILE writes every candidate's signals in bench/fit.py's data form
(one event per guide; `guide` is the block's chapter, so fit.py's leave-one-guide-out
leaves one chapter out).

Usage:
  bench/selfsup.py --bin target/release/chapter-integrator [--book ../shared/corpus/mecfs]
                   [--sample 200] [--seed 1] [--work DIR] [--data FILE] [-v]
"""
import argparse, json, os, random, re, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# The real book is in the workplace's shared/ folder: $SHARED, else the one beside the checkout.
SHARED = os.environ.get('SHARED') or os.path.join(HERE, '..', '..', 'shared')
BOOK = os.path.join(SHARED, 'corpus', 'mecfs')
SKIP_DIRS = {'.git', 'shared', 'bib', 'figures', 'Literature', 'ops', 'contents'}
HEADING = re.compile(r'^(=+)\s+(.*?)\s*(<[^>\s]+>)?\s*$')
ENV_DEF = re.compile(r'^#let\s+([a-z][\w-]*)\(\s*title\s*:')
ENV_CALL = re.compile(r'^#([a-z][\w-]*)\(')
LABEL = re.compile(r'^\s*<([\w:.-]+)>\s*$')
CITE = re.compile(r'@([A-Za-z][\w:.-]*[\w])')
BIB_KEY = re.compile(r'^\s*@\w+\s*\{\s*([^,\s]+)\s*,', re.M)
PARA_STOP = ('=', '#', '<', '//', '- ', '+ ', '|', '$', ']', ')', '/', '```', '*')
SPOT = 3


def norm(s):
    return re.sub(r'[^a-z0-9]+', ' ', (s or '').lower()).strip()


def typ_files(book):
    for d, dirs, files in os.walk(book):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS)
        for f in sorted(files):
            if f.endswith('.typ'):
                yield os.path.relpath(os.path.join(d, f), book)


def env_names(book):
    names = set()
    for d, dirs, files in os.walk(book):
        dirs[:] = [x for x in dirs if x != '.git']
        for f in files:
            if f.endswith('.typ'):
                for line in open(os.path.join(d, f), encoding='utf-8', errors='replace'):
                    m = ENV_DEF.match(line)
                    if m:
                        names.add(m.group(1))
    return names


def bib_keys(book):
    keys = set()
    for d, dirs, files in os.walk(book):
        dirs[:] = [x for x in dirs if x != '.git']
        for f in files:
            if f.endswith('.bib'):
                keys |= set(BIB_KEY.findall(open(os.path.join(d, f), encoding='utf-8', errors='replace').read()))
    return keys


def call_end(lines, i):
    """The 0-based last line of the environment call opening at line `i`: where its brackets
    close after a `[...]` body, the rest of that line opening no further body."""
    depth, opened = 0, False
    for j in range(i, len(lines)):
        line = re.sub(r'\\.', '', lines[j])
        for k, ch in enumerate(line):
            if ch in '([':
                depth += 1
                opened |= ch == '['
            elif ch in ')]':
                depth -= 1
                if depth == 0 and opened and not line[k + 1:].lstrip().startswith('['):
                    return j
    return None


def blocks_of(path, text, envs, keys):
    """The blocks of one file: dicts with `kind` (environment name or `paragraph`), 1-based
    `start`/`end` lines, `heading` (the enclosing heading's title in this file), `title`
    (an environment's), `label`, `keys` (cited bibliography keys, in order)."""
    lines = text.split('\n')
    out, heading, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        h = HEADING.match(line)
        if h:
            heading = h.group(2)
            i += 1
            continue
        m = ENV_CALL.match(line)
        if m and m.group(1) in envs:
            end = call_end(lines, i)
            if end is None:
                break
            label = re.search(r'\]\s*<([\w:.-]+)>\s*$', lines[end])
            if not label and end + 1 < len(lines) and LABEL.match(lines[end + 1]):
                end += 1
                label = LABEL.match(lines[end])
            body = '\n'.join(lines[i:end + 1])
            title = re.search(r'title:\s*\[([^\]]*)\]', line)
            if label and heading:
                out.append({'kind': m.group(1), 'start': i + 1, 'end': end + 1, 'heading': heading,
                            'title': title.group(1).strip() if title else None, 'label': label.group(1),
                            'keys': cited(body, keys)})
            i = end + 1
            continue
        if line.strip() and not line.lstrip().startswith(PARA_STOP):
            j = i
            while j + 1 < len(lines) and lines[j + 1].strip() and not lines[j + 1].lstrip().startswith(PARA_STOP):
                j += 1
            body = '\n'.join(lines[i:j + 1])
            ks = cited(body, keys)
            next_blank = j + 1 >= len(lines) or not lines[j + 1].strip()
            if ks and heading and next_blank and len(body) >= 150:
                out.append({'kind': 'paragraph', 'start': i + 1, 'end': j + 1, 'heading': heading,
                            'title': None, 'label': None, 'keys': ks})
            i = j + 1
            continue
        i += 1
    return out


def cited(body, keys):
    seen = []
    for k in CITE.findall(body):
        if k in keys and k not in seen:
            seen.append(k)
    return seen


def older_path(book, path):
    """The chapter holding `path` by the path it had before it was split: the outermost
    folder `d` above it holding `d/<d>.typ` names the chapter `<d>.typ` beside that folder;
    a file in no such folder is its own chapter (named as it is)."""
    parts = path.split('/')
    for n in range(1, len(parts)):
        d = parts[n - 1]
        if os.path.isfile(os.path.join(book, *parts[:n], d + '.typ')):
            return '/'.join(parts[:n - 1] + [d + '.typ']), '/'.join(parts[:n] + [d + '.typ'])
    return path, path


def guide_text(b, form):
    keys = ', '.join(f'`{k}`' for k in b['keys'])
    lines = [f"# Integration Guide: block {b['id']}", '']
    if keys:
        lines += ['## Paper Citation Key', f'**BibTeX key:** {keys}', '']
    lines += ['## Recommended Chapters for Integration', '',
             f"### Primary Target: {os.path.basename(b['older'])}", f"**File:** `{b['older']}`"]
    if form == 'hint':
        lines.append(f"**Section hint:** \"{b['heading']}\"")
    if b['kind'] != 'paragraph':
        lines.append(f"**Environment type:** {b['kind']}")
    lines += ['', '**Suggested Typst:**', '```typst', b['text'], '```', '']
    return '\n'.join(lines)


def git(work, *args):
    subprocess.run(['git', '-C', work, *args], check=True, capture_output=True)


def copy_book(book, work):
    dest = os.path.join(work, 'book')
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(book, dest, ignore=shutil.ignore_patterns('.git'))
    for d, dirs, files in os.walk(dest):
        for x in dirs + files:
            os.chmod(os.path.join(d, x), 0o755 if x in dirs else 0o644)
    os.chmod(dest, 0o755)
    git(dest, 'init', '-q', '-b', 'main')
    git(dest, 'add', '-A')
    git(dest, '-c', 'user.name=selfsup', '-c', 'user.email=selfsup@example.invalid', 'commit', '-q', '-m', 'book')
    return dest


def removed(text, b):
    lines = text.split('\n')
    end = b['end'] + (1 if b['end'] < len(lines) and not lines[b['end']].strip() else 0)
    return '\n'.join(lines[:b['start'] - 1] + lines[end:])


def hits(cands, b):
    def section(c):
        hp = c.get('heading_path') or []
        return c.get('path') == b['path'] and ((hp and norm(hp[-1]) == norm(b['heading'])) or spot(c))

    def spot(c):
        return c.get('path') == b['path'] and isinstance(c.get('after_line'), int) and abs(c['after_line'] - b['spot']) <= SPOT

    # The tool prints one spot per section (plan --explain lists every one): the first of each.
    shown, seen = [], set()
    for c in cands:
        g = group_of(c)
        if g is None or g not in seen:
            shown.append(c)
            seen.add(g)
    top = shown[:3]
    first = shown[0] if shown else None
    h = {'section@1': bool(first and section(first)), 'section@3': any(section(c) for c in top),
         'spot@1': bool(first and spot(first)), 'spot@3': any(spot(c) for c in top)}
    h['spot_candidate'] = any(spot(c) for c in cands) if h['section@1'] and not h['spot@1'] else None
    return h, section, spot


def group_of(c):
    """The section a candidate is a spot of (file and heading path) when it has a spot
    signal (`spot_*` rule), else None."""
    if any((s.get('rule') or '').startswith('spot_') for s in c.get('signals') or []):
        return (c.get('path') or '') + '\n' + '\n'.join(c.get('heading_path') or [])
    return None


def fit_row(c, section, spot, path):
    x = {}
    for s in c.get('signals') or []:
        if s.get('rule'):
            x[s['rule']] = round(x.get(s['rule'], 0.0) + s['value'], 6)
    group = group_of(c)
    return {'x': x, 'score': c.get('score'), 'pinned': any(s['name'] == 'sentence' for s in c.get('signals') or []),
            'section': bool(section(c)), 'spot': bool(spot(c)), 'in_file': c.get('path') == path, 'group': group}


def first_score(cands):
    return cands[0].get('score') if cands else None


def run_round(binp, book, guides, timeout):
    p = subprocess.run([binp, 'plan', '--format', 'json', '--explain', '--book', book, *guides],
                       capture_output=True, timeout=timeout)
    if p.returncode not in (0, 1):
        sys.exit(f'selfsup: plan failed ({p.returncode}): {p.stderr.decode(errors="replace")[:2000]}')
    plan = json.loads(p.stdout)
    return {os.path.normpath(os.path.join(book, g['guide'])): g for g in plan.get('guides', [])}


def summarize(rows):
    n = len(rows) or 1
    out = {'guides': len(rows)}
    for k in ('section@1', 'section@3', 'spot@1', 'spot@3', 'file@1'):
        out[k] = round(sum(r[k] for r in rows) / n, 3)
    wrong_spot = [r for r in rows if r['spot_candidate'] is not None]
    out['right_section_wrong_spot'] = len(wrong_spot)
    out['of_those_no_candidate_at_spot'] = sum(1 for r in wrong_spot if not r['spot_candidate'])
    return out


def calibration(rows, at=0.8):
    bins = {}
    for r in rows:
        if r['score'] is None:
            continue
        b = f"{min(int(r['score'] * 10), 9) / 10:.1f}"
        n, s, p = bins.get(b, (0, 0, 0))
        bins[b] = (n + 1, s + r['section@1'], p + r['spot@1'])
    high = [r for r in rows if r['score'] is not None and r['score'] >= at]
    return {'at_least': at, 'first_candidates': len(high),
            'section_right': round(sum(r['section@1'] for r in high) / len(high), 3) if high else None,
            'by_score': {b: {'first_candidates': n, 'section_right': round(s / n, 3), 'spot_right': round(p / n, 3)}
                         for b, (n, s, p) in sorted(bins.items())}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bin', required=True, help='the tool')
    ap.add_argument('--book', default=BOOK, help='the book (it is copied; never written)')
    ap.add_argument('--sample', type=int, default=200, help='blocks drawn (each gives a hint and a nohint guide)')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--work', help='where the copy goes (default: a temporary folder, removed)')
    ap.add_argument('--data', help="write every candidate's signals in bench/fit.py's data form")
    ap.add_argument('--timeout', type=int, default=900, help='seconds per plan run')
    ap.add_argument('-v', action='store_true', help='one line per guide on stderr')
    a = ap.parse_args(argv)
    binp, src = os.path.abspath(a.bin), os.path.abspath(a.book)
    envs, keys = env_names(src), bib_keys(src)
    texts, pool = {}, []
    for path in typ_files(src):
        texts[path] = open(os.path.join(src, path), encoding='utf-8', errors='replace').read()
        for b in blocks_of(path, texts[path], envs, keys):
            b['path'] = path
            pool.append(b)
    sample = random.Random(a.seed).sample(pool, min(a.sample, len(pool)))
    sample.sort(key=lambda b: (b['path'], b['start']))
    rounds = []
    for i, b in enumerate(sample):
        b['id'] = f'{i + 1:04d}'
        b['older'], b['chapter'] = older_path(src, b['path'])
        b['text'] = '\n'.join(texts[b['path']].split('\n')[b['start'] - 1:b['end']])
        b['spot'] = b['start'] - 1
        r = sum(1 for x in sample[:i] if x['path'] == b['path'])
        while len(rounds) <= r:
            rounds.append([])
        rounds[r].append(b)
    work = a.work or tempfile.mkdtemp(prefix='selfsup-')
    os.makedirs(work, exist_ok=True)
    try:
        rows, events = measure(a, binp, src, work, texts, rounds)
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)
    out = {'size': len(rows), 'blocks': len(sample), 'pool': len(pool), 'seed': a.seed,
           'kinds': {'environment': sum(1 for b in sample if b['kind'] != 'paragraph'),
                     'paragraph': sum(1 for b in sample if b['kind'] == 'paragraph')},
           'all': summarize(rows),
           'hint': summarize([r for r in rows if r['form'] == 'hint']),
           'nohint': summarize([r for r in rows if r['form'] == 'nohint']),
           'calibration': calibration(rows)}
    if a.data:
        json.dump({'source': 'bench/selfsup.py', 'seed': a.seed, 'events': events},
                  open(a.data, 'w'), separators=(',', ':'))
    print(json.dumps(out, indent=1))
    return out


def measure(a, binp, src, work, texts, rounds):
    book = copy_book(src, work)
    rows, events = [], []
    for r, blocks in enumerate(rounds):
        lit = os.path.join(book, 'Literature', 'selfsup')
        shutil.rmtree(lit, ignore_errors=True)
        guides = {'hint': [], 'nohint': []}
        for b in blocks:
            with open(os.path.join(book, b['path']), 'w', encoding='utf-8') as f:
                f.write(removed(texts[b['path']], b))
            for form in guides:
                d = os.path.join(lit, f"block-{b['id']}-{form}")
                os.makedirs(d)
                g = os.path.join(d, 'integration-guide.md')
                open(g, 'w', encoding='utf-8').write(guide_text(b, form))
                guides[form].append((os.path.normpath(g), b))
        git(book, 'add', '-A')
        git(book, '-c', 'user.name=selfsup', '-c', 'user.email=selfsup@example.invalid', 'commit', '-q',
            '--allow-empty', '-m', f'round {r}')
        for form, gs in guides.items():
            plans = run_round(binp, book, [g for g, _ in gs], a.timeout)
            for g, b in gs:
                targets = (plans.get(g) or {}).get('targets') or []
                t = targets[0] if targets else {}
                cands = t.get('candidates') or []
                h, section, spot = hits(cands, b)
                resolved = (t.get('resolved') or {}).get('path')
                row = dict(h, form=form, id=b['id'], kind=b['kind'], path=b['path'],
                           score=first_score(cands),
                           **{'file@1': resolved == b['chapter'] or bool(cands and cands[0].get('path') == b['path'])})
                rows.append(row)
                events.append({'case': f"selfsup-{b['id']}-{form}", 'event': b['id'], 'guide': b['chapter'],
                               'form': form, 'matched': 'only', 'targets': [{
                                   'target': 0, 'filled': bool(t.get('insertion')),
                                   'resolved_in_file': resolved == b['path'],
                                   'candidates': [fit_row(c, section, spot, b['path']) for c in cands]}]})
                if a.v:
                    first = cands[0] if cands else {}
                    print(f"{form:6} {b['id']} {b['kind']:14} {b['path']}:{b['spot']} [{b['heading'][:40]}] -> "
                          f"{first.get('path')}:{first.get('after_line')} "
                          f"{' > '.join(first.get('heading_path') or [])[-60:]} "
                          f"sec={int(h['section@1'])} spot={int(h['spot@1'])}", file=sys.stderr)
        for b in blocks:
            with open(os.path.join(book, b['path']), 'w', encoding='utf-8') as f:
                f.write(texts[b['path']])
    return rows, events


if __name__ == '__main__':
    main()
