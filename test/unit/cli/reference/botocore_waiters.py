"""botocore's EC2 waiters (waiters-2.json, as the installed botocore ships it) and their verdicts.

Input: {"waiters": [name, ...], "polls": [{"waiter", "response"} or {"waiter", "error": {"Code",
"Message"}}]}.
Output: {"definitions": {name: {"operation", "acceptors"}}, "verdicts": [state or null, ...]}:
the state of the first acceptor botocore's own matchers accept for each poll (null: none).
"""
import json
import sys

import botocore.session
import botocore.waiter

request = json.load(sys.stdin)
session = botocore.session.get_session()
raw = session.get_component('data_loader').load_service_model('ec2', 'waiters-2')['waiters']
model = session.get_waiter_model('ec2')

definitions = {
    name: {'operation': raw[name]['operation'], 'acceptors': raw[name]['acceptors']}
    for name in request['waiters']
}

verdicts = []
for poll in request['polls']:
    config = model.get_waiter(poll['waiter'])
    # botocore hands its matchers the parsed response, or {"Error": {...}} for a failed call,
    # with the HTTP status in ResponseMetadata (EC2 answers errors with 400).
    response = {'Error': poll['error']} if 'error' in poll else dict(poll['response'])
    response['ResponseMetadata'] = {'HTTPStatusCode': 400 if 'error' in poll else 200}
    state = None
    for acceptor in config.acceptors:
        if acceptor.matcher_func(response):
            state = acceptor.state
            break
    verdicts.append(state)
json.dump({'definitions': definitions, 'verdicts': verdicts}, sys.stdout)
