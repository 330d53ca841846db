#!/usr/bin/env bash
# Quick start: the portal with the demo county on http://127.0.0.1:8000 (logins are printed).
source "$(dirname "$0")/bootstrap.sh"
exec portal demo "$@"
