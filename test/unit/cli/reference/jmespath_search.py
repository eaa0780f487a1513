"""Python's jmespath (what aws-cli's --query runs) on the cases read from stdin.

Input: {"data": {name: document}, "cases": [{"data": name, "expression"}]}.
Output: a JSON list of {"ok": result} or {"error": "ExceptionType: message"}.
"""
import json
import sys
import warnings

import jmespath

# Legacy literals (`foo`) warn; aws-cli users see nothing, so neither does the test.
warnings.simplefilter('ignore')

request = json.load(sys.stdin)
results = []
for case in request['cases']:
    try:
        value = jmespath.search(case['expression'], request['data'][case['data']])
        results.append({'ok': value})
    except Exception as e:
        results.append({'error': '%s: %s' % (type(e).__name__, str(e).splitlines()[0])})
json.dump(results, sys.stdout, allow_nan=False)
