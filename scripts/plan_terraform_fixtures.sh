#!/usr/bin/env bash
# Plan each Terraform configuration under tests/fixtures/terraform/ again and write its
# plan.json (`terraform show -json` of the saved plan), which tests/test_import_terraform.py
# imports. Needs terraform and the hashicorp/aws provider; nothing calls AWS (each
# configuration's provider block has dummy credentials and skips the account checks).
#
#   scripts/plan_terraform_fixtures.sh [PROVIDER_MIRROR]
#
# PROVIDER_MIRROR: a folder laid out as a Terraform filesystem mirror
# (registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/...), for a machine without the
# registry; without it, terraform init downloads the provider.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then
  printf 'provider_installation {\n  filesystem_mirror { path = "%s" }\n}\n' "$1" > "$work/terraformrc"
  export TF_CLI_CONFIG_FILE="$work/terraformrc"
fi
terraform version
for fixture in "$root"/tests/fixtures/terraform/*/; do
  name=$(basename "$fixture")
  cp -r "$fixture/config" "$work/$name"
  (cd "$work/$name" && terraform init -input=false -no-color > /dev/null &&
     terraform plan -input=false -no-color -out tfplan > /dev/null &&
     terraform show -json tfplan > "$fixture/plan.json")
  echo "planned $name"
done
