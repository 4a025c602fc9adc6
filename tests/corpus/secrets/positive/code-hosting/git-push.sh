#!/bin/bash
set -e
GITHUB_TOKEN=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
git push https://x-access-token:$GITHUB_TOKEN@github.com/acme/app.git
