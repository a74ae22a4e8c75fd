#!/usr/bin/env bash
# Checks the deployment files with the tools that read them, in a throwaway folder:
#   systemd-analyze verify   the units (the program path pointed at a stub; any warning fails)
#   nginx -t                 the site, inside a minimal nginx.conf, with a certificate made here
#   promtool                 the alert rules (check rules) and their unit tests (test rules)
# Needs systemd, nginx, prometheus (for promtool) and openssl: Debian packages of those names
# (.ci/run installs them). Exit status: 0 all good, 1 a check failed, 2 a tool is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

missing=()
for tool in systemd-analyze nginx promtool openssl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "missing tools: ${missing[*]} (apt-get install systemd nginx prometheus openssl)" >&2
    exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0

echo "== systemd units"
mkdir -p "$work/systemd/bin"
printf '#!/bin/sh\n' >"$work/systemd/bin/bpu-bot"
chmod +x "$work/systemd/bin/bpu-bot"
for unit in "$here"/systemd/*; do
    sed "s#/opt/bpu-bot/.venv/bin/bpu-bot#$work/systemd/bin/bpu-bot#g" "$unit" >"$work/systemd/$(basename "$unit")"
done
units=()
for unit in "$work"/systemd/*.service "$work"/systemd/*.timer "$work"/systemd/*.target; do
    case "$unit" in
        *@.service) units+=("${unit%@.service}@8001.service") ;;  # an instance of the template
        *) units+=("$unit") ;;
    esac
done
if output="$(cd "$work/systemd" && systemd-analyze verify "${units[@]}" 2>&1)" && [ -z "$output" ]; then
    echo "ok: ${#units[@]} units"
else
    echo "$output"
    failed=1
fi
for unit in bpu-bot.service bpu-bot@8001.service; do
    (cd "$work/systemd" && systemd-analyze security --offline=true "./$unit" 2>/dev/null | tail -1)
done

echo "== nginx"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=bot.example.id" \
    -keyout "$work/privkey.pem" -out "$work/fullchain.pem" 2>/dev/null
sed -e "s#/etc/letsencrypt/live/bot.example.id/#$work/#g" -e "s#/var/log/nginx/#$work/#g" \
    "$here/nginx/bpu-bot.conf" >"$work/bpu-bot.conf"
cat >"$work/nginx.conf" <<EOF
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
    include /etc/nginx/mime.types;
    access_log $work/access.log;
    client_body_temp_path $work/client_body;
    proxy_temp_path $work/proxy;
    include $work/bpu-bot.conf;
}
EOF
if ! nginx -t -q -p "$work" -e "$work/error.log" -c "$work/nginx.conf"; then
    failed=1
else
    echo "ok: nginx -t"
fi

echo "== prometheus rules"
promtool check rules "$here/prometheus/bpu-bot-alerts.yml" || failed=1
(cd "$here/prometheus" && promtool test rules bpu-bot-alerts.test.yml) || failed=1

exit $failed
