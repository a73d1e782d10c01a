# Sourced by play.sh and test.sh: create .venv and install the project into it, once per change.
# TORCH_SPEC picks the torch build: the default is a CPU build; TORCH_SPEC=torch takes PyPI's
# Linux build, which includes CUDA (several GB).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)-$(echo "$TORCH_SPEC" | sha1sum | cut -c1-8)"
if [ ! -e "$stamp" ]; then
    echo "setting up .venv (torch: $TORCH_SPEC) ..." >&2
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
    .venv/bin/python -m pip install -q "$TORCH_SPEC"
    .venv/bin/python -m pip install -q -e '.[test]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi
