#!/usr/bin/env python3
"""Prints where the suite's time goes, from the TRX file test.sh writes (TestResults/whistle.trx).

Usage: python3 tools/tests/slowest.py [path/to/whistle.trx] [--top 15]
Per test class: the summed duration of its tests (classes run in parallel, so the sum exceeds the wall clock) and its
slowest test. Classes that hold a whole browser session or a real process dominate; start there.
"""
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict

args = sys.argv[1:]
top = 15
if "--top" in args:
    i = args.index("--top"); top = int(args[i + 1]); del args[i:i + 2]
path = args[0] if args else "tests/Whistle.Tests/TestResults/whistle.trx"
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
root = ET.parse(path).getroot()

def seconds(d):
    h, m, s = d.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)

classes = defaultdict(lambda: [0.0, 0, 0.0, ""])
for r in root.iterfind(".//t:UnitTestResult", ns):
    name = r.get("testName", "")
    d = seconds(r.get("duration", "0:0:0"))
    cls = re.sub(r"\(.*$", "", name).rsplit(".", 1)[0]
    c = classes[cls]
    c[0] += d; c[1] += 1
    if d > c[2]: c[2], c[3] = d, name.rsplit(".", 1)[-1][:70]
times = root.find(".//t:Times", ns)
print(f"{'seconds':>8} {'tests':>5}  class (slowest test)")
for cls, (total, n, worst, wname) in sorted(classes.items(), key=lambda kv: -kv[1][0])[:top]:
    print(f"{total:8.1f} {n:5d}  {cls.replace('Whistle.Tests.', '')}  ({worst:.1f} s: {wname})")
if times is not None:
    print(f"run: {times.get('start')} → {times.get('finish')}")
