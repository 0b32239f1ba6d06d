#!/usr/bin/env python3
"""Choose the weights of `wuxia name --era today` (include/wuxia/naming/today.hpp) on development names.

    pip download --no-deps faker==40.63.0 mingzi==1.2.3 -d /tmp/dev     # PyPI; the project depends on neither
    /usr/bin/python3 scripts/tune_today.py --checkpoint runs/base/best.safetensors \\
        --faker /tmp/dev/faker-40.63.0-py3-none-any.whl --mingzi /tmp/dev/mingzi-1.2.3-py3-none-any.whl

For each setting of (lambda, mu, w, dated penalty) and each development list,
the mean log-probability of its two-character given names under the
distribution `wuxia name` ranks by, normalised over every pair of the
characters it may propose (level 1-2 of the 通用规范汉字表, not ill-omened,
known to the model, two different characters):
    log P(c1 c2 | surname) = log P_model(c1 | START surname) + log P_model(c2 | ... c1)
                             + today(c1) + today(c2) - log Z
with today() as src/naming/today.cpp computes it (this script mirrors it; END
is left out of the pair's likelihood here, as it nearly cancels in Z), for
the surnames 林 王 张 李 and each sex. Development lists, held out of every
table `wuxia name` reads:
  - faker_cn: Faker's zh_CN first_names_male/female (mainland; common names of
    adults today, many from the 1970s-80s);
  - faker_tw: Faker's zh_TW ones (Taiwan; converted with OpenCC t2s);
  - mingzi:   mingzi's male_double/female_double (names of students today).
data/young.tsv holds none of them (scripts/make_young.py leaves mingzi's
two-character names out). The table goes to stdout; docs/QUALITY.md has it.
Needs torch (Debian's python3-torch, for /usr/bin/python3) and opencc.
"""
import argparse
import ast
import itertools
import json
import math
import os
import struct
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def die(msg):
    sys.exit("tune_today: " + msg)


try:
    import torch
except ImportError as e:
    die("needs torch (Debian's python3-torch; run with /usr/bin/python3): %s" % e)


def read_checkpoint(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    t = {}
    for k, v in header.items():
        b, e = v["data_offsets"]
        t[k] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(v["shape"])
    return t, meta


def table(path, columns):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# "):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) != columns:
                die("%s: %r has %d fields" % (path, line, len(fields)))
            rows.append(fields)
    return rows


def faker_lists(wheel, locale):
    with zipfile.ZipFile(wheel) as z:
        src = z.read("faker/providers/person/%s/__init__.py" % locale).decode("utf-8")
    out = {}
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("first_names_male", "first_names_female"):
                v = node.value
                if isinstance(v, ast.Call):  # OrderedDict((name, weight), ...)
                    v = v.args[0]
                val = ast.literal_eval(v)
                out[name] = [x[0] if isinstance(x, tuple) else x for x in val]
    return {"boy": out["first_names_male"], "girl": out["first_names_female"]}


def t2s(words):
    r = subprocess.run(["opencc", "-c", "t2s"], input="\n".join(words), capture_output=True, text=True, check=True)
    return r.stdout.split("\n")[: len(words)]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--faker", required=True, help="faker-40.63.0-py3-none-any.whl")
    ap.add_argument("--mingzi", required=True, help="mingzi-1.2.3-py3-none-any.whl")
    ap.add_argument("--style", default="ancient")
    ap.add_argument("--grid", default="lambda=0.5,0.75,1;mu=0.5,0.75,1,1.25;w=0.5,0.8;dated=0,1,2,3,4")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    t, meta = read_checkpoint(a.checkpoint)
    cfg, vocab, names = json.loads(meta["config"]), json.loads(meta["vocab"]), json.loads(meta["names"])
    S = len(vocab["styles"])
    ids = {c: S + 1 + i for i, c in enumerate(vocab["chars"])}
    V = 1 + S + len(vocab["chars"])
    emb = torch.nn.Embedding(V, cfg["embed"])
    lstm = torch.nn.LSTM(cfg["embed"], cfg["hidden"], num_layers=cfg["layers"])
    fc = torch.nn.Linear(cfg["hidden"], V)
    emb.weight.data, fc.weight.data, fc.bias.data = t["embedding.weight"], t["fc.weight"], t["fc.bias"]
    for k, v in t.items():
        if k.startswith("lstm."):
            getattr(lstm, k[5:]).data = v

    hanzi = {r[0]: (int(r[2]), int(r[5]), int(r[6])) for r in table(os.path.join(ROOT, "data", "hanzi.tsv"), 8)}
    ill = {r[0] for r in table(os.path.join(ROOT, "data", "ill_omened.txt"), 2)}
    dated = {r[0] for r in table(os.path.join(ROOT, "data", "dated.tsv"), 2)}
    # young.tsv's characters (its two-character names give a bonus that no
    # development name can meet: they are in none of those lists).
    young = {r[0]: (int(r[1]), int(r[2])) for r in table(os.path.join(ROOT, "data", "young.tsv"), 3) if len(r[0]) == 1}
    surnames = {r[0] for r in table(os.path.join(ROOT, "data", "surnames.tsv"), 2)}
    allowed = [c for c in vocab["chars"] if c in hanzi and 1 <= hanzi[c][0] <= 2 and c not in ill]
    at = {c: i for i, c in enumerate(allowed)}
    A = len(allowed)

    # today.cpp's terms, per sex, as tensors over `allowed`.
    M = sum(h[1] for h in hanzi.values())
    F = sum(h[2] for h in hanzi.values())
    K = sum(1 for h in hanzi.values() if h[1] + h[2] > 0)
    YM = sum(y[0] for y in young.values())
    YF = sum(y[1] for y in young.values())
    corpus = names["train"][a.style]
    n = {}
    for full in corpus:
        s = 2 if len(full) > 2 and full[:2] in surnames else 1
        for c in set(full[s:]):
            n[c] = n.get(c, 0) + 1
    C = len(vocab["chars"])
    log_corpus = torch.tensor([math.log((n.get(c, 0) + 1) / (len(corpus) + C)) for c in allowed], dtype=torch.float64)
    is_dated = torch.tensor([1.0 if c in dated else 0.0 for c in allowed], dtype=torch.float64)

    def young_of(c):
        ym, yf = young.get(c, (0, 0))
        m, f = hanzi[c][1], hanzi[c][2]
        if m + f < 1000:
            ym = yf = 0
        return (ym if ym >= 2 else 0), (yf if yf >= 2 else 0)

    def p_parts(sex):
        adult, yng = [], []
        for c in allowed:
            _, m, f = hanzi[c]
            ym, yf = young_of(c)
            if sex == "girl":
                adult.append((f + 1) / (F + K))
                yng.append((yf + 0.01) / (YF + 0.01 * K))
            else:
                adult.append((m + 1) / (M + K))
                yng.append((ym + 0.01) / (YM + 0.01 * K))
        return torch.tensor(adult, dtype=torch.float64), torch.tensor(yng, dtype=torch.float64)

    parts = {sex: p_parts(sex) for sex in ("girl", "boy")}
    style = 1 + vocab["styles"].index(a.style)
    aid = torch.tensor([ids[c] for c in allowed])
    eye = torch.eye(A, dtype=torch.bool)

    def pairs(surname):
        with torch.no_grad():
            h, st = lstm(emb(torch.tensor([style] + [ids[c] for c in surname]).unsqueeze(1)))
            l1 = torch.log_softmax(fc(h[-1, 0]), -1)[aid]
            state = tuple(x.expand(-1, A, -1).contiguous() for x in st)
            h2, _ = lstm(emb(aid).unsqueeze(0), state)
            l2 = torch.log_softmax(fc(h2[0]), -1)[:, aid]
        return l1.unsqueeze(1) + l2

    mats = {s: pairs(s) for s in "林王张李"}
    fk = {"faker_cn": faker_lists(a.faker, "zh_CN"), "faker_tw": faker_lists(a.faker, "zh_TW")}
    fk["faker_tw"] = {k: t2s(v) for k, v in fk["faker_tw"].items()}
    with zipfile.ZipFile(a.mingzi) as z:
        mz = json.loads(z.read("mingzi/data.json"))
    fk["mingzi"] = {"boy": mz["male_double"], "girl": mz["female_double"]}
    dev = {}
    for src, by_sex in fk.items():
        dev[src] = {}
        for sex, lst in by_sex.items():
            dev[src][sex] = [(at[g[0]], at[g[1]]) for g in lst if len(g) == 2 and g[0] in at and g[1] in at
                             and g[0] != g[1]]
    grid = dict(kv.split("=") for kv in a.grid.split(";"))
    grid = {k: [float(x) for x in v.split(",")] for k, v in grid.items()}
    print("development names (two characters the search may propose): " +
          ", ".join("%s %d" % (s, sum(len(v) for v in d.values())) for s, d in dev.items()))
    print("| lambda | mu | w | dated | " + " | ".join(dev) + " | mean |")
    print("|---|---|---|---|" + "---|" * (len(dev) + 1))
    rows = []
    for lam, mu, w, dp in itertools.product(grid["lambda"], grid["mu"], grid["w"], grid["dated"]):
        ll = {src: [] for src in dev}
        for sex in ("girl", "boy"):
            adult, yng = parts[sex]
            term = (lam * torch.log((1 - w) * adult + w * yng) - mu * log_corpus - dp * is_dated).float()
            for m in mats.values():
                s = (m + term.unsqueeze(1) + term.unsqueeze(0)).masked_fill(eye, -math.inf)
                z = torch.logsumexp(s.flatten(), 0)
                for src in dev:
                    ll[src] += [(s[i, j] - z).item() for i, j in dev[src][sex]]
        res = [sum(v) / len(v) for v in ll.values()]
        rows.append((lam, mu, w, dp, res))
        print("| %g | %g | %g | %g | " % (lam, mu, w, dp) + " | ".join("%.3f" % r for r in res) +
              " | %.3f |" % (sum(res) / len(res)), flush=True)
    # The two measures a list is judged by weigh alike: names living people
    # carry (the adults' lists, faker_cn and faker_tw, averaged) and names
    # given now (mingzi). The frequencies' weights are chosen on that without
    # the dated characters' penalty; the penalty then on the names given now
    # alone, since the adults' lists hold the very names it moves away from.
    srcs = list(dev)

    def objective(r):
        adults = (r[4][srcs.index("faker_cn")] + r[4][srcs.index("faker_tw")]) / 2
        return (adults + r[4][srcs.index("mingzi")]) / 2

    undated = [r for r in rows if r[3] == 0] or rows
    best = max(undated, key=objective)
    print("best (adults and today alike, no dated penalty): lambda %g mu %g w %g (%.3f)" % (best[:3] + (objective(best),)))
    same = [r for r in rows if r[:3] == best[:3]]
    today = max(same, key=lambda r: r[4][srcs.index("mingzi")])
    print("with those, the dated penalty best on mingzi: %g" % today[3])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
