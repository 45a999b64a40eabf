package report

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Chart file names.
const (
	RatioThroughputChart = "ratio-throughput.png"
	RatioCPUChart        = "ratio-cpu.png"
)

// ThroughputChart names the chart of a phase's throughput over time.
func ThroughputChart(phase string) string { return "throughput-" + phase + ".png" }

// LatencyChart names the chart of a phase's latency by percentile.
func LatencyChart(phase string) string { return "latency-" + phase + ".png" }

const (
	chartWidth  = 8 * vg.Inch
	chartHeight = 4 * vg.Inch
)

// WriteCharts writes the charts into dir (created if missing) and returns
// their paths: per phase, throughput over time (a line per database) and
// latency by percentile (a line per database and operation); and wcdb's
// throughput and server CPU per operation against each other database.
func (r *Report) WriteCharts(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var out []string
	save := func(p *plot.Plot, name string) error {
		file := filepath.Join(dir, name)
		width := chartWidth
		if name == RatioThroughputChart || name == RatioCPUChart {
			// Room for every workload's name under its bars.
			width = max(width, vg.Length(len(r.phases))*vg.Inch)
		}
		if err := p.Save(width, chartHeight, file); err != nil {
			return fmt.Errorf("report: %s: %w", name, err)
		}
		out = append(out, file)
		return nil
	}
	for _, ph := range r.phases {
		p, err := r.throughputChart(ph)
		if err != nil {
			return out, err
		}
		if err := save(p, ThroughputChart(ph)); err != nil {
			return out, err
		}
		if p, err = r.latencyChart(ph); err != nil {
			return out, err
		}
		if err := save(p, LatencyChart(ph)); err != nil {
			return out, err
		}
	}
	if len(r.peers()) > 0 && r.dbs[0] == Subject {
		for _, cpu := range []bool{false, true} {
			p, err := r.ratioChart(cpu)
			if err != nil {
				return out, err
			}
			name := RatioThroughputChart
			if cpu {
				name = RatioCPUChart
			}
			if err := save(p, name); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// dbColor gives each database the same color in every chart.
func (r *Report) dbColor(db string) color.Color {
	for i, d := range r.dbs {
		if d == db {
			return plotutil.Color(i)
		}
	}
	return color.Black
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

func (r *Report) throughputChart(phase string) (*plot.Plot, error) {
	op := headlineOp(phase)
	unit := "ops/s"
	if op != "" {
		unit = op + " ops/s"
	}
	p := newPlot(phase+": throughput over time", "seconds into the phase", unit)
	p.Y.Min, p.X.Min = 0, 0
	top := 0.0
	for _, db := range r.dbs {
		c := r.cells[cellKey{db, phase}]
		if c == nil {
			continue
		}
		var xys plotter.XYs
		// The last point of a series covers what remained after the last
		// full interval: a rate over a sliver of time is noise.
		// (A phase shorter than that keeps its one point.)
		shortest := c.in.Result.Settings.IntervalS / 2
		if len(c.ph.TimeSeries) < 2 {
			shortest = 0
		}
		for _, pt := range c.ph.TimeSeries {
			if pt.IntervalS <= 0 || pt.IntervalS < shortest {
				continue
			}
			v := pt.OpsPerS
			if op != "" {
				v = float64(pt.PerOp[op].OK) / pt.IntervalS
			}
			xys = append(xys, plotter.XY{X: pt.TS, Y: v})
			top = max(top, v)
		}
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("report: %s %s: %w", phase, db, err)
		}
		l.Color = r.dbColor(db)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(db, l)
	}
	if top > 0 {
		p.Y.Max = top * 1.25 // room for the legend
	}
	return p, nil
}

// nines maps a percentile onto the axis of latency-by-percentile charts:
// 0 at the 0th, 1 at the 90th, 2 at the 99th, ...
func nines(pct float64) float64 { return -math.Log10(1 - pct/100) }

func (r *Report) latencyChart(phase string) (*plot.Plot, error) {
	p := newPlot(phase+": latency by percentile", "percentile", "latency, ms (log)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	var ticks plot.ConstantTicks
	for i, l := range []string{"0", "90", "99", "99.9", "99.99", "99.999"} {
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: l})
	}
	p.X.Tick.Marker = ticks
	p.X.Min, p.X.Max = 0, 5
	lines := 0
	for _, db := range r.dbs {
		c := r.cells[cellKey{db, phase}]
		if c == nil {
			continue
		}
		for i, op := range opsOf(c.ph) {
			var xys plotter.XYs
			for _, pc := range c.ph.Ops[op].Latency.Percentiles {
				if pc.Percentile >= 100 || nines(pc.Percentile) > 5 {
					continue
				}
				xys = append(xys, plotter.XY{X: nines(pc.Percentile), Y: max(pc.Us/1e3, 1e-3)})
			}
			if len(xys) == 0 {
				continue
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("report: %s %s %s: %w", phase, db, op, err)
			}
			l.Color = r.dbColor(db)
			l.Width = vg.Points(1.5)
			l.Dashes = plotutil.Dashes(i)
			p.Add(l)
			p.Legend.Add(db+" "+op, l)
			lines++
		}
	}
	if lines == 0 {
		// A log axis needs a range: show an empty chart from 0.1 to 1 ms.
		p.Y.Min, p.Y.Max = 0.1, 1
	}
	p.Legend.Left = true
	return p, nil
}

func (r *Report) ratioChart(cpu bool) (*plot.Plot, error) {
	title, y := "wcdb throughput ÷ each other database's", "ratio (above 1: wcdb faster)"
	if cpu {
		title, y = "wcdb server CPU per operation ÷ each other database's", "ratio (below 1: wcdb cheaper)"
	}
	p := newPlot(title, "workload", y)
	p.Y.Min = 0
	peers := r.peers()
	var names []string
	var phases []string
	for _, ph := range r.phases {
		for _, peer := range peers {
			if _, ok := r.ratio(ph, peer, cpu); ok {
				phases = append(phases, ph)
				names = append(names, ph)
				break
			}
		}
	}
	if len(phases) == 0 {
		p.HideX()
		return p, nil
	}
	w := vg.Points(min(60/float64(len(peers)), 20))
	top := 1.0
	for i, peer := range peers {
		vals := make(plotter.Values, len(phases))
		for j, ph := range phases {
			vals[j], _ = r.ratio(ph, peer, cpu)
			top = max(top, vals[j])
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, fmt.Errorf("report: ratio chart: %w", err)
		}
		bars.Color = r.dbColor(peer)
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(float64(i)-float64(len(peers)-1)/2)
		p.Add(bars)
		p.Legend.Add("÷ "+peer, bars)
	}
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Color = color.Gray{Y: 64}
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(one)
	p.NominalX(names...)
	// Room beside the outer bars, and above them for the legend.
	p.X.Min, p.X.Max = -0.6, float64(len(phases))-0.4
	p.Y.Max = top * 1.3
	p.Y.Tick.Marker = ratioTicks{}
	return p, nil
}

// ratioTicks marks a ratio axis at round steps, labelled as ratios.
type ratioTicks struct{}

func (ratioTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 0.25
	for _, s := range []float64{0.25, 0.5, 1, 2, 5, 10, 20, 50, 100} {
		if step = s; (hi-lo)/s <= 8 {
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64) + "×"})
	}
	return ticks
}
