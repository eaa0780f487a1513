"""aws-cli's own table and text formatters on the cases read from stdin.

Input: a JSON list of {"format": "table"|"text", "operation", "response", "query"?, "width"?}.
Output: a JSON list of {"ok": printed text} or {"error": message}, one per case. The terminal
width aws-cli would read from the tty is fixed by the case, so the result does not depend on
where the test runs; colour is off, as when aws-cli writes to a pipe.
"""
import argparse
import io
import json
import sys

import awscli.table
import jmespath
from awscli.formatter import TableFormatter, TextFormatter


def render(case):
    width = case.get('width', 80)
    awscli.table.determine_terminal_width = lambda default_width=80: width
    query = case.get('query')
    args = argparse.Namespace(
        query=jmespath.compile(query) if query else None, color='off')
    formatter = TableFormatter if case['format'] == 'table' else TextFormatter
    stream = io.StringIO()
    formatter(args)(case['operation'], case['response'], stream)
    return stream.getvalue()


results = []
for case in json.load(sys.stdin):
    try:
        results.append({'ok': render(case)})
    except Exception as e:  # aws-cli prints the message and exits 255
        results.append({'error': '%s: %s' % (type(e).__name__, e)})
json.dump(results, sys.stdout)
