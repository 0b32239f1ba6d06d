#!/usr/bin/env python3
"""Redo the naming data data/hanzi.tsv, data/surnames.tsv and data/classics.tsv byte for byte.

    python3 scripts/make_hanzi.py            # writes the three files and their notices
    python3 scripts/make_hanzi.py --check    # writes nothing; exit 1 if a file differs
    python3 scripts/make_hanzi.py --check --meter   # also: pingze against the meter of regulated verse

Options: --shared DIR (default: ../shared/data beside the repository: the
folders guangyun/, gender/, surnames/, poetry/), --unihan DIR (default:
/usr/share/unicode, Debian's unicode-data: the Unihan_*.txt.bz2 files),
--out DIR (default: data/ of the repository).

Needs Debian's `opencc` (for 唐诗三百首, converted character by character with
scripts/make_corpora.py's rule and code) and `unicode-data`.

hanzi.tsv holds the 8,105 characters of the 通用规范汉字表 (Unihan kTGH) and
every other character of the bundled name lists (data/*.txt) and of the
surname table, sorted by code point. Its columns and the rule for 平仄 are
described in data/README.md ("hanzi.tsv"); in brief, for each Mandarin
reading (the column lists one verdict per reading, in the order of the
readings, so that a name read otherwise than by its first reading, 长 cháng
平 not zhǎng 仄, has its own):
  - the first reading is kMandarin's unless that is in the neutral tone and
    the character has a toned reading (子 zǐ, not zi: names have no neutral
    tone);
  - neutral tone (no toned reading at all), or no 广韵 reading through the
    character, its kTraditionalVariant(s), or where those give none, their
    kZVariant/kSemanticVariant/kSpecializedSemanticVariant (峯 for 峰): '?';
  - tone 3 or 4: 仄;
  - tone 1 or 2: the 广韵 readings that can give this Mandarin syllable are
    those of its tone class (平 or 入) whose coda agrees with it (a Mandarin
    syllable ending in -n/-ng comes from a nasal rhyme, which has no 入声 in
    this sense, since the 入 of a nasal rhyme ends in -p/-t/-k and lost it; an
    open Mandarin syllable comes from a vowel rhyme or from a 入声). 平 when
    one of them is 平 (both 平 and 入: Mandarin does not decide, the tone's rule
    gives 平); 仄 when they are all 入; when none matches (an irregular
    reading), 仄 when no 广韵 reading is 平 (究 jiū and 鼻 bí are 去, 估 gū
    上: all of the character's readings are 仄), else the tone's rule: 平.
The script prints how many characters each branch decided.
"""
import argparse
import bz2
import collections
import csv
import hashlib
import json
import os
import re
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import make_corpora  # noqa: E402  (its OpenCC rule: char_map, RULE, opencc_version)

NAME_LISTS = ("ancient.txt", "gulong.txt", "jinyong.txt", "poets.txt")
CLASSICS = (("诗经", "shijing.json"), ("楚辞", "chuci.json"), ("论语", "lunyu.json"),
            ("唐诗三百首", "tangshisanbaishou.json"), ("宋词三百首", "songci300.json"))
# Rhymes of the Guangyun (named by their level-tone rhyme, as xiaoyun.csv does) that end in a nasal.
NASAL_RHYMES = set("東冬鍾江眞臻文欣元魂痕寒刪山先仙陽唐庚耕清青蒸登侵覃談鹽添咸銜嚴凡")
TONE_MARKS = {"\u0304": 1, "\u0301": 2, "\u030c": 3, "\u0300": 4}
# Errata: where the source's copy of a classic differs from the received text, the text is
# corrected before it is split: (classic, title, stanza or paragraph index from 0, wrong, right, why).
# Each wrong text must be found exactly once where it is named, so a corrected source stops the script
# (then drop the entry) instead of changing a right line.
ERRATA = (
    ("诗经", "破斧", 1, "四国是遒", "四国是吪",
     "the second stanza repeats the third's 四国是遒 where the Mao text has 四国是吪 (吪, to transform); "
     "破斧 is 四国是皇, 四国是吪, 四国是遒"),
)
SENTENCE_END = "。！？；"
CLOSERS = "”’」』）)"

UNICODE_NOTICE_HEAD = """\
data/hanzi.tsv: the columns pinyin, level, strokes and gloss, and the links
between variant forms used for pingze, come from the Unicode Character
Database (Unihan, version {version}, as Debian's unicode-data package installs
it; the Unihan files say: {copyright}). The data was modified: fields selected,
readings merged and reordered, reformatted by scripts/make_hanzi.py. It is
shipped under the Unicode license below (the text of
/usr/share/doc/unicode-data/copyright). The other columns
come from the sources named in data/README.md and in the file's header:
pingze from the Guangyun (CC0 1.0, see guangyun.LICENSE), male and female
from ngender's charfreq.csv (MIT, see gender.LICENSE).

"""

MIT_TEXT = make_corpora.MIT_TEXT


def die(msg):
    sys.exit("make_hanzi: " + msg)


def read_text(path, lf=True):
    """The text of a UTF-8 file and its sha256; lf: insist on LF line endings (JSON may have CRLF)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        die("cannot read %s: %s" % (path, e))
    if raw.startswith(b"\xef\xbb\xbf") or (lf and b"\r" in raw):
        die("%s: expected UTF-8 without BOM, LF line endings" % path)
    try:
        return raw.decode("utf-8"), hashlib.sha256(raw).hexdigest()
    except UnicodeDecodeError as e:
        die("%s: not UTF-8: %s" % (path, e))


def read_unihan(unihan_dir, wanted):
    """{field: {char: value}} for the fields in `wanted`, from the Unihan_*.txt.bz2 files."""
    fields = collections.defaultdict(dict)
    version = None
    copyright_line = None
    for part in ("Readings", "OtherMappings", "IRGSources", "Variants"):
        path = os.path.join(unihan_dir, "Unihan_%s.txt.bz2" % part)
        try:
            with bz2.open(path, "rt", encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if line.startswith("#"):
                        m = re.match(r"# Unicode version: (\S+)", line)
                        if m:
                            version = m.group(1)
                        if line.startswith("# \u00a9") and not copyright_line:
                            copyright_line = line[2:].strip()
                        continue
                    if not line.strip():
                        continue
                    cols = line.rstrip("\n").split("\t")
                    if len(cols) != 3 or not cols[0].startswith("U+"):
                        die("%s:%d: expected 'U+XXXX<TAB>field<TAB>value'" % (path, n))
                    if cols[1] in wanted:
                        fields[cols[1]][chr(int(cols[0][2:], 16))] = cols[2]
        except OSError as e:
            die("cannot read %s (install unicode-data): %s" % (path, e))
    for w in wanted:
        if not fields[w]:
            die("no %s field in %s" % (w, unihan_dir))
    if not copyright_line:
        die("no copyright line ('# \u00a9 ...') in the Unihan files of %s" % unihan_dir)
    return fields, version or "unknown", copyright_line


def syllable_tone(syl):
    """(syllable without tone mark, tone 0-4) of a pinyin syllable with a tone mark."""
    d = unicodedata.normalize("NFD", syl)
    tone = 0
    for mark, t in TONE_MARKS.items():
        if mark in d:
            tone = t
    base = unicodedata.normalize("NFC", "".join(ch for ch in d if ch not in TONE_MARKS))
    return base, tone


def readings(c, uh):
    """The Mandarin readings: kMandarin first (the most common), then kTGHZ2013's others; neutral ones last."""
    out = []
    for r in uh["kMandarin"].get(c, "").split():
        if r not in out:
            out.append(r)
    for entry in uh["kTGHZ2013"].get(c, "").split():
        for r in entry.split(":", 1)[1].split(","):
            if r not in out:
                out.append(r)
    # A syllable of a name is never in the neutral tone (子 is zi as a suffix, zǐ in 张子轩): a neutral
    # reading goes after the toned ones, so that the first reading is the one a name has.
    return [r for r in out if syllable_tone(r)[1]] + [r for r in out if not syllable_tone(r)[1]]


def load_guangyun(shared):
    """{traditional char: set of (tone 平/上/去/入, nasal rhyme?)}."""
    xiaoyun = {}
    path = os.path.join(shared, "guangyun", "xiaoyun.csv")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if rows[0][0] != "小韻號" or rows[0][5:7] != ["韻", "聲"]:
        die("%s: unexpected header %s" % (path, rows[0]))
    for n, r in enumerate(rows[1:], 2):
        if len(r) != 8 or r[6] not in "平上去入" or len(r[6]) != 1:
            die("%s:%d: expected 8 columns with 聲 one of 平上去入" % (path, n))
        xiaoyun[r[0]] = (r[6], r[5] in NASAL_RHYMES)
    gy = collections.defaultdict(set)
    path = os.path.join(shared, "guangyun", "zitou.csv")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if rows[0][:2] != ["小韻號", "字頭"]:
        die("%s: unexpected header %s" % (path, rows[0]))
    for n, r in enumerate(rows[1:], 2):
        if len(r) != 3 or len(r[1]) != 1 or r[0] not in xiaoyun:
            die("%s:%d: expected 小韻號 of xiaoyun.csv, one character, gloss" % (path, n))
        gy[r[1]].add(xiaoyun[r[0]])
    return gy


VARIANT_FIELDS = ("kZVariant", "kSemanticVariant", "kSpecializedSemanticVariant")


def variants(c, uh, fields):
    """The characters Unihan lists for c in `fields` (values 'U+XXXX' or 'U+XXXX<source,...')."""
    out = []
    for field in fields:
        for u in uh[field].get(c, "").split():
            out.append(chr(int(u.split("<")[0][2:], 16)))
    return out


def pingze(c, reading, uh, gy, why):
    """平, 仄 or ? for reading `reading` of c (see the module's docstring); counts the branch in why."""
    syl, tone = syllable_tone(reading)
    forms = [c] + variants(c, uh, ("kTraditionalVariant",))
    gys = set()
    for f in forms:
        gys |= gy.get(f, set())
    if not gys and tone:
        # The Guangyun writes some characters in another form than Unihan's traditional one (峯 for 峰,
        # 羣 for 群, 閒 for 間): the variants Unihan calls the same (kZVariant) or interchangeable
        # (kSemanticVariant, kSpecializedSemanticVariant) of the character and of its traditional forms.
        for f in forms:
            for v in variants(f, uh, VARIANT_FIELDS):
                gys |= gy.get(v, set())
        if gys:
            why["(reading found through a z/semantic variant)"] += 1
    if tone == 0:
        why["? neutral tone"] += 1
        return "?"
    if not gys:
        why["? no Guangyun reading"] += 1
        return "?"
    if tone in (3, 4):
        why["仄 tone 3/4"] += 1
        return "仄"
    nasal = syl.endswith("n") or syl.endswith("ng")
    match = {t for t, nas in gys if (t == "平" and nas == nasal) or (t == "入" and not nasal)}
    if "平" in match:
        why["平 tone 1/2, a matching 平 reading" + (" (and 入)" if "入" in match else "")] += 1
        return "平"
    if match == {"入"}:
        only = all(t == "入" for t, _ in gys)
        why["仄 tone 1/2, matching readings all 入" + ("" if only else " (other readings not 入)")] += 1
        return "仄"
    if "平" not in {t for t, _ in gys}:
        # Every Guangyun reading is 仄 (究 jiū, 鼻 bí, 估 gū: 去 or 上 then, a tone 1/2 today).
        why["仄 tone 1/2, no matching reading, no 平 reading"] += 1
        return "仄"
    why["平 tone 1/2, no matching reading, a 平 reading (tone's rule)"] += 1
    return "平"


def load_names_chars(out_dir):
    chars = set()
    for name in NAME_LISTS:
        text, _ = read_text(os.path.join(out_dir, name))
        for line in text.split("\n"):
            if line and not line.startswith("#"):
                chars.update(line)
    chars.discard("\u00b7")
    return chars


def load_gender(shared):
    path = os.path.join(shared, "gender", "charfreq.csv")
    text, sha = read_text(path)
    rows = list(csv.reader(text.split("\n")[:-1]))
    if rows[0] != ["char", "male", "female"]:
        die("%s: expected the header char,male,female" % path)
    counts = {}
    for n, r in enumerate(rows[1:], 2):
        if len(r) != 3 or len(r[0]) != 1 or not r[1].isdigit() or not r[2].isdigit() or r[0] in counts:
            die("%s:%d: expected one new character and two counts" % (path, n))
        counts[r[0]] = (int(r[1]), int(r[2]))
    return counts, sha


def load_surnames(shared):
    path = os.path.join(shared, "surnames", "surnames.tsv")
    text, sha = read_text(path)
    out, seen = [], set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 2 or not 1 <= len(cols[0]) <= 2 or len(cols[1].split(" ")) != len(cols[0]):
            die("%s:%d: expected 'surname<TAB>one syllable per character'" % (path, n))
        if cols[0] in seen:
            die("%s:%d: %s listed twice" % (path, n, cols[0]))
        seen.add(cols[0])
        out.append(cols)
    return out, sha


def split_sentences(text):
    """Sentences of a paragraph, each ending at 。！？； (closing quotes stay with it)."""
    out, cur, i = [], "", 0
    while i < len(text):
        cur += text[i]
        if text[i] in SENTENCE_END:
            while i + 1 < len(text) and text[i + 1] in CLOSERS:
                i += 1
                cur += text[i]
            out.append(cur)
            cur = ""
        i += 1
    if cur:
        out.append(cur)
    return out


NOTE = re.compile(r"[(（][^()（）]*[)）]")


def load_classics(shared, counts):
    """[(classic, title, author, [paragraph, ...])] in each classic's order."""
    poems = []
    for classic, fname in CLASSICS:
        path = os.path.join(shared, "poetry", fname)
        text, _ = read_text(path, lf=False)
        try:
            data = json.loads(text)
        except ValueError as e:
            die("%s: not JSON: %s" % (path, e))
        if classic == "唐诗三百首":
            for group in data["content"]:
                for p in group["content"]:
                    sub = p.get("subchapter") or ""
                    title = sub if "·" in sub else p["chapter"]
                    poems.append((classic, title, p["author"], p["paragraphs"]))
        elif classic == "宋词三百首":
            for p in data:
                poems.append((classic, p["rhythmic"], p["author"], p["paragraphs"]))
        elif classic == "论语":
            for p in data:
                poems.append((classic, p["chapter"], "-", p["paragraphs"]))
        elif classic == "诗经":
            for p in data:
                poems.append((classic, p["title"], "-", p["content"]))
        else:
            for p in data:
                poems.append((classic, p["title"], p["author"], p["content"]))
        counts[classic + " poems"] = sum(1 for p in poems if p[0] == classic)
    return apply_errata(poems, counts)


def apply_errata(poems, counts):
    out = []
    for classic, title, author, paras in poems:
        paras = list(paras)
        for e_classic, e_title, index, wrong, right, _ in ERRATA:
            if (classic, title) != (e_classic, e_title):
                continue
            if index >= len(paras) or paras[index].count(wrong) != 1:
                die("erratum %s %s: %r is not in paragraph %d exactly once (is the source corrected? drop the "
                    "erratum)" % (classic, title, wrong, index + 1))
            paras[index] = paras[index].replace(wrong, right)
            counts["errata applied"] += 1
        out.append((classic, title, author, paras))
    if counts["errata applied"] != len(ERRATA):
        die("%d errata, %d applied (a classic or title not found)" % (len(ERRATA), counts["errata applied"]))
    return out


def classics_rows(poems, cmap, counts):
    table = str.maketrans({c: t for c, t in cmap.items() if c != t})
    rows = []
    for classic, title, author, paras in poems:
        # 唐诗三百首 is traditional; the other four are simplified but keep some traditional or variant
        # forms (後, 穀, 旂): one rule for all, so that a name's characters find their lines.
        def conv(s):
            return s.translate(table)
        # A note may run over two paragraphs ("(回樂" then "烽 一作：去)"): remove notes from the whole poem.
        text = "\n".join(paras)
        counts["editorial notes in parentheses removed"] += len(NOTE.findall(text))
        text = NOTE.sub("", text)
        if re.search("[()（）]", text):
            die("%s %s: an unbalanced parenthesis" % (classic, title))
        for para in text.split("\n"):
            for sent in split_sentences(para.strip()):
                sent = sent.strip()
                if not sent:
                    continue
                fields = [classic, conv(title).strip() or "-", conv(author).strip() or "-", conv(sent)]
                if fields[1:] != [title.strip() or "-", author.strip() or "-", sent]:
                    counts[classic + " converted"] += 1
                for f in fields:
                    if "\t" in f or "\n" in f:
                        die("%s %s: a tab or newline in %r" % (classic, title, f))
                rows.append(fields)
                counts[classic + " lines"] += 1
    return rows


def meter_check(shared, rows, cmap):
    """How often pingze is 仄 where regulated verse demands 仄, against the Mandarin tone alone.

    In 唐诗三百首's 律诗 and 绝句 every couplet but the first ends its first line on a 仄 character (the
    second line rhymes in 平; the first couplet's first line may rhyme too). Returns the counts of the
    table's 平/仄/? and the Mandarin tone's at those places, and the characters the table calls 平 there.
    """
    path = os.path.join(shared, "poetry", "tangshisanbaishou.json")
    text, _ = read_text(path, lf=False)
    table = {r[0]: r for r in rows}
    ours, tone_only, ping = collections.Counter(), collections.Counter(), collections.Counter()
    for group in json.loads(text)["content"]:
        if group["type"] not in ("五言律詩", "七言律詩", "五言絕句", "七言絕句"):
            continue
        for p in group["content"]:
            poem = NOTE.sub("", "\n".join(p["paragraphs"]))
            sentences = [x for para in poem.split("\n") for x in split_sentences(para.strip())]
            for sent in sentences[1:]:
                body = sent.rstrip(SENTENCE_END + CLOSERS)
                if "，" not in body:
                    continue
                c = body.split("，")[0][-1:]
                r = table.get(cmap.get(c, c))
                if not r:
                    continue
                pz = r[4].split(",")[0]
                ours[pz] += 1
                if pz == "平":
                    ping[r[0]] += 1
                tone = syllable_tone(r[1].split(",")[0])[1] if r[1] != "-" else 0
                tone_only["平" if tone in (1, 2) else "仄" if tone in (3, 4) else "?"] += 1
    return ours, tone_only, ping


def tsv(header, rows):
    lines = ["# " + h for h in header] + ["\t".join(str(x) for x in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(ROOT), "shared", "data"))
    ap.add_argument("--unihan", default="/usr/share/unicode")
    ap.add_argument("--out", default=os.path.join(ROOT, "data"))
    ap.add_argument("--check", action="store_true", help="compare with the files in --out; write nothing")
    ap.add_argument("--meter", action="store_true",
                    help="also check pingze against the meter of 唐诗三百首's regulated verse")
    a = ap.parse_args(argv)

    ver = make_corpora.opencc_version()
    if ver != make_corpora.OPENCC_VERSION:
        print("make_hanzi: warning: OpenCC %s installed; the files were made with %s"
              % (ver, make_corpora.OPENCC_VERSION), file=sys.stderr)

    uh, uversion, ucopyright = read_unihan(a.unihan, ("kMandarin", "kTGHZ2013", "kTGH", "kTotalStrokes",
                                          "kDefinition", "kTraditionalVariant") + VARIANT_FIELDS)
    gy = load_guangyun(a.shared)
    gender, gender_sha = load_gender(a.shared)
    surnames, surnames_sha = load_surnames(a.shared)

    level = {}
    for c, v in uh["kTGH"].items():
        for entry in v.split():
            year, _, num = entry.partition(":")
            if not num.isdigit() or not 1 <= int(num) <= 8105:
                die("Unihan kTGH of U+%04X: %r is not YEAR:1-8105" % (ord(c), entry))
            if year == "2013":
                n = int(num)
                level[c] = 1 if n <= 3500 else 2 if n <= 6500 else 3
    for c, v in uh["kTotalStrokes"].items():
        if not v.split()[0].isdigit():
            die("Unihan kTotalStrokes of U+%04X: %r is not a number" % (ord(c), v))
    if len(level) != 8105:
        die("kTGH gives %d characters, expected the 8,105 of the 通用规范汉字表" % len(level))
    name_chars = load_names_chars(a.out)
    surname_chars = set("".join(s for s, _ in surnames))
    chars = sorted(set(level) | name_chars | surname_chars)

    why = collections.Counter()
    other_why = collections.Counter()
    rows = []
    for c in chars:
        rs = readings(c, uh)
        # The branch counts are those of the first readings, as before the column had one verdict a reading.
        pz = ",".join(pingze(c, r, uh, gy, why if i == 0 else other_why) for i, r in enumerate(rs)) or "?"
        if not rs:
            why["? no Mandarin reading"] += 1
        strokes = uh["kTotalStrokes"].get(c, "0").split()[0]
        m, f = gender.get(c, (0, 0))
        gloss = re.sub(r"[\t\n\r]+", " ", uh["kDefinition"].get(c, "")).strip() or "-"
        rows.append([c, ",".join(rs) or "-", level.get(c, 0), strokes, pz, m, f, gloss])

    in_table = set(chars)
    gdrop = [c for c in gender if c not in in_table]
    M = sum(r[5] for r in rows)
    F = sum(r[6] for r in rows)
    K = sum(1 for r in rows if r[5] or r[6])
    n = collections.Counter()
    n["chars"] = len(rows)
    n["outside"] = len(rows) - len(level)
    n["no_pinyin"] = sum(1 for r in rows if r[1] == "-")
    first_pz = [r[4].split(",")[0] for r in rows]
    all_pz = collections.Counter(p for r in rows for p in r[4].split(",") if r[1] != "-")
    n["unknown_pz"] = first_pz.count("?")
    n["readings"] = sum(all_pz.values())
    n["mixed"] = sum(1 for r in rows if len(set(r[4].split(","))) > 1)
    n["no_guangyun"] = why["? no Guangyun reading"]
    n["no_gender"] = sum(1 for r in rows if not (r[5] or r[6]))
    n["no_gloss"] = sum(1 for r in rows if r[7] == "-")
    n["ping"] = first_pz.count("平")
    n["ze"] = first_pz.count("仄")
    hanzi_header = [
        "SOURCE: Unihan %s (Debian unicode-data: kMandarin, kTGHZ2013, kTGH, kTotalStrokes, kDefinition, "
        "kTraditionalVariant, kZVariant, kSemanticVariant, kSpecializedSemanticVariant); "
        "the Guangyun of nk2028/qieyun-sqlite 64220ab (../shared/data/guangyun); "
        "ngender charfreq.csv sha256 %s (../shared/data/gender)" % (uversion, gender_sha),
        "LICENSE: Unihan fields (modified: selected, merged, reformatted) under the Unicode license, "
        "see hanzi.LICENSE; Guangyun CC0 1.0, see "
        "guangyun.LICENSE; gender counts MIT, Copyright (c) 2015 Jingchao Hu, see gender.LICENSE",
        "MADE: %d characters (8105 of the 通用规范汉字表, %d others from data/*.txt and the surnames); "
        "first readings 平 %d, 仄 %d, ? %d (%d without a Guangyun reading); all %d readings 平 %d, 仄 %d, ? %d, "
        "%d characters whose readings differ in 平仄; %d with no Mandarin reading; %d without gender "
        "counts (%d characters of charfreq.csv not in this table); totals male %d, female %d, %d characters "
        "with counts; %d without a gloss"
        % (n["chars"], n["outside"], n["ping"], n["ze"], n["unknown_pz"], n["no_guangyun"], n["readings"],
           all_pz["平"], all_pz["仄"], all_pz["?"], n["mixed"], n["no_pinyin"],
           n["no_gender"], len(gdrop), M, F, K, n["no_gloss"]),
        "SCRIPT: python3 scripts/make_hanzi.py redoes this file byte for byte (data/README.md)",
        "FORMAT: char<TAB>pinyin<TAB>level<TAB>strokes<TAB>pingze<TAB>male<TAB>female<TAB>gloss; sorted by "
        "code point; pinyin: readings with tone marks, most common first (neutral-tone ones last), "
        "separated by ',', '-' if none; level 1-3 in the 通用规范汉字表, 0 if not in it; strokes 0 if unknown; "
        "pingze 平/仄/? of each reading, separated by ',' in the order of pinyin ('?' if no reading); "
        "gloss '-' if none",
    ]
    surname_header = [
        "SOURCE: hotoo/pinyin's surname table as ../shared/data/surnames/surnames.tsv, sha256 %s"
        % surnames_sha,
        "LICENSE: MIT License, Copyright (c) 2026 闲耘™; see surnames.LICENSE",
        "MADE: %d surnames (%d single, %d compound), in the source's order (百家姓), unchanged"
        % (len(surnames), sum(1 for s, _ in surnames if len(s) == 1), sum(1 for s, _ in surnames if len(s) == 2)),
        "SCRIPT: python3 scripts/make_hanzi.py redoes this file byte for byte (data/README.md)",
        "FORMAT: surname<TAB>pinyin; the reading as a surname, one syllable per character, separated by a space",
    ]

    ccount = collections.Counter()
    poems = load_classics(a.shared, ccount)
    trad = set()
    for classic, title, author, paras in poems:
        trad.update(title + author + "".join(paras))
    cmap, _ = make_corpora.char_map(trad)
    crows = classics_rows(poems, cmap, ccount)
    classics_header = [
        "SOURCE: chinese-poetry/chinese-poetry (GitHub) as ../shared/data/poetry: shijing.json, chuci.json, "
        "lunyu.json, tangshisanbaishou.json, songci300.json",
        "LICENSE: MIT License, Copyright (c) 2016 JackeyGao; see classics.LICENSE",
        "MADE: each paragraph split into sentences after 。！？；; editorial notes in parentheses removed (%d); "
        "converted to simplified with the rule of make_corpora.py (%s): 唐诗三百首, traditional, and the "
        "other four's remaining traditional forms; errata of the source (ERRATA in the script): %s; "
        "lines (changed by the conversion): %s"
        % (ccount["editorial notes in parentheses removed"], make_corpora.RULE,
           "; ".join("%s %s stanza %d: %s -> %s" % (c, t, i + 1, w, r) for c, t, i, w, r, _ in ERRATA),
           ", ".join("%s %d (%d)" % (c, ccount[c + " lines"], ccount[c + " converted"]) for c, _ in CLASSICS)),
        "SCRIPT: python3 scripts/make_hanzi.py redoes this file byte for byte (data/README.md)",
        "FORMAT: classic<TAB>title<TAB>author<TAB>line; in each classic's order; author '-' when unknown",
    ]

    unicode_copyright, _ = read_text("/usr/share/doc/unicode-data/copyright")
    guangyun_lic, _ = read_text(os.path.join(a.shared, "guangyun", "LICENSE"))
    outputs = {
        "hanzi.tsv": tsv(hanzi_header, rows),
        "surnames.tsv": tsv(surname_header, surnames),
        "classics.tsv": tsv(classics_header, crows),
        "hanzi.LICENSE": (UNICODE_NOTICE_HEAD.format(version=uversion, copyright=ucopyright)
                          + unicode_copyright).encode("utf-8"),
        "guangyun.LICENSE": ("data/hanzi.tsv: the pingze column is derived from the Guangyun readings of\n"
                             "nk2028/qieyun-sqlite (commit 64220ab), dedicated to the public domain:\n\n"
                             + guangyun_lic).encode("utf-8"),
        "gender.LICENSE": ("data/hanzi.tsv: the male and female columns are the counts of ngender's\n"
                           "charfreq.csv (https://github.com/observerss/ngender).\n\n"
                           "The MIT License (MIT)\n\nCopyright (c) 2015 Jingchao Hu\n\n" + MIT_TEXT).encode("utf-8"),
        "surnames.LICENSE": ("data/surnames.tsv: the surname readings of hotoo/pinyin.\n\n"
                             "The MIT License (MIT)\n\nCopyright (c) 2026 闲耘™\n\n" + MIT_TEXT).encode("utf-8"),
        "classics.LICENSE": ("data/classics.tsv: lines of five classics from the chinese-poetry collection\n"
                             "(https://github.com/chinese-poetry/chinese-poetry).\n\n"
                             "The MIT License (MIT)\n\nCopyright (c) 2016 JackeyGao\n\n" + MIT_TEXT).encode("utf-8"),
    }

    print("hanzi.tsv: %d characters (%d outside the 通用规范汉字表); no Guangyun reading (?) %d; no gender "
          "counts %d; no gloss %d; no Mandarin reading %d" % (n["chars"], n["outside"], n["no_guangyun"],
                                                            n["no_gender"], n["no_gloss"], n["no_pinyin"]))
    print("hanzi.tsv: pingze of the first readings 平 %d, 仄 %d, ? %d" % (n["ping"], n["ze"], n["unknown_pz"]))
    for k, v in sorted(why.items()):
        print("  %6d  %s" % (v, k))
    print("hanzi.tsv: pingze of all %d readings 平 %d, 仄 %d, ? %d; %d characters whose readings differ in 平仄; "
          "the other readings' branches:" % (n["readings"], all_pz["平"], all_pz["仄"], all_pz["?"], n["mixed"]))
    for k, v in sorted(other_why.items()):
        print("  %6d  %s" % (v, k))
    print("hanzi.tsv: gender totals male %d, female %d, %d characters with counts; %d characters of "
          "charfreq.csv left out (not in the table), %d male and %d female counts"
          % (M, F, K, len(gdrop), sum(gender[c][0] for c in gdrop), sum(gender[c][1] for c in gdrop)))
    print("surnames.tsv: %d surnames" % len(surnames))
    for c, t, i, w, r, why in ERRATA:
        print("classics.tsv: erratum %s %s stanza %d: %s -> %s (%s)" % (c, t, i + 1, w, r, why))
    print("classics.tsv: %s; %d editorial notes removed"
          % (", ".join("%s %d poems %d lines (%d changed by t2s)"
                       % (c, ccount[c + " poems"], ccount[c + " lines"], ccount[c + " converted"])
                       for c, _ in CLASSICS), ccount["editorial notes in parentheses removed"]))

    if a.meter:
        ours, tone_only, ping = meter_check(a.shared, rows, cmap)
        n_places = sum(ours.values())
        print("meter: where regulated verse demands 仄 (%d places), pingze is 仄 %d (%.1f%%), 平 %d, ? %d; "
              "the Mandarin tone alone gives 仄 %d (%.1f%%); called 平 there: %s"
              % (n_places, ours["仄"], 100.0 * ours["仄"] / n_places, ours["平"], ours["?"], tone_only["仄"],
                 100.0 * tone_only["仄"] / n_places, " ".join(sorted(ping))))

    bad = make_corpora.write_outputs(outputs, a.out, a.check, die)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
