# Sourced by scripts/test.sh and scripts/wheel.sh: the cached Python virtual environments.
#
#   TCBENCH_VENVS   where the environments live (default: ~/.cache/tcbench/venvs)

venvs="${TCBENCH_VENVS:-$HOME/.cache/tcbench/venvs}"
mkdir -p "$venvs"

# make_venv NAME REQUIREMENTS_FILE: a venv per requirements content, reused while it matches;
# prints its python
make_venv() {
  local req="$2" sum dir
  sum=$(sha256sum "$req" | cut -c1-12)
  dir="$venvs/$1-$sum"
  if [ ! -f "$dir/.complete" ]; then
    echo "scripts: creating $dir from $req" >&2
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
    touch "$dir/.complete"
  fi
  echo "$dir/bin/python"
}
