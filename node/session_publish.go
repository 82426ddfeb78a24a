package node

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gyrehq/gyre"
)

// channelFor resolves a channel named in a command: empty → 3501, unknown
// namespace → 102, bad name → 107.
func (s *Session) channelFor(name string) (string, gyre.ChannelOptions, error) {
	if name == "" {
		return "", gyre.ChannelOptions{}, gyre.DisconnectBadRequest
	}
	n := s.node
	if len(name) > n.rules.cfg.MaxLength {
		return "", gyre.ChannelOptions{}, gyre.ErrBadRequest
	}
	opts, err := n.rules.options(name)
	if err != nil {
		return "", opts, err
	}
	if !n.rules.validName(name) {
		return "", opts, gyre.ErrBadRequest
	}
	return cloneStr(name), opts, nil
}

func (s *Session) subscribed(ch string) (bool, *subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[ch]
	return sub != nil, sub
}

func (s *Session) handlePublish(id uint32, req *protocol.PublishRequest) error {
	ch, opts, err := s.channelFor(req.Channel)
	if err != nil {
		return err
	}
	if !checkDataFormat(opts.PublicationDataFormat, req.Data) {
		return gyre.ErrBadRequest
	}
	n := s.node
	isSub, sub := s.subscribed(ch)
	var chanInfo []byte
	if sub != nil {
		chanInfo = sub.chanInfo
	}
	data := append([]byte(nil), req.Data...)
	po := n.publishOptions(opts, s.clientInfo(chanInfo), nil, "")
	if opts.PublishProxyEnabled {
		proxy := n.cfg.Proxies.Publish[proxyName(opts.PublishProxyName)]
		if proxy == nil {
			n.log.Error("publish proxy not configured", "name", proxyName(opts.PublishProxyName), "channel", ch)
			return gyre.ErrInternal
		}
		pctx, pcancel := proxyCtx()
		res, err := proxy.ProxyPublish(pctx, gyre.PublishProxyRequest{Client: s.proxyClient(), Channel: ch, Data: data})
		pcancel()
		if err != nil {
			return n.proxyErr("publish", err)
		}
		if res != nil {
			if res.Data != nil {
				data = res.Data
			}
			if res.SkipHistory {
				po.HistorySize, po.HistoryTTL = 0, 0
			}
			po.Tags, po.IdempotencyKey = res.Tags, res.IdempotencyKey
		}
	} else {
		user := s.User()
		allowed := n.cfg.Client.Insecure ||
			((user != "" || opts.AllowPublishForAnonymous) && (opts.AllowPublishForClient || (opts.AllowPublishForSubscriber && isSub)))
		if !allowed {
			return gyre.ErrPermissionDenied
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err = n.broker.Publish(ctx, ch, data, po)
	if err != nil {
		s.node.log.Error("client publish failed", "channel", ch, "error", err)
		return gyre.ErrInternal
	}
	s.sendReply(&protocol.Reply{Id: id, Publish: &protocol.PublishResult{}})
	return nil
}

// publishOptions builds broker options from channel options.
func (n *Node) publishOptions(opts gyre.ChannelOptions, info *gyre.ClientInfo, tags map[string]string, idemKey string) gyre.PublishOptions {
	return gyre.PublishOptions{
		ClientInfo:     info,
		Tags:           tags,
		HistorySize:    opts.HistorySize,
		HistoryTTL:     opts.HistoryTTL.D(),
		HistoryMetaTTL: opts.HistoryMetaTTL.D(),
		IdempotencyKey: idemKey,
	}
}

func (s *Session) presenceAllowed(ch string, opts gyre.ChannelOptions) error {
	if !opts.Presence {
		return gyre.ErrNotAvailable
	}
	isSub, _ := s.subscribed(ch)
	if !s.access(s.User(), opts.AllowPresenceForClient, opts.AllowPresenceForSubscriber, opts.AllowPresenceForAnonymous, isSub) {
		return gyre.ErrPermissionDenied
	}
	return nil
}

func (s *Session) handlePresence(id uint32, req *protocol.PresenceRequest) error {
	ch, opts, err := s.channelFor(req.Channel)
	if err != nil {
		return err
	}
	if err := s.presenceAllowed(ch, opts); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := s.node.presence.Presence(ctx, ch)
	if err != nil {
		s.node.log.Error("presence failed", "channel", ch, "error", err)
		return gyre.ErrInternal
	}
	res := &protocol.PresenceResult{Presence: make(map[string]*protocol.ClientInfo, len(p))}
	for k, v := range p {
		res.Presence[k] = toProtoInfo(v)
	}
	s.sendReply(&protocol.Reply{Id: id, Presence: res})
	return nil
}

func (s *Session) handlePresenceStats(id uint32, req *protocol.PresenceStatsRequest) error {
	ch, opts, err := s.channelFor(req.Channel)
	if err != nil {
		return err
	}
	if err := s.presenceAllowed(ch, opts); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := s.node.presence.PresenceStats(ctx, ch)
	if err != nil {
		s.node.log.Error("presence stats failed", "channel", ch, "error", err)
		return gyre.ErrInternal
	}
	s.sendReply(&protocol.Reply{Id: id, PresenceStats: &protocol.PresenceStatsResult{NumClients: uint32(st.NumClients), NumUsers: uint32(st.NumUsers)}})
	return nil
}

func (s *Session) handleHistory(id uint32, req *protocol.HistoryRequest) error {
	ch, opts, err := s.channelFor(req.Channel)
	if err != nil {
		return err
	}
	if !opts.HistoryEnabled() {
		return gyre.ErrNotAvailable
	}
	isSub, _ := s.subscribed(ch)
	if !s.access(s.User(), opts.AllowHistoryForClient, opts.AllowHistoryForSubscriber, opts.AllowHistoryForAnonymous, isSub) {
		return gyre.ErrPermissionDenied
	}
	maxLimit := s.node.cfg.Client.HistoryMaxPublicationLimit
	limit := int(req.Limit)
	if limit < 0 || limit > maxLimit {
		limit = maxLimit
	}
	filter := gyre.HistoryFilter{Limit: limit, Reverse: req.Reverse}
	if req.Since != nil {
		if req.Reverse && req.Since.Offset == 0 {
			return gyre.ErrBadRequest
		}
		filter.Since = &gyre.StreamPosition{Offset: req.Since.Offset, Epoch: cloneStr(req.Since.Epoch)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pubs, top, err := s.node.broker.History(ctx, ch, gyre.HistoryOptions{Filter: filter, MetaTTL: opts.HistoryMetaTTL.D()})
	if err != nil {
		if errors.Is(err, gyre.ErrUnrecoverablePosition) {
			return gyre.ErrUnrecoverablePosition
		}
		s.node.log.Error("history failed", "channel", ch, "error", err)
		return gyre.ErrInternal
	}
	res := &protocol.HistoryResult{Epoch: top.Epoch, Offset: top.Offset, Publications: make([]*protocol.Publication, len(pubs))}
	for i, p := range pubs {
		res.Publications[i] = toProtoPub(p)
	}
	s.sendReply(&protocol.Reply{Id: id, History: res})
	return nil
}

// handleRPC answers the ping extension itself and forwards everything else
// to the RPC proxy of the method's namespace: unknown namespace → 104, no
// proxy → 108 (104 when the ping extension is the only RPC handler).
func (s *Session) handleRPC(id uint32, req *protocol.RPCRequest) error {
	n := s.node
	rpc := n.cfg.RPC
	if rpc.PingEnabled && req.Method == rpc.PingMethod {
		s.sendReply(&protocol.Reply{Id: id, Rpc: &protocol.RPCResult{}})
		return nil
	}
	ns := rpc.WithoutNamespace
	if i := strings.Index(req.Method, rpc.NamespaceBoundary); i >= 0 {
		o, ok := rpc.Namespaces[req.Method[:i]]
		if !ok {
			return gyre.ErrMethodNotFound
		}
		ns = o
	}
	if !ns.ProxyEnabled {
		if rpc.PingEnabled {
			return gyre.ErrMethodNotFound
		}
		return gyre.ErrNotAvailable
	}
	proxy := n.cfg.Proxies.RPC[proxyName(ns.ProxyName)]
	if proxy == nil {
		n.log.Error("rpc proxy not configured", "name", proxyName(ns.ProxyName), "method", req.Method)
		return gyre.ErrInternal
	}
	pctx, pcancel := proxyCtx()
	data, err := proxy.ProxyRPC(pctx, gyre.RPCProxyRequest{Client: s.proxyClient(), Method: cloneStr(req.Method), Data: append([]byte(nil), req.Data...)})
	pcancel()
	if err != nil {
		return n.proxyErr("rpc", err)
	}
	s.sendReply(&protocol.Reply{Id: id, Rpc: &protocol.RPCResult{Data: data}})
	return nil
}
