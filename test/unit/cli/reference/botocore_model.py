"""The request skeletons botocore's EC2 model gives for the operations kumo implements.

Input: {"operations": [name, ...]}.
Output: {operation: the skeleton `aws ec2 <op> --generate-cli-skeleton` prints}.
aws-cli fills an enum string with a random member; here it is {"enum": [members]} instead, so the
test can check kumo's choice is one of them.
"""
import json
import sys

import botocore.session
import botocore.utils

request = json.load(sys.stdin)
session = botocore.session.get_session()
model = session.get_service_model('ec2')
# ArgumentGenerator picks an enum member with random.choice: report the members instead.
botocore.utils.random.choice = lambda members: {'enum': list(members)}

generator = botocore.utils.ArgumentGenerator()
skeletons = {}
for name in request['operations']:
    shape = model.operation_model(name).input_shape
    skeletons[name] = generator.generate_skeleton(shape) if shape is not None else {}

# Timestamps print as aws-cli prints them (ISO 8601).
json.dump(skeletons, sys.stdout, default=lambda value: value.isoformat())
