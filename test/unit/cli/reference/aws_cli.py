"""aws-cli itself (`aws ec2 ...`) on the cases read from stdin, with EC2 answered from a script.

Input: a JSON list of {"argv": ["ec2", "describe-instances", ...], "responses": [{"response":
{...}} or {"error": {"Code", "Message"}}, ...]}.
Output: a JSON list of {"rc", "stdout", "stderr", "requests": [{"operation", "params"}]}, one per
case: what aws-cli printed and exited with, and the parameters of every call it made, as
botocore serialized them (MaxResults=5, DryRun="true", InstanceId.1=...).

The calls never leave the process: a before-call handler answers the n-th call with the n-th
scripted response, after aws-cli has parsed its arguments, paged, validated and serialized, and
before its formatters and error handling run. A call past the script fails with
Test.UnexpectedCall. Top-level members of a response are put in the order botocore's XML parser
gives them (the output shape's); nested ones stay as scripted.

An aws-cli older than its botocore (Debian's 1.19 with a current botocore, see
docs/decisions/0034-aws-cli-reference-from-debian.md) has customizations of services that the
newer model no longer has (opsworkscm); those are not loaded, everything else runs as shipped.
"""
import contextlib
import io
import json
import os
import sys

os.environ.update({
    'AWS_ACCESS_KEY_ID': 'kumo',
    'AWS_SECRET_ACCESS_KEY': 'kumo',
    'AWS_DEFAULT_REGION': 'us-east-1',
    'AWS_CONFIG_FILE': os.devnull,
    'AWS_SHARED_CREDENTIALS_FILE': os.devnull,
    'AWS_EC2_METADATA_DISABLED': 'true',
})

import awscli.clidriver  # noqa: E402
import awscli.handlers  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402

MAIN_TABLE = 'building-command-table.main'
# The commands whose customizations were left out, as the model lacks them (aws_cli_guard.py).
SKIPPED = []


class ServiceTable(dict):
    """The main command table as one handler sees it: it notes the names looked up and missing."""

    def __init__(self, table):
        super().__init__(table)
        self.missing = set()

    def __missing__(self, name):
        self.missing.add(name)
        raise KeyError(name)


def only_for_services_the_model_has(handler):
    """A handler of the main command table that is left out when it looks up a command the table
    lacks: it customizes a service the model does not have (aws-cli would fail with KeyError on
    every command, ec2's included). Its changes are kept only when it succeeds; any other
    failure, a KeyError from anything but the table included, still raises."""
    def guarded(command_table, **kwargs):
        table = ServiceTable(command_table)
        try:
            result = handler(command_table=table, **kwargs)
        except KeyError as error:
            if error.args and error.args[0] in table.missing:
                SKIPPED.append(error.args[0])
                return None
            raise
        command_table.clear()
        command_table.update(table)
        return result
    return guarded


class ServiceGuardingEmitter:
    """aws-cli's event emitter as its built-in plugin sees it while registering handlers."""

    def __init__(self, emitter):
        self._emitter = emitter

    def __getattr__(self, name):
        attribute = getattr(self._emitter, name)
        if name not in ('register', 'register_first', 'register_last'):
            return attribute

        def register(event_name, handler, *args, **kwargs):
            if event_name == MAIN_TABLE:
                handler = only_for_services_the_model_has(handler)
            return attribute(event_name, handler, *args, **kwargs)
        return register


_initialize = awscli.handlers.awscli_initialize
awscli.handlers.awscli_initialize = lambda emitter: _initialize(ServiceGuardingEmitter(emitter))


def in_shape_order(shape, response):
    if shape is None:
        return response
    names = list(shape.members)
    ordered = {name: response[name] for name in names if name in response}
    ordered.update({k: v for k, v in response.items() if k not in ordered})
    return ordered


SHARED = {}


def fresh_driver():
    """A new aws-cli driver per case, so no state carries over; the model files it reads are
    loaded once (botocore's loader only caches what it read from disk)."""
    driver = awscli.clidriver.create_clidriver()
    loader = SHARED.setdefault('loader', driver.session.get_component('data_loader'))
    driver.session.register_component('data_loader', loader)
    return driver


def run(case):
    script = list(case['responses'])
    requests = []

    def answer(model, params, **kwargs):
        body = {k: v for k, v in params['body'].items() if k not in ('Action', 'Version')}
        requests.append({'operation': model.name, 'params': body})
        if not script:
            error = {'Code': 'Test.UnexpectedCall', 'Message': 'call was not scripted'}
            return AWSResponse('', 500, {}, None), {'Error': error}
        step = script.pop(0)
        if 'error' in step:
            return AWSResponse('', 400, {}, None), {'Error': step['error']}
        return AWSResponse('', 200, {}, None), in_shape_order(model.output_shape, step['response'])

    driver = fresh_driver()
    driver.session.register('before-call.ec2', answer)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        rc = driver.main(case['argv'])
    return {'rc': rc, 'stdout': stdout.getvalue(), 'stderr': stderr.getvalue(),
            'requests': requests}


if __name__ == '__main__':
    json.dump([run(case) for case in json.load(sys.stdin)], sys.stdout)
