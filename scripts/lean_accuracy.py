#!/usr/bin/env python3
"""How often the lean to a sex is right, on labelled lists of given names (issue 19).

    python3 scripts/lean_accuracy.py                       # both bundled lists
    python3 scripts/lean_accuracy.py --labels data/sexlabels_faker.tsv --verbose
    python3 scripts/lean_accuracy.py --wuxia build/wuxia   # also check `wuxia explain --given --json`

The lean is naive Bayes over the given name's characters with the counts of
data/hanzi.tsv (male, female columns; M and F their totals over the table, K
the number of characters with any count):
    P(c|female) = (f_c + 1) / (F + K),  P(c|male) = (m_c + 1) / (M + K)
    log-odds = sum over the given characters with any count of log P(c|female) - log P(c|male)
    P(female) = 1 / (1 + exp(-log-odds))
A character without counts adds nothing; a name none of whose characters has
counts cannot be judged and is counted apart. Two guesses are scored:
  - the lean (equal priors, as `wuxia explain` reports it): female when P(female) > 0.5;
  - ngender's naive guess: the same log-odds plus the prior log(F/M), female when > 0.
Accuracy is over the names judged; the share not judged is printed beside it,
and so are each sex's recall and their mean (the lists are not balanced).

--wuxia BINARY runs `BINARY explain --given --json --file LIST` on each list's
given names and compares its gender.female with this script's P(female): it
prints the largest difference and fails (exit 1) if one is over 1e-9 or a
name is judged by one and not the other.
Labelled lists: TSV with '# ' header lines, then given<TAB>sex<TAB>...; sex
male or female (data/sexlabels_*.tsv).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER_LOG_ODDS = 3.0  # kMarkerLogOdds of include/wuxia/naming/sex_markers.hpp
DEFAULT_LABELS = [os.path.join(ROOT, "data", f) for f in ("sexlabels_faker.tsv", "sexlabels_casts.tsv")]


def die(msg):
    sys.exit("lean_accuracy: " + msg)


def records(path):
    """(line number, fields) of a TSV file with '# ' header lines."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError) as e:
        die("cannot read %s: %s" % (path, e))
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        yield n, line.split("\t")


def load_counts(path):
    counts = {}
    for n, cols in records(path):
        if len(cols) != 8 or not cols[5].isdigit() or not cols[6].isdigit():
            die("%s:%d: expected 8 columns with the male and female counts in 6 and 7" % (path, n))
        counts[cols[0]] = (int(cols[5]), int(cols[6]))
    return counts


def load_labels(path):
    out = []
    for n, cols in records(path):
        if len(cols) < 2 or not cols[0] or cols[1] not in ("male", "female"):
            die("%s:%d: expected given<TAB>male|female" % (path, n))
        out.append((cols[0], cols[1]))
    if not out:
        die("%s: no labelled names" % path)
    return out


def load_markers(path):
    """data/sex_markers.tsv: {"first": {c: log-odds}, "last": {...}, "pair": {"XY": ...}} (include/wuxia/naming/sex_markers.hpp)."""
    out = {"first": {}, "last": {}, "pair": {}}
    for n, cols in records(path):
        if len(cols) != 3 or len(cols[0]) != 2 or cols[1] not in ("male", "female"):
            die("%s:%d: expected pattern<TAB>male|female<TAB>reason" % (path, n))
        odds = MARKER_LOG_ODDS if cols[1] == "female" else -MARKER_LOG_ODDS
        a, b = cols[0]
        if b == "*":
            out["first"][a] = odds
        elif a == "*":
            out["last"][b] = odds
        else:
            out["pair"][cols[0]] = odds
    return out


def simplified(names):
    """Each name in simplified characters where OpenCC's t2s makes every character one the table has
    (explain's as_simplified): {name: simplified}; names OpenCC is not needed for, or cannot help, are absent."""
    try:
        r = subprocess.run(["opencc", "-c", "t2s"], input="\n".join(names), capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        die("cannot run opencc (Debian's opencc): %s" % e)
    return dict(zip(names, r.stdout.split("\n")))


class Lean:
    def __init__(self, counts, markers=None, table=None):
        self.counts = {c: mf for c, mf in counts.items() if mf[0] or mf[1]}
        self.M = sum(m for m, _ in self.counts.values())
        self.F = sum(f for _, f in self.counts.values())
        self.K = len(self.counts)
        if not self.M or not self.F:
            die("the table has no male or no female counts")
        self.prior = math.log(self.F / self.M)
        self.markers = markers or {"first": {}, "last": {}, "pair": {}}
        self.table = table if table is not None else set(counts)  # every character of hanzi.tsv
        self.simple = {}

    def prepare(self, names):
        """Reads names in traditional characters as explain does (its as_simplified)."""
        unknown = sorted({g for g in names if any(c not in self.table for c in g)})
        if unknown:
            for g, t in simplified(unknown).items():
                if len(t) == len(g) and all(c in self.table for c in t):
                    self.simple[g] = t

    def log_odds(self, given):
        """The equal-prior log-odds of female, or None when no character has counts and no marker matches."""
        given = self.simple.get(given, given)
        known = [c for c in given if c in self.counts]
        marker = 0.0
        if len(given) == 2:
            marker = (self.markers["first"].get(given[0], 0.0) + self.markers["last"].get(given[1], 0.0) +
                      self.markers["pair"].get(given, 0.0))
        if not known and marker == 0.0:
            return None
        s = 0.0
        for c in known:
            m, f = self.counts[c]
            s += math.log((f + 1) / (self.F + self.K)) - math.log((m + 1) / (self.M + self.K))
        return s + marker


def p_female(log_odds):
    # Written so that neither branch overflows exp().
    if log_odds >= 0:
        return 1.0 / (1.0 + math.exp(-log_odds))
    e = math.exp(log_odds)
    return e / (1.0 + e)


def score(labels, guesses):
    """Accuracy, per-sex recall and their mean of guesses (None = not judged) against labels."""
    judged = [(sex, g) for (_, sex), g in zip(labels, guesses) if g is not None]
    right = sum(1 for sex, g in judged if sex == g)
    recall = {}
    for s in ("male", "female"):
        of = [g for sex, g in judged if sex == s]
        recall[s] = sum(1 for g in of if g == s) / len(of) if of else float("nan")
    return {
        "n": len(labels),
        "judged": len(judged),
        "accuracy": right / len(judged) if judged else float("nan"),
        "recall": recall,
        "balanced": (recall["male"] + recall["female"]) / 2,
    }


def run_wuxia(binary, labels):
    """P(female) per labelled given name from `binary explain --given --json --file`, None if not judged."""
    # Each given name once (explain prints a name once however often it is asked), matched by its field.
    distinct = sorted({g for g, _ in labels})
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "given.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(g + "\n" for g in distinct))
        try:
            r = subprocess.run([binary, "explain", "--given", "--json", "--file", path], capture_output=True,
                               text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            die("cannot run %s: %s" % (binary, e))
        if r.returncode != 0:
            die("%s explain exited %d: %s" % (binary, r.returncode, r.stderr.strip()[-500:]))
    out = r.stdout.strip()
    try:
        objs = json.loads(out) if out.startswith("[") else [json.loads(l) for l in out.split("\n") if l.strip()]
    except ValueError as e:
        die("%s explain --json: not JSON (one object a line, or a list): %s" % (binary, e))
    by_given = {}
    for obj in objs:
        g = obj.get("gender") if isinstance(obj, dict) else None
        if not isinstance(g, dict) or "female" not in g or not isinstance(obj.get("given"), str):
            die("%s explain --json: an object without given or gender.female: %r" % (binary, obj))
        # A name in traditional characters comes back simplified, with the name as written beside it.
        key = obj.get("written") or obj["given"]
        by_given[key] = None if g["female"] is None else float(g["female"])
    missing = [g for g in distinct if g not in by_given]
    if missing:
        die("%s explain printed no object for %d of %d given names (%s)"
            % (binary, len(missing), len(distinct), " ".join(missing[:10])))
    return [by_given[g] for g, _ in labels]


def shown(path):
    """A path as the user would write it: relative to the repository when inside it."""
    rel = os.path.relpath(os.path.abspath(path), ROOT)
    return path if rel.startswith("..") else rel


def fmt(s):
    return ("accuracy %.1f%% of %d judged (male %.1f%%, female %.1f%%, mean of the two %.1f%%)"
            % (100 * s["accuracy"], s["judged"], 100 * s["recall"]["male"], 100 * s["recall"]["female"],
               100 * s["balanced"]))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hanzi", default=os.path.join(ROOT, "data", "hanzi.tsv"))
    ap.add_argument("--markers", default=os.path.join(ROOT, "data", "sex_markers.tsv"),
                    help="the places and pairs that mark a sex ('' for none)")
    ap.add_argument("--firm", type=float, default=0.7, help="the lean `wuxia name --gender` asks for (its --lean)")
    ap.add_argument("--labels", nargs="+", default=DEFAULT_LABELS)
    ap.add_argument("--wuxia", help="the wuxia binary: compare its explain --given --json with this script")
    ap.add_argument("--verbose", action="store_true", help="print each name, its label and P(female)")
    a = ap.parse_args(argv)

    counts = load_counts(a.hanzi)
    lean = Lean(counts, load_markers(a.markers) if a.markers else None)
    print("%s: M %d, F %d, K %d characters with counts; ngender's prior log(F/M) = %.4f"
          % (shown(a.hanzi), lean.M, lean.F, lean.K, lean.prior))
    bad = 0
    for path in a.labels:
        labels = load_labels(path)
        lean.prepare([g for g, _ in labels])
        lo = [lean.log_odds(g) for g, _ in labels]
        ps = [None if x is None else p_female(x) for x in lo]
        equal = [None if p is None else ("female" if p > 0.5 else "male") for p in ps]
        naive = [None if x is None else ("female" if x + lean.prior > 0 else "male") for x in lo]
        se, sn = score(labels, equal), score(labels, naive)
        males = sum(1 for _, s in labels if s == "male")
        partial = sum(1 for g, _ in labels if any(c not in lean.counts for c in g) and lean.log_odds(g) is not None)
        print("%s: %d names (%d male, %d female); not judged (no character with counts) %d = %.1f%%; "
              "judged on part of their characters %d"
              % (shown(path), len(labels), males, len(labels) - males, se["n"] - se["judged"],
                 100 * (se["n"] - se["judged"]) / se["n"], partial))
        print("  lean, equal priors (P(female) > 0.5): " + fmt(se))
        print("  ngender's naive guess (prior log(F/M)): " + fmt(sn))
        firm = [None if p is None or max(p, 1 - p) < a.firm else ("female" if p > 0.5 else "male") for p in ps]
        sf = score(labels, firm)
        print("  a firm lean (P >= %g, as name --gender asks): %d = %.1f%% of the names; " % (a.firm, sf["judged"],
              100 * sf["judged"] / sf["n"]) + fmt(sf))
        if a.verbose:
            for (g, sex), p in zip(labels, ps):
                print("    %s\t%s\t%s" % (g, sex, "-" if p is None else "%.4f" % p))
        if a.wuxia:
            cp = run_wuxia(a.wuxia, labels)
            diffs = [abs(x - y) for x, y in zip(ps, cp) if x is not None and y is not None]
            mismatch = sum(1 for x, y in zip(ps, cp) if (x is None) != (y is None))
            worst = max(diffs) if diffs else 0.0
            sc = score(labels, [None if p is None else ("female" if p > 0.5 else "male") for p in cp])
            print("  wuxia explain: " + fmt(sc) + "; largest |P - script's P| %.3g; judged by one only %d"
                  % (worst, mismatch))
            if worst > 1e-9 or mismatch:
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
