// Package metrics exposes Gyre's Prometheus metrics (namespace "gyre"): it
// implements node.Metrics for counters and reads gauges from node.Stats at
// scrape time. Nothing here is global: the registry is injected.
package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gyrehq/gyre/node"
)

// Metrics implements node.Metrics over a Prometheus registry.
type Metrics struct {
	commandDuration *prometheus.HistogramVec
	replyErrors     *prometheus.CounterVec
	messagesSent    *prometheus.CounterVec
	messagesRecv    *prometheus.CounterVec
	disconnects     *prometheus.CounterVec
	connAccepted    prometheus.Counter
	apiDuration     *prometheus.HistogramVec
	apiErrors       *prometheus.CounterVec
	proxyErrors     *prometheus.CounterVec
}

// New creates the metrics and registers them with reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		commandDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "gyre", Subsystem: "client", Name: "command_duration_seconds",
			Help: "Client command handling time by method.", Buckets: prometheus.ExponentialBuckets(0.00005, 4, 10),
		}, []string{"method"}),
		replyErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gyre", Subsystem: "client", Name: "num_reply_errors",
			Help: "Error replies to client commands by method and code.",
		}, []string{"method", "code"}),
		messagesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gyre", Subsystem: "transport", Name: "messages_sent",
			Help: "Messages queued to clients by kind.",
		}, []string{"type"}),
		messagesRecv: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gyre", Subsystem: "transport", Name: "messages_received",
			Help: "Commands received from clients by method.",
		}, []string{"type"}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gyre", Subsystem: "client", Name: "num_server_disconnects",
			Help: "Server-side disconnects by code.",
		}, []string{"code"}),
		connAccepted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gyre", Subsystem: "client", Name: "connections_accepted",
			Help: "Connections that completed connect.",
		}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "gyre", Subsystem: "api", Name: "command_duration_seconds",
			Help: "Server API call duration by protocol and method.", Buckets: prometheus.ExponentialBuckets(0.00005, 4, 10),
		}, []string{"protocol", "method"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gyre", Subsystem: "api", Name: "num_errors",
			Help: "Server API errors by protocol, method and code.",
		}, []string{"protocol", "method", "code"}),
		proxyErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gyre", Subsystem: "proxy", Name: "num_errors",
			Help: "Failed proxy calls (backend down, timeout, bad answer) by event.",
		}, []string{"event"}),
	}
	for _, c := range []prometheus.Collector{m.proxyErrors, m.commandDuration, m.replyErrors, m.messagesSent, m.messagesRecv, m.disconnects, m.connAccepted, m.apiDuration, m.apiErrors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ObserveCommand implements node.Metrics.
func (m *Metrics) ObserveCommand(method string, d time.Duration) {
	m.commandDuration.WithLabelValues(method).Observe(d.Seconds())
}

// IncReplyError implements node.Metrics.
func (m *Metrics) IncReplyError(method string, code uint32) {
	m.replyErrors.WithLabelValues(method, strconv.FormatUint(uint64(code), 10)).Inc()
}

// IncMessagesSent implements node.Metrics.
func (m *Metrics) IncMessagesSent(kind string, n int) {
	m.messagesSent.WithLabelValues(kind).Add(float64(n))
}

// IncMessagesReceived implements node.Metrics.
func (m *Metrics) IncMessagesReceived(method string) { m.messagesRecv.WithLabelValues(method).Inc() }

// IncDisconnect implements node.Metrics.
func (m *Metrics) IncDisconnect(code uint32) {
	m.disconnects.WithLabelValues(strconv.FormatUint(uint64(code), 10)).Inc()
}

// IncConnectionsAccepted implements node.Metrics.
func (m *Metrics) IncConnectionsAccepted() { m.connAccepted.Inc() }

// IncProxyError implements node.Metrics.
func (m *Metrics) IncProxyError(event string) { m.proxyErrors.WithLabelValues(event).Inc() }

// ObserveAPI records a server API call (protocol "http" or "grpc").
func (m *Metrics) ObserveAPI(proto, method string, code uint32, d time.Duration) {
	m.apiDuration.WithLabelValues(proto, method).Observe(d.Seconds())
	if code != 0 {
		m.apiErrors.WithLabelValues(proto, method, strconv.FormatUint(uint64(code), 10)).Inc()
	}
}

// RegisterNodeGauges registers gauges read from the node at scrape time.
func RegisterNodeGauges(reg prometheus.Registerer, n *node.Node) error {
	gauge := func(name, help string, f func(node.Stats) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "gyre", Subsystem: "node", Name: name, Help: help},
			func() float64 { return float64(f(n.Stats())) })
	}
	for _, c := range []prometheus.Collector{
		gauge("num_clients", "Connected clients.", func(s node.Stats) int { return s.Clients }),
		gauge("num_users", "Distinct connected users.", func(s node.Stats) int { return s.Users }),
		gauge("num_channels", "Channels with local subscribers.", func(s node.Stats) int { return s.Channels }),
		gauge("num_subscriptions", "Subscriptions of local clients.", func(s node.Stats) int { return s.Subscriptions }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

var _ node.Metrics = (*Metrics)(nil)
