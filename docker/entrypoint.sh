#!/bin/sh
# Entrypoint of the one CDD image: exec the process that CDD_SERVICE names.
#
#   CDD_SERVICE=api|web|admin  gunicorn cdd.wsgi:application (settings pick the URLconf)
#   CDD_SERVICE=worker         celery worker on the queues in CDD_WORKER_QUEUES (default:
#                              default,screening,documents,events; SQS names get CDD_QUEUE_PREFIX),
#                              CDD_WORKER_CONCURRENCY processes if set
#   CDD_SERVICE=beat           celery beat (run exactly one)
#
# With arguments, runs them instead (one-off tasks), e.g.
#   aws ecs run-task ... --overrides '{"containerOverrides":[{"name":"app","command":["python","manage.py","migrate"]}]}'
#
# CDD_ENTRYPOINT_DRY_RUN=1 prints the command line instead of running it.
# --help prints this text.
set -eu

HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

run() {
    if [ "${CDD_ENTRYPOINT_DRY_RUN:-0}" = "1" ]; then
        printf '%s\n' "$*"
        exit 0
    fi
    exec "$@"
}

if [ "$#" -gt 0 ]; then
    case "$1" in
        -h|--help) usage; exit 0 ;;
    esac
    run "$@"
fi

# A secret still holding the placeholder Terraform wrote means the operator has not set it yet.
if [ "${DJANGO_SECRET_KEY:-}" = "__set-me__" ] || [ "${DATABASE_URL:-}" = "__set-me__" ]; then
    echo "entrypoint: a secret still holds the placeholder '__set-me__'; put the real value in Secrets Manager (docs/deploy.md, 'First deployment') and redeploy." >&2
    exit 78
fi

SERVICE="${CDD_SERVICE:-}"
case "$SERVICE" in
    api|web|admin)
        run gunicorn --config "$HERE/gunicorn.conf.py" cdd.wsgi:application
        ;;
    worker)
        run celery -A cdd worker \
            --loglevel "${CDD_CELERY_LOG_LEVEL:-INFO}" \
            -Q "${CDD_WORKER_QUEUES:-default,screening,documents,events}" \
            --without-gossip --without-mingle --without-heartbeat \
            ${CDD_WORKER_CONCURRENCY:+--concurrency "$CDD_WORKER_CONCURRENCY"}
        ;;
    beat)
        # The schedule file goes to /tmp: the root filesystem is read-only in ECS.
        run celery -A cdd beat \
            --loglevel "${CDD_CELERY_LOG_LEVEL:-INFO}" \
            --schedule "${CDD_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}"
        ;;
    "")
        echo "entrypoint: CDD_SERVICE is not set; set it to one of: api, web, admin, worker, beat." >&2
        exit 64
        ;;
    *)
        echo "entrypoint: unknown CDD_SERVICE '$SERVICE'; set it to one of: api, web, admin, worker, beat." >&2
        exit 64
        ;;
esac
