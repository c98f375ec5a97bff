#!/usr/bin/env bash
# The GitHub Action's work (action.yml runs it): get the release binary of the action's own
# version, check its sha256, run otadoctor with the inputs, write the SARIF file and the job
# summary, and record the exit code as an output. It always exits 0 once otadoctor has run, so
# the SARIF upload comes next; action.yml's last step then fails with otadoctor's exit code.
#
# Inputs come through the environment (set by action.yml), never pasted into a script.
# OTADOCTOR_BIN=PATH runs that binary instead of downloading one (for testing the action).
set -euo pipefail

fail() {
  printf '::error title=otadoctor action::%s\n' "$1" >&2
  exit 2
}

# the lines (or comma-separated items) of a list input, trimmed, empty ones dropped
list_items() {
  local item
  while IFS= read -r item || [ -n "$item" ]; do
    item="${item%$'\r'}"
    item="${item#"${item%%[![:space:]]*}"}"
    item="${item%"${item##*[![:space:]]}"}"
    [ -n "$item" ] && printf '%s\n' "$item"
  done <<<"$1"
}

is_true() {
  case "$1" in
    true | True | TRUE | yes | 1) return 0 ;;
    false | False | FALSE | no | 0 | '') return 1 ;;
    *) fail "expected true or false, got: $1" ;;
  esac
}

# the runner's temporary folder, with / separators (Windows runners give D:\a\_temp)
temp_root() {
  local root="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
  printf '%s\n' "${root//\\//}"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

# the action's repository: the github.action_repository expression (empty in some composite
# action runs: actions/runner#2473), else the runner's _actions/OWNER/REPO/REF folder, else the
# repository being built (`uses: ./`)
action_repository() {
  if [ -n "${ACTION_REPOSITORY:-}" ]; then
    printf '%s\n' "$ACTION_REPOSITORY"
    return
  fi
  local path="${GITHUB_ACTION_PATH:-}"
  path="${path//\\//}"
  if [[ "$path" == */_actions/*/*/* ]]; then
    local rest="${path##*/_actions/}"
    local owner="${rest%%/*}"
    rest="${rest#*/}"
    printf '%s/%s\n' "$owner" "${rest%%/*}"
    return
  fi
  [ -n "${GITHUB_REPOSITORY:-}" ] || fail "cannot tell which repository the action comes from"
  printf '%s\n' "$GITHUB_REPOSITORY"
}

# the release to download: the version input, else the version in the action's own Cargo.toml
# (so @v0, @v0.4.1 and a commit of a release all get the binary built from that release)
release_tag() {
  local version="${INPUT_VERSION:-}"
  if [ -z "$version" ]; then
    local manifest="${GITHUB_ACTION_PATH:-.}/Cargo.toml"
    [ -f "$manifest" ] || fail "no version input and no $manifest to read the version from"
    version=$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$manifest" | head -n 1)
    [ -n "$version" ] || fail "no version in $manifest"
  fi
  case "$version" in
    v*) printf '%s\n' "$version" ;;
    *) printf 'v%s\n' "$version" ;;
  esac
}

release_target() {
  case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) fail "no release binary for runner ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}" ;;
  esac
}

download_binary() {
  local repo tag target archive base dir expected actual
  repo=$(action_repository)
  tag=$(release_tag)
  target=$(release_target)
  case "$target" in
    *windows*) archive="otadoctor-$target.zip" ;;
    *) archive="otadoctor-$target.tar.xz" ;;
  esac
  base="${GITHUB_SERVER_URL:-https://github.com}/$repo/releases/download/$tag"
  dir=$(mktemp -d "$(temp_root)/otadoctor.XXXXXX")
  echo "otadoctor $tag ($target) from $repo's releases" >&2
  curl --proto '=https' --tlsv1.2 --fail --silent --show-error --location --retry 3 \
    --output "$dir/$archive" "$base/$archive" ||
    fail "cannot download $archive of release $tag of $repo (pin the action to a release tag, or set the version input)"
  curl --proto '=https' --tlsv1.2 --fail --silent --show-error --location --retry 3 \
    --output "$dir/sha256.sum" "$base/sha256.sum" ||
    fail "cannot download sha256.sum of release $tag of $repo"
  expected=$(awk -v name="$archive" '{ file = $2; sub(/^\*/, "", file); if (file == name) print $1 }' "$dir/sha256.sum")
  [ -n "$expected" ] || fail "sha256.sum of release $tag lists no $archive"
  actual=$(sha256_of "$dir/$archive")
  [ "$actual" = "$expected" ] || fail "$archive's sha256 is $actual, sha256.sum says $expected"
  case "$archive" in
    *.zip) unzip -q "$dir/$archive" -d "$dir" ;;
    *) tar -xf "$dir/$archive" -C "$dir" ;;
  esac
  find "$dir" -type f \( -name otadoctor -o -name otadoctor.exe \) | head -n 1
}

bin="${OTADOCTOR_BIN:-}"
if [ -z "$bin" ]; then
  bin=$(download_binary)
  [ -n "$bin" ] || fail "the release archive holds no otadoctor binary"
fi

sarif_file="${INPUT_SARIF_FILE:-otadoctor.sarif}"
summary=$(mktemp "$(temp_root)/otadoctor-summary.XXXXXX")
args=(check)
while IFS= read -r format; do
  args+=(--format "$format")
done < <(list_items "$(tr ',' '\n' <<<"${INPUT_FORMAT:-github}")")
args+=(--format "sarif=$sarif_file" --format "markdown=$summary")
args+=(--fail-on "${INPUT_FAIL_ON:-error}")
if [ -n "${INPUT_CONFIG:-}" ]; then
  args+=(--config "$INPUT_CONFIG")
fi
if is_true "${INPUT_OFFLINE:-false}"; then
  args+=(--offline)
fi
if is_true "${INPUT_FOLLOW:-false}"; then
  args+=(--follow)
fi
while IFS= read -r arg; do
  args+=("$arg")
done < <(list_items "${INPUT_ARGS:-}")
inputs=()
while IFS= read -r input; do
  inputs+=("$input")
done < <(list_items "${INPUT_INPUTS:-.}")
[ ${#inputs[@]} -gt 0 ] || inputs=(.)
args+=(--)
args+=("${inputs[@]}")

rm -f "$sarif_file"
code=0
"$bin" "${args[@]}" || code=$?

# GitHub keeps at most 1 MiB of a step's summary
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -s "$summary" ]; then
  limit=$((1000 * 1024))
  if [ "$(wc -c <"$summary")" -gt "$limit" ]; then
    head -c "$limit" "$summary" >>"$GITHUB_STEP_SUMMARY"
    printf '\n\n(cut at 1000 KiB: the whole report is in %s)\n' "$sarif_file" >>"$GITHUB_STEP_SUMMARY"
  else
    cat "$summary" >>"$GITHUB_STEP_SUMMARY"
  fi
fi
rm -f "$summary"

upload=false
if [ -s "$sarif_file" ] && is_true "${INPUT_UPLOAD_SARIF:-false}"; then
  upload=true
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$code"
    echo "sarif-file=$sarif_file"
    echo "upload=$upload"
  } >>"$GITHUB_OUTPUT"
fi
echo "otadoctor exited with $code" >&2
