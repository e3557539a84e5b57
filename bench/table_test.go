package bench

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// A goal is what a figure must meet: kage at most Max times its baseline,
// or, for a baseline kage must beat, the baseline at least Faster times
// kage.
type goal struct {
	Max, Faster float64
}

func (g goal) String() string {
	switch {
	case g.Faster > 0:
		return fmt.Sprintf("≥%g× faster", g.Faster)
	case g.Max > 0:
		return fmt.Sprintf("≤%g×", g.Max)
	}
	return "-"
}

// ratio is the figure the goal is about: kage/baseline, or baseline/kage
// for a Faster goal.
func (g goal) ratio(kage, base time.Duration) float64 {
	if g.Faster > 0 {
		return float64(base) / float64(kage)
	}
	return float64(kage) / float64(base)
}

// met reports whether r meets the goal; a figure without one (shown for
// what it tells) always does.
func (g goal) met(r float64) bool {
	switch {
	case g.Faster > 0:
		return r >= g.Faster
	case g.Max > 0:
		return r <= g.Max
	}
	return true
}

// A figure is one row of the table `make bench` ends with.
type figure struct {
	name, baseline string
	kage, base     time.Duration
	goal           goal
}

var (
	figuresMu sync.Mutex
	figures   []figure
)

// record adds a row to the table.
func record(f figure) {
	figuresMu.Lock()
	defer figuresMu.Unlock()
	figures = append(figures, f)
}

// printFigures writes the table of the rows recorded, in the order the
// benchmarks ran.
func printFigures(w io.Writer) {
	figuresMu.Lock()
	defer figuresMu.Unlock()
	printTable(w, figures)
}

// printTable writes each figure, its baseline, the ratio and the goal, and
// whether it was met.
func printTable(w io.Writer, figures []figure) {
	if len(figures) == 0 {
		return
	}
	rows := [][]string{{"figure", "kage", "baseline", "time", "ratio", "goal", ""}}
	for _, f := range figures {
		r := f.goal.ratio(f.kage, f.base)
		verdict := ""
		switch {
		case !f.goal.met(r):
			verdict = "MISSED"
		case f.goal != goal{}:
			verdict = "ok"
		}
		rows = append(rows, []string{f.name, ms(f.kage), f.baseline, ms(f.base), fmt.Sprintf("%.2f×", r), f.goal.String(), verdict})
	}
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b bytes.Buffer
	b.WriteString("\n")
	for _, row := range rows {
		for i, c := range row {
			pad := width[i] - len([]rune(c))
			if i == 1 || i == 3 || i == 4 {
				b.WriteString(strings.Repeat(" ", pad) + c)
			} else {
				b.WriteString(c + strings.Repeat(" ", pad))
			}
			if i < len(row)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
	}
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		io.WriteString(w, strings.TrimRight(line, " \n"))
		if strings.HasSuffix(line, "\n") {
			io.WriteString(w, "\n")
		}
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// A command is one program run as a shell runs it, with the check its
// output must pass.
type command struct {
	dir   string
	env   []string
	check func([]byte) error
	prog  string
	args  []string
}

// in runs prog in the layout's repository with its environment.
func (l *layout) in(check func([]byte) error, prog string, args ...string) command {
	return command{dir: l.repo, env: l.env, check: check, prog: prog, args: args}
}

func (c command) run(b *testing.B, stdout *bytes.Buffer) time.Duration {
	var stderr bytes.Buffer
	stdout.Reset()
	cmd := exec.Command(c.prog, c.args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		b.Fatalf("%.300s: %v\n%.2000s", filepath.Base(c.prog)+" "+strings.Join(c.args, " "), err, stderr.String())
	}
	return took
}

// compare times kage and its baseline in alternation, one run of each per
// iteration, so that a machine that slows down mid-way slows both: the
// ratio holds where times drift. It reports both times and the ratio, and
// records the figure for the table.
func compare(b *testing.B, name string, g goal, kage command, baseline string, base command) {
	b.Helper()
	compareAtMost(b, name, g, 0, kage, baseline, base)
}

// compareAtMost is compare timing at most rounds pairs (0: as many as
// -benchtime asks), for figures whose one run takes seconds: the
// iterations beyond do nothing.
func compareAtMost(b *testing.B, name string, g goal, rounds int, kage command, baseline string, base command) {
	b.Helper()
	b.Run(name, func(b *testing.B) {
		var out bytes.Buffer
		var tk, tb []time.Duration
		for b.Loop() {
			if rounds > 0 && len(tk) >= rounds {
				continue
			}
			// Alternate which goes first, so neither always runs on a
			// cache the other warmed.
			if len(tk)%2 == 0 {
				tk = append(tk, kage.run(b, &out))
				tb = append(tb, base.run(b, &out))
			} else {
				tb = append(tb, base.run(b, &out))
				tk = append(tk, kage.run(b, &out))
			}
		}
		// Each program's output, from one last run of each, must pass its
		// check: a kage that fails fast would otherwise look fast.
		for _, c := range []command{kage, base} {
			c.run(b, &out)
			if err := c.check(out.Bytes()); err != nil {
				b.Fatalf("%s: %v; output:\n%.2000s", filepath.Base(c.prog), err, out.Bytes())
			}
		}
		k, m := median(tk), median(tb)
		b.ReportMetric(float64(k)/1e6, "kage-ms")
		b.ReportMetric(float64(m)/1e6, "base-ms")
		b.ReportMetric(g.ratio(k, m), "ratio")
		b.ReportMetric(0, "ns/op")
		record(figure{name: name, baseline: baseline, kage: k, base: m, goal: g})
	})
}

// median is the middle time: one run the machine interrupted does not move
// it, where it moves a mean.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func TestTable(t *testing.T) {
	var b strings.Builder
	printTable(&b, []figure{
		{name: "env-10", kage: 1200 * time.Microsecond, baseline: "one batched read", base: time.Millisecond, goal: goal{Max: 1.15}},
		{name: "vs-one-by-one", kage: time.Millisecond, baseline: "go-keyring", base: 4500 * time.Microsecond, goal: goal{Faster: 4}},
		{name: "hook", kage: 500 * time.Microsecond, baseline: "direnv", base: time.Millisecond, goal: goal{Max: 0.6}},
		{name: "no-goal", kage: 3 * time.Millisecond, baseline: "hello", base: time.Millisecond},
	})
	want := `
figure            kage  baseline             time  ratio  goal
env-10         1.20 ms  one batched read  1.00 ms  1.20×  ≤1.15×      MISSED
vs-one-by-one  1.00 ms  go-keyring        4.50 ms  4.50×  ≥4× faster  ok
hook           0.50 ms  direnv            1.00 ms  0.50×  ≤0.6×       ok
no-goal        3.00 ms  hello             1.00 ms  3.00×  -
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}
