#!/usr/bin/env bash
# Java 17+ and Maven fetch and run the local Kafka broker. When either is missing, install both
# from Debian packages (as root, or through passwordless sudo); otherwise say what is needed and
# carry on, so a machine that uses an existing cluster (FOURFOLD_KAFKA_BOOTSTRAP) is not held up.
set -euo pipefail

packages=(openjdk-17-jre-headless maven)

say_what_is_needed() {
  echo "warning: Java 17+ and Maven are needed to run the local Kafka broker;" \
       "install them (on Debian: apt-get install ${packages[*]})" >&2
  exit 0
}

if command -v java >/dev/null && command -v mvn >/dev/null; then
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
echo "installing ${packages[*]} from Debian packages (needed to fetch and run Kafka)" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null
