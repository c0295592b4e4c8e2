#!/usr/bin/env python3
"""doc-narration.py ARTICLE.md SCRIPT.json -- for tests/cli/docvideo.sh:
prints "ok" when every sentence of the script's narration is a sentence of
the Markdown article, verbatim, all in the article's order, and the scenes
cover at least three of its sections (their headings are the article's
headings, in order); else what is wrong.

The article's prose is its paragraphs (not headings, code blocks, tables,
images), split into sentences after . ! ? (and a closing quote) followed
by a space and a capital, digit or opening quote: enough for the fixture,
which has no abbreviations.
"""
import json
import re
import sys

SPLIT = re.compile(r'(?:(?<=[.!?])|(?<=[.!?]["\u201d)]))\s+(?=["\u201cA-Z0-9])')


def sentences(text):
    return [s for s in SPLIT.split(" ".join(text.split())) if s]


def article(path):
    title, heads, sents, code, para = "", [], [], False, []

    def flush():
        if para:
            for s in sentences(" ".join(para)):
                sents.append((len(heads) - 1, s))
            para.clear()

    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("```"):
            flush()
            code = not code
            continue
        if code or line.startswith("|") or line.startswith("!["):
            flush()
            continue
        if line.startswith("# "):
            flush()
            title = line[2:].strip()
            heads.append(title)
        elif line.startswith("## "):
            flush()
            heads.append(line[3:].strip())
        elif not line.strip():
            flush()
        else:
            para.append(line)
    flush()
    return title, heads, sents


def main():
    title, heads, sents = article(sys.argv[1])
    scenes = json.load(open(sys.argv[2], encoding="utf-8"))["scenes"]
    texts = [s for _, s in sents]
    at, problems, sections = -1, [], []
    for sc in scenes:
        for s in sentences(sc["narration"]):
            try:
                i = texts.index(s, at + 1)
            except ValueError:
                where = "earlier in" if s in texts else "not"
                problems.append("%s the article (or out of order): %r" % (where, s))
                continue
            at = i
            if not sections or sections[-1] != sents[i][0]:
                sections.append(sents[i][0])
        if sc["heading"] not in heads:
            problems.append("heading %r is not the article's" % sc["heading"])
    if len(set(sections)) < 3:
        problems.append("only %d sections covered" % len(set(sections)))
    print("\n".join(problems) if problems else "ok")


main()
