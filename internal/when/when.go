// Package when reads the spans and moments people type on kage's command
// line: 90d, 2w, 1h30m, 2026-12-01, 2026-12-01T09:30:00Z.
package when

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration reads a span: Go's form (1h30m, 45m, 90s) plus whole days and
// weeks (90d, 2w, 1w3d), positive and at most 100 years.
func Duration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a span of time: write it like 90d, 2w, 36h or 1h30m", s)
	if s == "" {
		return 0, bad
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		unit := rest[i:]
		if j := strings.IndexFunc(unit, func(r rune) bool { return r >= '0' && r <= '9' }); j >= 0 {
			unit = unit[:j]
		}
		if i == 0 || unit == "" {
			return 0, bad
		}
		var per time.Duration
		switch unit {
		case "w":
			per = 7 * 24 * time.Hour
		case "d":
			per = 24 * time.Hour
		default:
			// Go's units, which take the rest of the string (1h30m).
			d, err := time.ParseDuration(rest)
			if err != nil {
				return 0, bad
			}
			total += d
			rest = ""
			continue
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n > maxDays {
			return 0, tooLong(s)
		}
		total += time.Duration(n) * per
		rest = rest[i+len(unit):]
	}
	switch {
	case total <= 0:
		return 0, fmt.Errorf("%q is not a span of time: it must be longer than zero", s)
	case total > maxDays*24*time.Hour:
		return 0, tooLong(s)
	}
	return total, nil
}

// maxDays bounds a span at about 100 years, well inside time.Duration.
const maxDays = 36525

func tooLong(s string) error {
	return fmt.Errorf("%q is longer than 100 years", s)
}

// Since reads when a period began: a span back from now (1h, 7d) or a
// moment (2026-12-01, in the local time zone, or RFC 3339).
func Since(s string, now time.Time) (time.Time, error) {
	if t, ok, err := moment(s, now.Location()); ok {
		return t, err
	}
	d, err := Duration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a span (1h, 7d) nor a date (2026-12-01 or 2026-12-01T09:30:00Z)", s)
	}
	return now.Add(-d), nil
}

// Until reads when something ends: a span from now (90d) or a moment, as
// Since does. A date alone means the start of that day.
func Until(s string, now time.Time) (t time.Time, d time.Duration, err error) {
	if t, ok, err := moment(s, now.Location()); ok {
		return t, 0, err
	}
	d, err = Duration(s)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("%q is neither a span (90d, 2w) nor a date (2027-03-01 or 2027-03-01T09:30:00Z)", s)
	}
	return now.Add(d), d, nil
}

// moment reads a date or an RFC 3339 time; ok is false when s looks like
// neither, so that it may be a span.
func moment(s string, loc *time.Location) (t time.Time, ok bool, err error) {
	if len(s) < 10 || s[4] != '-' {
		return time.Time{}, false, nil
	}
	if len(s) == 10 {
		t, err = time.ParseInLocation(time.DateOnly, s, loc)
	} else {
		t, err = time.Parse(time.RFC3339, s)
	}
	if err != nil {
		return time.Time{}, true, fmt.Errorf("%q is not a date kage reads: write 2026-12-01 or 2026-12-01T09:30:00Z", s)
	}
	return t, true, nil
}
