"""Edits a tern tune database for tern-tune.test, then checks what the
whole-executable check made of the edit.

  tune-edit.py IN OUT     copy IN to OUT with the decode tile of 1x512x256
                          and the prefill tile of 4x1536x256 changed
  tune-edit.py --verify F every trial in F's "checks" has its rounds, and
                          each edited entry either kept its edit (a kept
                          trial covered it) or is back to another choice
                          with the edit under "rejected"
"""
import json
import sys

EDITS = {(1, 512, 256): "decode", (4, 1536, 256): "prefill"}
TILE = ("family", "packing", "block", "tile_m", "tile_n")


def edit(src, dst):
    db = json.load(open(src))
    for e in db["entries"]:
        shape = (e["m"], e["n"], e["k"])
        if shape == (1, 512, 256):
            e["tile_n"] = 1 if e["tile_n"] == 2 else 2
        elif shape == (4, 1536, 256):
            e["tile_m"] = 2  # prefill candidates and defaults have >= 4 rows
    json.dump(db, open(dst, "w"), indent=2)
    json.dump({"edits": [[[e["m"], e["n"], e["k"]], {f: e[f] for f in TILE}]
                         for e in db["entries"]
                         if (e["m"], e["n"], e["k"]) in EDITS]},
              open(dst + ".edits", "w"))


def verify(path):
    db = json.load(open(path))
    edits = json.load(open(path + ".edits"))["edits"]
    checks = db.get("checks", [])
    if not checks:
        sys.exit(path + ": no checks recorded")
    for c in checks:
        if not (len(c["default_pp"]) == len(c["tuned_pp"]) ==
                len(c["default_tg"]) == len(c["tuned_tg"]) == 2):
            sys.exit(path + ": a check without its 2 rounds: " + str(c))
    for shape, choice in edits:
        phase = EDITS[tuple(shape)]
        e = next(e for e in db["entries"] if [e["m"], e["n"], e["k"]] == shape)
        now = {f: e[f] for f in TILE}
        kept = any(c["kept"] and phase in c["trial"] for c in checks)
        if kept and (now != choice or "rejected" in e):
            sys.exit(f"{path}: {shape} was kept but changed: {e}")
        rejected = {f: e["rejected"][f] for f in TILE} if "rejected" in e else None
        if not kept and (now == choice or rejected != choice):
            sys.exit(f"{path}: {shape} not kept but not reverted: {e}")
        print(shape, "kept" if kept else "reverted")


if sys.argv[1] == "--verify":
    verify(sys.argv[2])
else:
    edit(sys.argv[1], sys.argv[2])
