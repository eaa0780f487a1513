"""The output members of EC2 operations in botocore's model, in the model's order.

Input: {"operations": [name, ...]}.
Output: {operation: [member, ...] or null when the operation returns nothing}. botocore's XML
parser fills a response in this order, so it is the order of aws-cli's JSON keys.
"""
import json
import sys

import botocore.session

request = json.load(sys.stdin)
model = botocore.session.get_session().get_service_model('ec2')
members = {}
for name in request['operations']:
    shape = model.operation_model(name).output_shape
    members[name] = list(shape.members) if shape is not None else None
json.dump(members, sys.stdout)
