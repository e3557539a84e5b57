package main

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kage-cli/kage/internal/display"
)

// boxTable draws rows (the first is the header) with box-drawing lines, as
// kage's list output is documented. Cells name scopes, repository paths
// and keychain items, which someone else may have chosen: their control
// characters are shown as escapes (sanitize), which also keeps the columns
// straight. Every row has as many cells as the header.
func boxTable(rows [][]string) string {
	cells := make([]string, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		cells = append(cells, r...)
	}
	return boxTableCells(len(rows[0]), cells)
}

// boxTableCells is boxTable for the cells of cols columns in one slice, row
// after row, as secret list builds them for a large store.
func boxTableCells(cols int, cells []string) string {
	rows := len(cells) / cols
	widths := make([]int, cols)
	runes := make([]int, len(cells))
	// cells itself until a cell needs cleaning, which few tables have.
	clean, copied := cells, false
	extra := 0 // bytes beyond one a rune
	for k, c := range cells {
		if s := sanitize(display.OneLine(c)); s != c {
			if !copied {
				clean, copied = append([]string(nil), cells...), true
			}
			clean[k], c = s, s
		}
		n := utf8.RuneCountInString(c)
		runes[k] = n
		widths[k%cols] = max(widths[k%cols], n)
		extra += len(c) - n
	}
	// The output's size, so that a large table is not copied as it grows:
	// a row is "│", then " cell padding │" a cell, the bars three bytes;
	// a line is three bytes a rune.
	row, line := 4, 4
	for _, w := range widths {
		row += w + 5
		line += 3 * (w + 3)
	}
	var b strings.Builder
	b.Grow(rows*row + extra + 3*line)
	drawLine := func(l, m, r string) {
		b.WriteString(l)
		for i, w := range widths {
			if i > 0 {
				b.WriteString(m)
			}
			for range w + 2 {
				b.WriteString("─")
			}
		}
		b.WriteString(r)
		b.WriteByte('\n')
	}
	drawRow := func(j int) {
		b.WriteString("│")
		for i := range cols {
			b.WriteByte(' ')
			b.WriteString(clean[j*cols+i])
			for range widths[i] - runes[j*cols+i] + 1 {
				b.WriteByte(' ')
			}
			b.WriteString("│")
		}
		b.WriteByte('\n')
	}
	drawLine("┌", "┬", "┐")
	drawRow(0)
	drawLine("├", "┼", "┤")
	for j := 1; j < rows; j++ {
		drawRow(j)
	}
	drawLine("└", "┴", "┘")
	return b.String()
}

// ago says how long ago t was, the way people say it.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return strconv.Itoa(n) + " " + unit + "s ago"
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
