"""Runs a flowmap binary as Flyte runs a task container, against flytekit's own code and a real
S3 API (moto's server on 127.0.0.1):

- a map element reads its inputs (made by flytekit) from s3:// and writes outputs.pb there;
- a missing inputs file gives an error.pb that is not recoverable;
- a failing task gives a recoverable error.pb, read by flytekit's model;
- a struct output is read back by flytekit into the equivalent dataclass.

python check_container.py PATH/TO/anomalies
"""

import os
import subprocess
import sys
import tempfile
import typing
from dataclasses import dataclass

import boto3
from flyteidl.core import errors_pb2, literals_pb2
from flytekit.core.context_manager import FlyteContextManager
from flytekit.core.type_engine import TypeEngine
from flytekit.models.core.errors import ErrorDocument
from flytekit.models.literals import LiteralMap
from moto.server import ThreadedMotoServer

CTX = FlyteContextManager.current_context()


@dataclass
class Summary:
    points: int
    anomalies: int
    share: typing.Optional[float]


def inputs(values: dict) -> bytes:
    lits = {k: TypeEngine.to_literal(CTX, v, t, TypeEngine.to_literal_type(t)) for k, (v, t) in values.items()}
    return LiteralMap(literals=lits).to_flyte_idl().SerializeToString()


def execute(binary: str, env: dict, *args: str) -> None:
    cmd = [binary, "execute", "--raw-output-data-prefix", "/tmp/raw", "--checkpoint-path", "", "--prev-checkpoint", "", *args]
    done = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr}")


def main(binary: str) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "BATCH_JOB_ARRAY_INDEX_VAR_NAME": "FLYTE_K8S_ARRAY_INDEX",
        "FLYTE_K8S_ARRAY_INDEX": "3",
    }
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    s3.create_bucket(Bucket="flyte")
    try:
        # A map element, through S3.
        s3.put_object(Bucket="flyte", Key="run/n0/inputs.pb", Body=inputs({"data_point": ([10, 12, 11, 100], list[int])}))
        execute(binary, env, "--inputs", "s3://flyte/run/n0/inputs.pb", "--output-prefix", "s3://flyte/run/n0/3",
                "--task", "anomalies.detect_anomalies.map", "--map")
        out = literals_pb2.LiteralMap()
        out.ParseFromString(s3.get_object(Bucket="flyte", Key="run/n0/3/outputs.pb")["Body"].read())
        assert out.literals["o0"].scalar.primitive.boolean is True, out
        # A missing inputs file.
        execute(binary, env, "--inputs", "s3://flyte/run/none/inputs.pb", "--output-prefix", "s3://flyte/run/none",
                "--task", "anomalies.detect_anomalies.map", "--map")
        doc = errors_pb2.ErrorDocument()
        doc.ParseFromString(s3.get_object(Bucket="flyte", Key="run/none/error.pb")["Body"].read())
        error = ErrorDocument.from_flyte_idl(doc).error
        assert error.kind == errors_pb2.ContainerError.NON_RECOVERABLE, error
        assert "nothing is at" in error.message, error.message
    finally:
        server.stop()
    with tempfile.TemporaryDirectory() as d:
        # A failing task: recoverable, from the user, read by flytekit's model.
        with open(f"{d}/bad.pb", "wb") as f:
            f.write(inputs({"id": (-1, int), "millis": (1, int)}))
        execute(binary, {}, "--inputs", f"{d}/bad.pb", "--output-prefix", f"{d}/bad", "--task", "anomalies.read_sensor")
        doc = errors_pb2.ErrorDocument()
        doc.ParseFromString(open(f"{d}/bad/error.pb", "rb").read())
        error = ErrorDocument.from_flyte_idl(doc).error
        assert error.kind == errors_pb2.ContainerError.RECOVERABLE, error
        assert error.origin == 1 and "sensor -1 does not answer" in error.message, error
        # A struct output, read back by flytekit into the dataclass.
        with open(f"{d}/flags.pb", "wb") as f:
            f.write(inputs({"flags": ([True, False, True, True], list[bool])}))
        execute(binary, {}, "--inputs", f"{d}/flags.pb", "--output-prefix", f"{d}/sum", "--task", "anomalies.summarize")
        out = literals_pb2.LiteralMap()
        out.ParseFromString(open(f"{d}/sum/outputs.pb", "rb").read())
        lit = LiteralMap.from_flyte_idl(out).literals["o0"]
        summary = TypeEngine.to_python_value(CTX, lit, Summary)
        assert summary == Summary(points=4, anomalies=3, share=0.75), summary
    print(f"{binary}: map element through S3, missing inputs, task error and struct output: all as flytekit reads them")


if __name__ == "__main__":
    main(sys.argv[1])
