package when

import (
	"strings"
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	day := 24 * time.Hour
	for in, want := range map[string]time.Duration{
		"90d": 90 * day, "2w": 14 * day, "1w3d": 10 * day, "36h": 36 * time.Hour,
		"1h30m": 90 * time.Minute, "2d12h": 60 * time.Hour, "45s": 45 * time.Second,
	} {
		if got, err := Duration(in); err != nil || got != want {
			t.Errorf("Duration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "90", "-5d", "0d", "1.5d", "3x", "d5", "99999999999999999999d", "40000d", "1y", " 5d"} {
		if got, err := Duration(in); err == nil {
			t.Errorf("Duration(%q) = %v, want an error", in, got)
		} else if !strings.Contains(err.Error(), "span") && !strings.Contains(err.Error(), "100 years") {
			t.Errorf("Duration(%q): %v", in, err)
		}
	}
}

func TestSinceUntil(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
	}{
		{"1h", now.Add(-time.Hour)},
		{"7d", now.Add(-7 * 24 * time.Hour)},
		{"2026-12-01", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-12-01T09:30:00+01:00", time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		if got, err := Since(c.in, now); err != nil || !got.Equal(c.want) {
			t.Errorf("Since(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	if got, d, err := Until("90d", now); err != nil || d != 90*24*time.Hour || !got.Equal(now.Add(d)) {
		t.Errorf("Until(90d) = %v, %v, %v", got, d, err)
	}
	if got, d, err := Until("2027-03-01", now); err != nil || d != 0 || !got.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Until(2027-03-01) = %v, %v, %v", got, d, err)
	}
	for _, in := range []string{"2026-13-01", "2026-12-01T25:00:00Z", "yesterday", "2026-12-1x"} {
		if _, err := Since(in, now); err == nil {
			t.Errorf("Since(%q) accepted it", in)
		}
	}
}
