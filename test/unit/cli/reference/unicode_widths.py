"""The code point ranges aws-cli's table counts as two columns wide (awscli/table.py:
East Asian Width W, F or A), from this Python's unicodedata.

Output: {"unicode": version, "ranges": [[first, last], ...]}.
"""
import json
import sys
import unicodedata

ranges = []
start = None
for cp in range(0x110000):
    wide = unicodedata.east_asian_width(chr(cp)) in 'WFA'
    if wide and start is None:
        start = cp
    elif not wide and start is not None:
        ranges.append([start, cp - 1])
        start = None
if start is not None:
    ranges.append([start, 0x10FFFF])
json.dump({'unicode': unicodedata.unidata_version, 'ranges': ranges}, sys.stdout)
