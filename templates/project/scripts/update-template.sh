#!/usr/bin/env bash
# Take the newest version of this project's template, then run the project's checks.
# The weekly update workflow (.github/workflows/update.yml) runs it; run it by hand from a
# clean git worktree with asyncgen installed:
#
#   scripts/update-template.sh [REPORT]
#
# REPORT (optional) receives a Markdown summary: a title line, a blank line, the body.
# Exit codes, which the workflow acts on:
#   0  updated and every check passed, or already up to date (the worktree is then clean)
#   3  the update left conflicts; the report lists the conflicted files
#   4  updated, but a check failed; the report names it
#   other  the update itself failed (asyncgen's message is on stderr)
set -euo pipefail

# One function, parsed whole before it runs: the update may rewrite this very file.
main() {
    local report=${1:-/dev/null}
    local before after status=0
    before=$(template_version)

    asyncgen update . || status=$?
    local conflicted
    conflicted=$({
        git diff --name-only --diff-filter=U
        git ls-files --others --exclude-standard -- '*.rej'
    } | sort -u)
    if [ -n "$conflicted" ]; then
        {
            echo "Template update from $before has conflicts"
            echo
            echo "\`asyncgen update\` clashed with changes made in this project in:"
            echo
            while IFS= read -r file; do echo "- \`$file\`"; done <<<"$conflicted"
            echo
            echo "Run \`asyncgen update\` in a clean clone, resolve the <<<<<<< / >>>>>>> markers"
            echo "in these files, run the checks and open a pull request with the result."
        } >"$report"
        echo "update-template: conflicts in:" >&2
        echo "$conflicted" >&2
        return 3
    fi
    [ "$status" -eq 0 ] || return "$status"
    if [ -z "$(git status --porcelain)" ]; then
        echo "update-template: already on the newest template ($before)" >&2
        return 0
    fi
    after=$(template_version)

    # The update may change dependencies: lock and install them before checking.
    uv sync --quiet
    local results=() failed=0 check
    for check in "ruff check" "ruff format --check" "mypy" "pytest"; do
        echo "update-template: uv run $check" >&2
        # shellcheck disable=SC2086 # each check is a command and its words
        if uv run --no-sync $check >&2; then
            results+=("- [x] \`uv run $check\` passed")
        else
            results+=("- [ ] \`uv run $check\` failed")
            failed=$((failed + 1))
        fi
    done
    {
        echo "Update the template from $before to $after"
        echo
        echo "\`asyncgen update\` took this project from template $before to $after."
        echo
        printf '%s\n' "${results[@]}"
    } >"$report"
    if [ "$failed" -gt 0 ]; then
        echo "update-template: $failed check(s) failed" >&2
        return 4
    fi
}

# The template version the project is on, as .copier-answers.yml records it.
template_version() {
    sed -n 's/^_commit: *//p' .copier-answers.yml
}

main "$@"
