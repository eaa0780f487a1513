"""What aws_cli.py leaves out of aws-cli: only customizations of commands the model lacks.

Input: {} (unused).
Output: {"skipped": bool, "other_key_error": bool, "changes": [command, ...], "ec2": bool,
"left_out": [command, ...]}: a handler that looks up a missing command is skipped and its changes
dropped; a KeyError from elsewhere still raises; a handler that succeeds keeps its changes, in the
table's order; the real driver's command table has ec2; and which of aws-cli's own customizations
this botocore made it leave out.
"""
import json
import sys

import aws_cli

json.load(sys.stdin)


def missing_service(command_table, **kwargs):
    command_table['added-before-failing'] = 1
    command_table['opsworkscm-gone']  # noqa: B018 - aws-cli's alias_command indexes like this


def other_key_error(command_table, **kwargs):
    {}['not-a-command']


def renames(command_table, **kwargs):
    command_table['configservice'] = command_table.pop('config')


table = {'config': 'c', 'ec2': 'e'}
aws_cli.only_for_services_the_model_has(missing_service)(command_table=table)
skipped = table == {'config': 'c', 'ec2': 'e'}
try:
    aws_cli.only_for_services_the_model_has(other_key_error)(command_table=table)
    raised = False
except KeyError:
    raised = True
aws_cli.only_for_services_the_model_has(renames)(command_table=table)

del aws_cli.SKIPPED[:]
driver = aws_cli.fresh_driver()
commands = driver._get_command_table()
json.dump({'skipped': skipped, 'other_key_error': raised, 'changes': list(table),
           'ec2': 'ec2' in commands, 'left_out': sorted(set(aws_cli.SKIPPED))}, sys.stdout)
