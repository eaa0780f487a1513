"""What aws-cli prints (--output json, text or table) when EC2 sends the data of kumo's responses.

Input: a JSON list of {"operation", "response", "format"?, "width"?} (a response as kumo's CLI
printed it with --output json; format defaults to json, a table's width to 80).
Output: a JSON list of {"ok": printed text} or {"error": message}, one per case.

Each response is written as the XML EC2 would send (elements named by the model's locationName,
lists of <item>), with every structure's elements in the REVERSE of the order kumo printed them,
so the order of the result comes from botocore alone: its EC2 parser (configured as aws-cli
configures it: timestamps and blobs as they came on the wire) builds each structure by walking
the shape's members in the model's order, and aws-cli's formatters print that. Keys the model
does not have (kumo's extensions) are not written: EC2 would not send them.
"""
import argparse
import io
import json
import sys
from xml.sax.saxutils import escape

import awscli.table
import botocore.session
from awscli.customizations.scalarparse import add_scalar_parsers
from awscli.formatter import JSONFormatter, TableFormatter, TextFormatter

session = botocore.session.get_session()
add_scalar_parsers(session)
model = session.get_service_model('ec2')
parser = session.get_component('response_parser_factory').create_parser('ec2')


def scalar(shape, value):
    if shape.type_name == 'boolean':
        return 'true' if value else 'false'
    return escape(str(value))


def xml(shape, value):
    """The body of the element that holds `value` of `shape`."""
    if shape.type_name == 'structure':
        parts = []
        for key in reversed(list(value)):
            member = shape.members.get(key)
            if member is None:
                continue
            name = member.serialization.get('name', key)
            parts.append('<%s>%s</%s>' % (name, xml(member, value[key]), name))
        return ''.join(parts)
    if shape.type_name == 'list':
        name = shape.member.serialization.get('name', 'item')
        return ''.join('<%s>%s</%s>' % (name, xml(shape.member, v), name) for v in value)
    return scalar(shape, value)


def render(case):
    shape = model.operation_model(case['operation']).output_shape
    body = '<?xml version="1.0" encoding="UTF-8"?>\n<Response>%s</Response>' % xml(
        shape, case['response'])
    parsed = parser.parse(
        {'body': body.encode('utf-8'), 'headers': {}, 'status_code': 200}, shape)
    width = case.get('width', 80)
    awscli.table.determine_terminal_width = lambda default_width=80: width
    formatter = {'json': JSONFormatter, 'text': TextFormatter, 'table': TableFormatter}[
        case.get('format', 'json')]
    stream = io.StringIO()
    formatter(argparse.Namespace(query=None, color='off'))(case['operation'], parsed, stream)
    return stream.getvalue()


results = []
for case in json.load(sys.stdin):
    try:
        results.append({'ok': render(case)})
    except Exception as e:
        results.append({'error': '%s: %s' % (type(e).__name__, e)})
json.dump(results, sys.stdout)
