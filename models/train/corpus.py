#!/usr/bin/env python3
"""The training text: the King James Bible as Debian's bible-kjv prints it
(public domain: the translation dates from 1611; the package's copyright
file says so), one verse per line without its reference, split by chapter
into train.txt and heldout.txt (every 20th chapter held out).

    python3 models/train/corpus.py OUT_DIR
"""
import os
import re
import subprocess
import sys

HELD_OUT_EVERY = 20
VERSE = re.compile(r"^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$")


def verses():
    """(book, chapter, text) of every verse, in order."""
    try:
        out = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit("corpus: cannot run 'bible' (Debian package bible-kjv): %s" % e)
    for line in out.splitlines():
        m = VERSE.match(line)
        if not m:
            sys.exit("corpus: unexpected line from bible: %r" % line[:80])
        yield m.group(1), int(m.group(2)), m.group(4).strip()


def split(rows):
    """Verses of held-out chapters (every HELD_OUT_EVERY-th) and the rest."""
    train, held = [], []
    chapter, last = -1, None
    for book, number, text in rows:
        if (book, number) != last:
            chapter, last = chapter + 1, (book, number)
        (held if chapter % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 else train).append(text)
    return train, held


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    train, held = split(verses())
    for name, lines in (("train.txt", train), ("heldout.txt", held)):
        with open(os.path.join(out, name), "w", encoding="ascii") as f:
            f.write("\n".join(lines) + "\n")
    print("corpus: %d training verses, %d held out" % (len(train), len(held)))


if __name__ == "__main__":
    main()
