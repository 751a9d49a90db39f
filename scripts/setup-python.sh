#!/usr/bin/env bash
# The optional Python side: a virtualenv in the checkout (.venv/) with the Glue runtime's own versions
# (glue/requirements-dev.txt: pyspark, boto3, moto, the AWS CLI v1, and the AWS clients the local endpoints are
# tested with: PyAthena, awswrangler, dbt-athena), and Checkov in a virtualenv of its
# own (.venv/checkov/, infra/requirements-checkov.txt: it pins boto3 to another version). Spark also
# needs Java 17 on PATH.
# `npm test` runs the Spark, moto and Checkov suites only when this exists; otherwise it says so in one line.
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin="${PYTHON:-}"
if [[ -z "$python_bin" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null; then python_bin="$candidate"; break; fi
  done
fi
if [[ -z "$python_bin" ]]; then
  echo "setup-python: no python3 on PATH (AWS Glue 5.x runs Python 3.11)" >&2
  exit 1
fi
install() { # <virtualenv> <requirements file>
  [[ -x "$1/bin/python" ]] || "$python_bin" -m venv "$1"
  "$1/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$1/bin/python" -m pip install --quiet --disable-pip-version-check -r "$2"
}
install .venv glue/requirements-dev.txt
install .venv/checkov infra/requirements-checkov.txt
if ! command -v java >/dev/null; then
  echo "setup-python: warning: no java on PATH; Spark needs Java 17" >&2
fi
.venv/bin/python -c "import pyspark, boto3, moto; print('python side ready: pyspark', pyspark.__version__, '/ moto', moto.__version__)"
echo "checkov $(.venv/checkov/bin/checkov --version)"
