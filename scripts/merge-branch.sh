#!/usr/bin/env bash
# Merges a helper branch into main, regenerating the lock file and tsconfig references on conflict.
set -euo pipefail
cd "$(dirname "$0")/.."
b="$1"
if ! git merge --no-edit "$b" >/dev/null 2>&1; then
  conflicted=$(git diff --name-only --diff-filter=U)
  for f in $conflicted; do
    case "$f" in
      package-lock.json) git checkout --theirs package-lock.json ;;
      tsconfig.json) node scripts/fix-tsconfig-refs.mjs ;;
      *) echo "conflict in $f: resolve by hand"; exit 1 ;;
    esac
    git add "$f"
  done
  npm install --no-audit --no-fund >/dev/null 2>&1
  git add package-lock.json
  git commit --no-edit -q
fi
node scripts/fix-tsconfig-refs.mjs
if ! git diff --quiet; then npm install --no-audit --no-fund >/dev/null 2>&1; git add -A; git commit -qm "Merge $b: refresh references"; fi
echo "merged $b"
