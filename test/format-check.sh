#!/bin/sh
# make format-check: the layout rules the C sources settled on (docs/development.md,
# "Style"), checked mechanically so they stay settled. Prints each offending
# line as FILE:LINE: what, then a summary; exits 1 if there is any.
#   - at most 110 columns, a tab counting to the next multiple of 8
#   - no trailing whitespace, no carriage returns
#   - the file ends with a newline
set -u
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find common ingest processor test -name '*.[ch]')
# shellcheck disable=SC2086
awk -v max=110 '
	{
		line = $0; col = 0
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			col = (c == "\t") ? col + 8 - col % 8 : col + 1
		}
		if (col > max) { printf "%s:%d: %d columns (max %d)\n", FILENAME, FNR, col, max; bad++ }
		if (line ~ /[ \t]$/) { printf "%s:%d: trailing whitespace\n", FILENAME, FNR; bad++ }
		if (line ~ /\r/) { printf "%s:%d: carriage return\n", FILENAME, FNR; bad++ }
	}
	END { exit bad > 0 }
' $files
rc=$?
for f in $files; do
	[ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ] && {
		echo "$f: no newline at the end"; rc=1; }
done
if [ $rc -eq 0 ]; then echo "format-check: $(echo "$files" | wc -w) files ok"; else echo "format-check: failed"; fi
exit $rc
