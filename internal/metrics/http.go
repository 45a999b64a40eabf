package metrics

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one condition of readiness: it returns nil when met, else why
// not (a short phrase: "gossip status is JOINING").
type Check struct {
	Name  string
	Check func() error
}

// Handler serves /metrics (c, with the Go runtime's and the process's
// collectors), /healthz (200 while the process answers) and /readyz (200
// when every check passes, else 503 naming those that failed), each with
// a short text body: what a load balancer's or an orchestrator's check
// reads.
func Handler(c prometheus.Collector, checks []Check) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		var failed []string
		for _, ch := range checks {
			if err := ch.Check(); err != nil {
				failed = append(failed, ch.Name+": "+err.Error())
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if len(failed) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("not ready: " + strings.Join(failed, "; ") + "\n"))
			return
		}
		w.Write([]byte("ready\n"))
	})
	return mux
}

// Server is an HTTP listener serving a Handler.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen starts serving h on addr.
func Listen(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	go s.srv.Serve(ln)
	return s, nil
}

// Addr is the address served, "" for a nil Server.
func (s *Server) Addr() string {
	if s == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops serving (nothing for a nil Server).
func (s *Server) Close() {
	if s != nil {
		s.srv.Close()
	}
}
