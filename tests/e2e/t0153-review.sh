#!/bin/bash
# guardfs review: without a terminal it prints a plan (one 'keep ACTION'
# line per action of the session, newest first, its --stat as comments);
# --apply --plan carries out an edited plan (the 'revert' actions undone
# together, the 'keep' ones left); on a terminal it asks for each.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkdir -p "$R/docs"
printf 'guide\n' >"$R/docs/guide.md"
printf 'a\n' >"$R/a.txt"
act() { (cd "$R" && setsid -w "$@"); }
in_root() { (cd "$R" && "$GUARDFS" "$@"); }

check "mount" gfs_mount "$R" "$R"
check "A1: an edit" act sh -c 'echo b >a.txt'
check "A2: a formatter that deletes docs" act sh -c 'echo new >new.txt; rm -r docs'
in_root log -n 1 >/dev/null

plan=$(in_root review </dev/null)
check_eq "the plan: a line per action, newest first" \
	"keep A2|keep A1" \
	"$(grep -v '^#' <<<"$plan" | sed -E 's/^(keep A[0-9]+) .*/\1/' | tr '\n' '|' | sed 's/|$//')"
check "the plan: A2's line" grep -qE '^keep A2  [0-9-]+ [0-9:]+  0 changed, 1 created, 1 deleted  sh -c echo new >new.txt; rm -r docs$' <<<"$plan"
check "the plan: A2's --stat as comments" grep -qE '^#    docs/guide.md \| 1 -$' <<<"$plan"
check "the plan changed nothing" test ! -e "$R/docs/guide.md"

# revert A2, keep A1
sed 's/^keep A2 /revert A2 /' <<<"$plan" >"$T/plan"
check "review --apply --dry-run" in_root review --apply --plan "$T/plan" --dry-run
check "the dry run changed nothing" test ! -e "$R/docs/guide.md"
check "review --apply" in_root review --apply --plan "$T/plan"
check_eq "A2 reverted: docs back, new.txt gone" "guide ENOENT" \
	"$(cat "$R/docs/guide.md") $(probe stat "$R/new.txt")"
check_eq "A1 kept" b "$(cat "$R/a.txt")"
printf 'drop A1\n' >"$T/bad"
out=$(in_root review --apply --plan "$T/bad" 2>&1)
check_eq "a bad plan line" "2 guardfs: $T/bad:1: not 'keep ACTION' or 'revert ACTION'" "$? $out"
check_eq "--apply without --plan" 2 "$(in_root review --apply >/dev/null 2>&1; echo $?)"

# On a terminal: it asks, newest first (keep the review's undo and A2, revert A1).
sleep 2.2
if script -qec true /dev/null >/dev/null 2>&1; then
	in_root log -n 1 >/dev/null
	printf 'k\nk\nr\n' | (cd "$R" && GUARDFS_PAGER=cat script -qec "'$GUARDFS' review" /dev/null) >"$T/tty.out" 2>&1
	check "the terminal review asked" grep -q 'keep, revert, diff, quit?' "$T/tty.out"
	check_eq "the terminal review reverted A1" a "$(cat "$R/a.txt")"
	check_eq "and kept A2's revert" guide "$(cat "$R/docs/guide.md")"
fi
check "umount" gfs_umount "$R"
test_done
