"""botocore's paging facts for EC2: paginator entries, starting tokens, resume tokens.

Input: {"operations": [name, ...], "tokens": [starting token, ...], "resume": [{"NextToken":
token or null, "boto_truncate_amount"?: n}, ...]}.
Output: {"paginators": {operation: paginators-1.json entry or null}, "parsed": [{"token",
"skip"} or {"error": "Type: message"}, ...], "resume": [the NextToken aws-cli prints, ...]}.
"parsed" is PageIterator._parse_starting_token's answer for each token: the input tokens it
injects into the first call ({"NextToken": ...}) and the items it skips on that page.
"""
import json
import sys

import botocore.session
from botocore.paginate import PageIterator, TokenEncoder

request = json.load(sys.stdin)
session = botocore.session.get_session()
model = session.get_paginator_model('ec2')


def entry(operation):
    try:
        return model.get_paginator(operation)
    except ValueError:
        return None


def parse(token):
    iterator = PageIterator(None, ['NextToken'], None, None, [], [], 'MaxResults', None, token,
                            None, {})
    try:
        parsed, skip = iterator._parse_starting_token()
    except Exception as e:
        return {'error': '%s: %s' % (type(e).__name__, e)}
    return {'token': parsed, 'skip': skip}


json.dump({
    'paginators': {name: entry(name) for name in request['operations']},
    'parsed': [parse(token) for token in request['tokens']],
    'resume': [TokenEncoder().encode(token) for token in request['resume']],
}, sys.stdout)
