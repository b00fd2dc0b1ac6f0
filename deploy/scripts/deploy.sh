#!/usr/bin/env bash
# Deploy image tag TAG to environment ENV (dev | staging | prod). Called by the Jenkinsfile.
#
#   1. make sure the image is in the environment account's ECR (push it from the local
#      Docker engine when the environment lives in another account than the build);
#   2. register new task definition revisions (latest revision of each family + new image);
#   3. run database migrations as a one-off task (nothing else changes if they fail);
#   4. workers and beat: rolling deploy with `ecs deploy` (ecs-deploy on PyPI), which waits
#      and rolls back on failure; the ECS circuit breaker also rolls back;
#   5. api, web, admin: CodeDeploy blue/green canaries, one after the other, each rolled
#      back automatically when its 5xx-rate or latency alarm goes off.
#
# Usage: deploy/scripts/deploy.sh ENV TAG
# Env:   AWS_PROFILE (default cdd-ENV), AWS_REGION (default eu-west-1),
#        ECR_REPOSITORY (default cdd), LOCAL_IMAGE (default cdd:TAG), PYTHON (default python3),
#        DRY_RUN=1 prints the steps without calling AWS.
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then usage; exit 0; fi
if [[ $# -ne 2 ]]; then usage >&2; echo "deploy.sh: give ENV and TAG, e.g. deploy/scripts/deploy.sh dev 42" >&2; exit 64; fi

ENV="$1"
TAG="$2"
case "$ENV" in dev|staging|prod) ;; *) echo "deploy.sh: ENV must be dev, staging or prod, not '$ENV'" >&2; exit 64 ;; esac
[[ "$TAG" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "deploy.sh: TAG '$TAG' is not a valid image tag" >&2; exit 64; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export AWS_PROFILE="${AWS_PROFILE:-cdd-$ENV}"
export AWS_REGION="${AWS_REGION:-eu-west-1}"
REPOSITORY="${ECR_REPOSITORY:-cdd}"
LOCAL_IMAGE="${LOCAL_IMAGE:-cdd:$TAG}"
PY="${PYTHON:-python3}"
DEPLOY=("$PY" "$HERE/cdd_deploy.py" --region "$AWS_REGION")

step() { echo "==> [$ENV] $*" >&2; }
run() { if [[ "${DRY_RUN:-0}" == "1" ]]; then echo "DRY_RUN: $*"; else "$@"; fi; }

if [[ "${DRY_RUN:-0}" == "1" ]]; then
  REGISTRY="<account>.dkr.ecr.$AWS_REGION.amazonaws.com"
else
  ACCOUNT="$(aws sts get-caller-identity --query Account --output text)"
  REGISTRY="$ACCOUNT.dkr.ecr.$AWS_REGION.amazonaws.com"
fi
IMAGE="$REGISTRY/$REPOSITORY:$TAG"

step "image $IMAGE"
if [[ "${DRY_RUN:-0}" != "1" ]] && ! aws ecr describe-images --repository-name "$REPOSITORY" --image-ids "imageTag=$TAG" >/dev/null 2>&1; then
  step "pushing $LOCAL_IMAGE to $REGISTRY (not there yet)"
  aws ecr get-login-password | docker login --username AWS --password-stdin "$REGISTRY"
  docker tag "$LOCAL_IMAGE" "$IMAGE"
  docker push "$IMAGE"
fi

declare -A REVISION
for svc in worker beat api web admin; do
  step "register task definition revision for $svc"
  if [[ "${DRY_RUN:-0}" == "1" ]]; then
    echo "DRY_RUN: ${DEPLOY[*]} register --env $ENV --service $svc --image $IMAGE"
    REVISION[$svc]="arn:aws:ecs:$AWS_REGION:<account>:task-definition/cdd-$ENV-$svc:<new>"
  else
    REVISION[$svc]="$("${DEPLOY[@]}" register --env "$ENV" --service "$svc" --image "$IMAGE")"
  fi
done

step "database migrations"
run "${DEPLOY[@]}" migrate --env "$ENV" --task-definition "${REVISION[worker]}"

for svc in worker beat; do
  step "rolling deploy of $svc (ecs-deploy)"
  run ecs deploy "cdd-$ENV" "$svc" --task "${REVISION[$svc]}" --timeout 1200 --rollback --no-deregister
done

for svc in api web admin; do
  step "canary of $svc (CodeDeploy)"
  run "${DEPLOY[@]}" canary --env "$ENV" --service "$svc" --task-definition "${REVISION[$svc]}" \
      --description "Jenkins build $TAG" --wait
done

step "done: build $TAG runs in $ENV"
