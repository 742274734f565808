#!/usr/bin/env bash
# Java 17+ and Maven fetch and run the local Kafka broker. When either is missing, install both
# from Debian packages (as root, or through passwordless sudo); otherwise say what is needed and
# carry on, so a machine that uses an existing cluster (FOURFOLD_KAFKA_BOOTSTRAP) is not held up.
set -euo pipefail

packages=(openjdk-17-jre-headless maven)
# The dashboards: Chromium and its driver for the browser tests (tests/browser), CJK fonts for the
# pages and the PDF report, Pango for WeasyPrint, which lays the PDF out (docs/dashboards.md).
dashboard_packages=(chromium chromium-driver fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0)

missing=()
if ! { command -v java >/dev/null && command -v mvn >/dev/null; }; then
  missing+=("${packages[@]}")
fi
for package in "${dashboard_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done

say_what_is_needed() {
  echo "warning: missing ${missing[*]} (Java 17+ and Maven run the local Kafka broker; Chromium runs" \
       "the browser tests, which skip without it; fonts and Pango serve the PDF report);" \
       "install them (on Debian: apt-get install ${missing[*]})" >&2
  exit 0
}

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
command -v apt-get >/dev/null || say_what_is_needed
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo)
else
  say_what_is_needed
fi
echo "installing ${missing[*]} from Debian packages (Kafka, the browser tests, the PDF report)" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null || say_what_is_needed
