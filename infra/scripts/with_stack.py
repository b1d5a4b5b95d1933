"""Runs a command with what it needs from a deployed stack in its environment: the AWS
credentials and region (the default chain: environment, profile, SSO, as `sam deploy` uses them)
and the stack's outputs `TableName` -> TABLE_NAME, `UserPoolId` -> COGNITO_USER_POOL_ID, and its
parameter `PublicBaseUrl` -> PUBLIC_BASE_URL. Nothing is printed: the credentials go straight into
the command's environment.

usage: python with_stack.py STACK -- command [args...]
       (STACK empty: `stack_name` of samconfig.toml, as `sam deploy --guided` saved it)
"""

import os
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

import boto3


def saved_deploy_parameters():
    if tomllib is None or not os.path.exists("samconfig.toml"):
        return {}
    with open("samconfig.toml", "rb") as f:
        config = tomllib.load(f)
    return config.get("default", {}).get("deploy", {}).get("parameters", {})


def main():
    if "--" not in sys.argv[1:]:
        sys.exit(__doc__)
    split = sys.argv.index("--")
    stack = (sys.argv[1] if split > 1 else "").strip()
    command = sys.argv[split + 1 :]
    saved = saved_deploy_parameters()
    stack = stack or saved.get("stack_name", "")
    if not stack or not command:
        sys.exit("name the stack (STACK=...) or deploy once with `make deploy`, which saves it in samconfig.toml")
    session = boto3.Session(region_name=saved.get("region") or os.environ.get("AWS_REGION") or None)
    if not session.region_name:
        sys.exit("no AWS region: set AWS_REGION or a profile's region")
    credentials = session.get_credentials()
    if credentials is None:
        sys.exit("no AWS credentials: the ones `sam deploy` uses (environment, profile or `aws sso login`)")
    frozen = credentials.get_frozen_credentials()
    described = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
    env = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    env.update(
        AWS_REGION=session.region_name,
        AWS_ACCESS_KEY_ID=frozen.access_key,
        AWS_SECRET_ACCESS_KEY=frozen.secret_key,
    )
    if frozen.token:
        env["AWS_SESSION_TOKEN"] = frozen.token
    for output, variable in (("TableName", "TABLE_NAME"), ("UserPoolId", "COGNITO_USER_POOL_ID")):
        if output not in outputs:
            sys.exit(f"the stack {stack} has no output {output}: deploy the current template first")
        env[variable] = outputs[output]
    if parameters.get("PublicBaseUrl"):
        env["PUBLIC_BASE_URL"] = parameters["PublicBaseUrl"]
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
