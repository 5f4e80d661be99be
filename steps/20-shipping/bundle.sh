#!/bin/sh
# The deploy bundle, in one place: the Dockerfile's build stage runs this
# script, and so do `pnpm step 20` and its tests. It writes OUT_DIR with the
# step, its workspace packages copied in, and its dependencies (no dev ones).
set -eu
out="${1:?usage: bundle.sh OUT_DIR (a new or empty directory)}"
cd "$(dirname "$0")/../.."
# pnpm 12 deploys a workspace package without inject-workspace-packages and
# without --legacy: the bundle gets copies of the workspace packages it uses.
exec pnpm --filter @course/20-shipping deploy --prod --frozen-lockfile "$out"
