package node

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/gyrehq/gyre"
)

// controlChannel carries control messages between nodes over the broker.
// Names starting with reservedPrefix are refused to clients and the API.
const (
	reservedPrefix = "__gyre."
	controlChannel = reservedPrefix + "control"
	// infoInterval is how often a node announces itself; a node not heard
	// from for 3 intervals is dropped from info.
	infoInterval = 5 * time.Second
	// surveyTimeout bounds a channels survey across nodes.
	surveyTimeout = 2 * time.Second
)

// NodeInfo describes one node of the cluster.
type NodeInfo struct {
	UID         string `json:"uid"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	NumClients  int    `json:"num_clients"`
	NumUsers    int    `json:"num_users"`
	NumChannels int    `json:"num_channels"`
	NumSubs     int    `json:"num_subs"`
	Uptime      int64  `json:"uptime"`
}

type controlUnsubscribe struct {
	Channel, User, Client string
}

type controlDisconnect struct {
	User      string
	Code      uint32
	Reason    string
	Client    string
	Whitelist []string
}

type controlRefresh struct {
	User, Client string
	Expired      bool
	ExpireAt     int64
	Info         []byte
}

// controlMsg is one message between nodes.
type controlMsg struct {
	Op          string              `json:"op"`
	Origin      string              `json:"origin"`
	ID          string              `json:"id,omitempty"`
	Target      string              `json:"target,omitempty"`
	Subscribe   *SubscribeRequest   `json:"subscribe,omitempty"`
	Unsubscribe *controlUnsubscribe `json:"unsubscribe,omitempty"`
	Disconnect  *controlDisconnect  `json:"disconnect,omitempty"`
	Refresh     *controlRefresh     `json:"refresh,omitempty"`
	Info        *NodeInfo           `json:"info,omitempty"`
	Channels    map[string]int      `json:"channels,omitempty"`
}

// cluster tracks the other nodes and pending surveys.
type cluster struct {
	mu      sync.Mutex
	nodes   map[string]nodeSeen
	surveys map[string]chan map[string]int
	timer   *time.Timer
	closed  bool
}

type nodeSeen struct {
	info NodeInfo
	at   time.Time
}

// startControl subscribes to the control channel and starts announcing this
// node, when the node runs with other nodes.
func (n *Node) startControl() error {
	if !n.cfg.Distributed {
		return nil
	}
	n.cluster.nodes = map[string]nodeSeen{}
	n.cluster.surveys = map[string]chan map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.broker.Subscribe(ctx, controlChannel); err != nil {
		return err
	}
	n.announce()
	return nil
}

func (n *Node) stopControl() {
	n.cluster.mu.Lock()
	n.cluster.closed = true
	if n.cluster.timer != nil {
		n.cluster.timer.Stop()
	}
	n.cluster.mu.Unlock()
}

// announce publishes this node's info and re-arms itself.
func (n *Node) announce() {
	info := n.localInfo()
	n.sendControl(controlMsg{Op: "info", Info: &info})
	n.cluster.mu.Lock()
	defer n.cluster.mu.Unlock()
	if !n.cluster.closed {
		n.cluster.timer = time.AfterFunc(infoInterval, n.announce)
	}
}

func (n *Node) localInfo() NodeInfo {
	st := n.Stats()
	return NodeInfo{
		UID: n.uid, Name: n.cfg.Name, Version: n.cfg.Version,
		NumClients: st.Clients, NumUsers: st.Users, NumChannels: st.Channels, NumSubs: st.Subscriptions,
		Uptime: int64(n.Uptime().Seconds()),
	}
}

func (n *Node) sendControl(m controlMsg) {
	m.Origin = n.uid
	data, err := json.Marshal(m)
	if err != nil {
		n.log.Error("encode control message", "error", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := n.broker.Publish(ctx, controlChannel, data, gyre.PublishOptions{}); err != nil {
		n.log.Warn("publish control message failed", "op", m.Op, "error", err)
	}
}

// broadcast runs a server API action on every node: locally when the node
// is alone, through the control channel otherwise.
func (n *Node) broadcast(ctx context.Context, m controlMsg) error {
	if !n.cfg.Distributed {
		n.applyControl(m)
		return nil
	}
	m.Origin = n.uid
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, _, err = n.broker.Publish(ctx, controlChannel, data, gyre.PublishOptions{})
	return err
}

// handleControl decodes a control message delivered by the broker. It runs
// on the broker's delivery path, so anything slow goes to a goroutine.
func (n *Node) handleControl(data []byte) {
	var m controlMsg
	if err := json.Unmarshal(data, &m); err != nil {
		n.log.Warn("bad control message", "error", err)
		return
	}
	go n.applyControl(m)
}

func (n *Node) applyControl(m controlMsg) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch m.Op {
	case "subscribe":
		if m.Subscribe != nil {
			if err := n.subscribeLocal(ctx, *m.Subscribe); err != nil {
				n.log.Warn("control subscribe failed", "channel", m.Subscribe.Channel, "error", err)
			}
		}
	case "unsubscribe":
		if u := m.Unsubscribe; u != nil {
			n.unsubscribeLocal(u.Channel, u.User, u.Client)
		}
	case "disconnect":
		if d := m.Disconnect; d != nil {
			n.disconnectLocal(d.User, gyre.Disconnect{Code: d.Code, Reason: d.Reason}, d.Client, d.Whitelist)
		}
	case "refresh":
		if r := m.Refresh; r != nil {
			n.refreshLocal(r.User, r.Client, r.Expired, r.ExpireAt, r.Info)
		}
	case "info":
		if m.Info != nil && m.Origin != n.uid {
			n.cluster.mu.Lock()
			n.cluster.nodes[m.Origin] = nodeSeen{info: *m.Info, at: time.Now()}
			n.cluster.mu.Unlock()
		}
	case "channels_req":
		if m.Origin != n.uid {
			n.sendControl(controlMsg{Op: "channels_resp", ID: m.ID, Target: m.Origin, Channels: n.hub.channels()})
		}
	case "channels_resp":
		if m.Target == n.uid {
			n.cluster.mu.Lock()
			ch := n.cluster.surveys[m.ID]
			n.cluster.mu.Unlock()
			if ch != nil {
				select {
				case ch <- m.Channels:
				default:
				}
			}
		}
	}
}

// otherNodes returns the live nodes other than this one.
func (n *Node) otherNodes() []NodeInfo {
	n.cluster.mu.Lock()
	defer n.cluster.mu.Unlock()
	var out []NodeInfo
	for uid, seen := range n.cluster.nodes {
		if time.Since(seen.at) > 3*infoInterval {
			delete(n.cluster.nodes, uid)
			continue
		}
		out = append(out, seen.info)
	}
	return out
}

// Info returns this node's info and that of every live node it knows.
func (n *Node) Info(ctx context.Context) []NodeInfo {
	return append([]NodeInfo{n.localInfo()}, n.otherNodes()...)
}

// Channels returns the channels with subscribers on any node and their
// subscriber counts, asking the other nodes (bounded by a short timeout).
func (n *Node) Channels(ctx context.Context) map[string]int {
	out := n.hub.channels()
	others := len(n.otherNodes())
	if !n.cfg.Distributed || others == 0 {
		return out
	}
	id := newUUID()
	resp := make(chan map[string]int, others)
	n.cluster.mu.Lock()
	n.cluster.surveys[id] = resp
	n.cluster.mu.Unlock()
	defer func() {
		n.cluster.mu.Lock()
		delete(n.cluster.surveys, id)
		n.cluster.mu.Unlock()
	}()
	n.sendControl(controlMsg{Op: "channels_req", ID: id})
	timeout := time.NewTimer(surveyTimeout)
	defer timeout.Stop()
	for got := 0; got < others; got++ {
		select {
		case m := <-resp:
			for ch, c := range m {
				out[ch] += c
			}
		case <-timeout.C:
			n.log.Warn("channels survey incomplete", "answered", got, "nodes", others)
			return out
		case <-ctx.Done():
			return out
		}
	}
	return out
}
