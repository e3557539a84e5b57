package main

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// boxTable draws rows (the first is the header) with box-drawing lines, as
// kage's list output is documented. Cells name scopes, repository paths
// and keychain items, which someone else may have chosen: their control
// characters are shown as escapes (sanitize), which also keeps the columns
// straight.
func boxTable(rows [][]string) string {
	widths := make([]int, len(rows[0]))
	clean := make([][]string, len(rows))
	for j, r := range rows {
		clean[j] = make([]string, len(r))
		for i, c := range r {
			c = sanitize(oneLine(c))
			clean[j][i] = c
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	rows = clean
	var b strings.Builder
	line := func(l, m, r string) {
		b.WriteString(l)
		for i, w := range widths {
			if i > 0 {
				b.WriteString(m)
			}
			b.WriteString(strings.Repeat("─", w+2))
		}
		b.WriteString(r + "\n")
	}
	row := func(cells []string) {
		b.WriteString("│")
		for i, c := range cells {
			fmt.Fprintf(&b, " %s%s │", c, strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString("\n")
	}
	line("┌", "┬", "┐")
	row(rows[0])
	line("├", "┼", "┤")
	for _, r := range rows[1:] {
		row(r)
	}
	line("└", "┴", "┘")
	return b.String()
}

// ago says how long ago t was, the way people say it.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, unit)
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d < 7*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d < 30*24*time.Hour:
		return plural(int(d/(7*24*time.Hour)), "week")
	case d < 365*24*time.Hour:
		return plural(int(d/(30*24*time.Hour)), "month")
	}
	return plural(int(d/(365*24*time.Hour)), "year")
}
