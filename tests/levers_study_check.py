#!/usr/bin/env python3
"""scripts/levers_study.sh, issue 29's study in one command, runs end to end
on the CPU with tiny step counts (QUICK=1): the route's base, both casts'
tables on the default route (each cast's fine-tunes learn the other cast),
an arm against the default fine-tune, and an English run scored on its
held-out names; and a table name it does not know is refused before anything
runs. A renamed flag or a broken step fails here rather than 20 minutes into
a study.

  levers_study_check.py WUXIA_BINARY"""
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

wuxia = os.path.abspath(sys.argv[1])
script = Path(__file__).resolve().parent.parent / "scripts" / "levers_study.sh"


# The script's settings, which the caller's environment must not choose for it.
SETTINGS = ("ARMS", "ENSEMBLES", "BASES", "ENGLISH_RUNS", "ENGLISH", "ROUTE", "PROFILE", "SPLITS", "CASTS", "QUICK",
            "DEADLINE", "OUT")


def run(out, timeout, **env):
    e = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    e.update(WUXIA=wuxia, DEVICE="cpu", JOBS="2", **env)
    return subprocess.run(["bash", str(script), str(out)], env=e, capture_output=True, text=True, timeout=timeout)


with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    for env, said in ((dict(ARMS="nope"), "ARMS: no arm 'nope'"), (dict(PROFILE="tpu"), "PROFILE: 'tpu'"),
                      (dict(ENGLISH_RUNS="nope"), "ENGLISH_RUNS: no run 'nope'"), (dict(ROUTE="three"), "ROUTE")):
        r = run(tmp / "refused", 60, **env)
        assert r.returncode == 2 and said in r.stderr, f"{env}: exit {r.returncode}\n{r.stderr}"
        assert not (tmp / "refused").exists(), f"{env}: the output folder was made before the refusal"

    # 1,200 made-up Latin names: enough for the study's 1,000 held out.
    rng = random.Random(5)
    names = sorted({"".join(rng.choice("aeioubdklmnrst") for _ in range(rng.randint(3, 8))) for _ in range(1400)})
    english = tmp / "names.txt"
    english.write_text("\n".join(names[:1200]) + "\n")
    out = tmp / "study"
    r = run(out, 900, QUICK="1", SPLITS="1", ARMS="wd03", ENSEMBLES="", ENGLISH=str(english), ENGLISH_RUNS="ema999")
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    for cast, other in (("jinyong", "gulong"), ("gulong", "jinyong")):
        md = (out / f"{cast}.md").read_text()
        for row in ("(i) cast only", "(iii) base + fine-tune", "(iii) base + fine-tune (wd03)"):
            assert re.search(rf"^\| {re.escape(row)} \| [0-9.]+ \|", md, re.M), f"{cast}: no row '{row}'\n{md}"
        split = next((out / "quality" / cast).glob("split-*"))
        assert (split / f"with-{other}.txt").exists(), f"{cast}: the fine-tunes did not learn {other}"
        log = (split / "fine-tuned.log").read_text()
        assert f"with-{other}.txt [{other}]" in log, f"{cast}: the fine-tune read no {other} names\n{log[:500]}"
    en = (out / "english.md").read_text()
    assert re.search(r"^\| ema999 \| `--ema 0.999` \| [0-9.]+ \| 1000 \|", en, re.M), en
    timeline = (out / "timeline.log").read_text()
    assert "profile cpu; route both" in timeline and timeline.rstrip().endswith("done"), timeline
print("levers_study.sh: the route's base, both casts with an arm, English, and its refusals")
