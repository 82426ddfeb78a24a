package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	"github.com/gobwas/glob"

	"github.com/gyrehq/gyre"
)

// RPCHandler serves the rpc method. It gets every call with a non-empty
// method name and returns the result data (raw JSON). It should return
// ErrNotFound (as *Error) for methods it does not know; its errors are
// mapped like Backend errors.
type RPCHandler func(ctx context.Context, method string, params []byte) ([]byte, error)

// Service runs the server API methods against a Backend. It is safe for
// concurrent use.
type Service struct {
	backend Backend
	logger  *slog.Logger
	rpc     atomic.Pointer[RPCHandler]
}

// New returns a Service that calls b. A nil logger discards logs.
func New(b Backend, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{backend: b, logger: logger}
}

// SetRPCHandler plugs in the handler of the rpc method; nil removes it.
// Without a handler (Centrifugo OSS has no API RPC extensions) every rpc
// call with a method name gets 104 not found.
func (s *Service) SetRPCHandler(h RPCHandler) {
	if h == nil {
		s.rpc.Store(nil)
		return
	}
	s.rpc.Store(&h)
}

// fail maps a Backend (or RPC handler) error to an API error and logs it
// when it is unexpected. Request bodies are never logged.
func (s *Service) fail(ctx context.Context, method string, err error, attrs ...any) *Error {
	e, unexpected := asError(err)
	if unexpected {
		s.logger.ErrorContext(ctx, "server API call failed",
			append([]any{"method", method, "error", err.Error()}, attrs...)...)
	}
	return e
}

// payload picks the base64 twin when non-empty, the raw JSON otherwise.
func payload(raw json.RawMessage, b64 string) ([]byte, bool) {
	if b64 == "" {
		return raw, true
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	return b, err == nil
}

// Publish publishes data into a channel.
func (s *Service) Publish(ctx context.Context, req *PublishRequest) (*PublishResult, *Error) {
	if req.Channel == "" {
		return nil, newError(ErrBadRequest)
	}
	data, ok := payload(req.Data, req.B64Data)
	if !ok {
		return nil, newError(ErrBadRequest)
	}
	return s.publish(ctx, "publish", req.Channel, data, PublishOptions{
		SkipHistory: req.SkipHistory, Tags: req.Tags,
		IdempotencyKey: req.IdempotencyKey, Delta: req.Delta,
	})
}

func (s *Service) publish(ctx context.Context, method, channel string, data []byte, opts PublishOptions) (*PublishResult, *Error) {
	sp, err := s.backend.Publish(ctx, channel, data, opts)
	if err != nil {
		return nil, s.fail(ctx, method, err, "channel", channel)
	}
	return &PublishResult{Offset: sp.Offset, Epoch: sp.Epoch}, nil
}

// maxConcurrency bounds the goroutines of one broadcast or parallel batch.
const maxConcurrency = 1024

// forEach runs f(i) for i in [0, n), concurrently with at most
// maxConcurrency calls in flight when parallel, and waits for all of them.
func forEach(n int, parallel bool, f func(i int)) {
	if !parallel || n < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	sem := make(chan struct{}, min(n, maxConcurrency))
	var (
		wg       sync.WaitGroup
		panicked atomic.Pointer[any]
	)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					panicked.CompareAndSwap(nil, &v)
				}
				<-sem
			}()
			f(i)
		})
	}
	wg.Wait()
	if p := panicked.Load(); p != nil {
		// Re-panic in the caller's goroutine, where an HTTP or gRPC server
		// recovers it, instead of crashing the process.
		panic(*p)
	}
}

// Broadcast publishes the same data into many channels concurrently. An
// empty channel list or bad b64data fails the whole call with 107; every
// other failure is reported per channel in the result.
func (s *Service) Broadcast(ctx context.Context, req *BroadcastRequest) (*BroadcastResult, *Error) {
	if len(req.Channels) == 0 {
		return nil, newError(ErrBadRequest)
	}
	data, ok := payload(req.Data, req.B64Data)
	if !ok {
		return nil, newError(ErrBadRequest)
	}
	opts := PublishOptions{
		SkipHistory: req.SkipHistory, Tags: req.Tags,
		IdempotencyKey: req.IdempotencyKey, Delta: req.Delta,
	}
	responses := make([]*PublishResponse, len(req.Channels))
	forEach(len(req.Channels), true, func(i int) {
		ch := req.Channels[i]
		if ch == "" {
			responses[i] = &PublishResponse{Error: newError(ErrBadRequest)}
			return
		}
		res, e := s.publish(ctx, "broadcast", ch, data, opts)
		responses[i] = &PublishResponse{Error: e, Result: res}
	})
	return &BroadcastResult{Responses: responses}, nil
}

// Subscribe subscribes a user's connections to a channel.
func (s *Service) Subscribe(ctx context.Context, req *SubscribeRequest) (*SubscribeResult, *Error) {
	if req.Channel == "" {
		return nil, newError(ErrBadRequest)
	}
	info, ok := payload(req.Info, req.B64Info)
	if !ok {
		return nil, newError(ErrBadRequest)
	}
	data, ok := payload(req.Data, req.B64Data)
	if !ok {
		return nil, newError(ErrBadRequest)
	}
	opts := SubscribeOptions{
		User: req.User, Client: req.Client, Session: req.Session,
		ExpireAt: req.ExpireAt, Info: info, Data: data,
	}
	if req.RecoverSince != nil {
		opts.RecoverSince = &gyre.StreamPosition{Offset: req.RecoverSince.Offset, Epoch: req.RecoverSince.Epoch}
	}
	if o := req.Override; o != nil {
		opts.Override = &gyre.SubscribeOverride{
			Presence:           boolPtr(o.Presence),
			JoinLeave:          boolPtr(o.JoinLeave),
			ForcePushJoinLeave: boolPtr(o.ForcePushJoinLeave),
			ForceRecovery:      boolPtr(o.ForceRecovery),
			ForcePositioning:   boolPtr(o.ForcePositioning),
		}
	}
	if err := s.backend.Subscribe(ctx, req.Channel, opts); err != nil {
		return nil, s.fail(ctx, "subscribe", err, "channel", req.Channel)
	}
	return &SubscribeResult{}, nil
}

func boolPtr(v *BoolValue) *bool {
	if v == nil {
		return nil
	}
	b := v.Value
	return &b
}

// Unsubscribe unsubscribes a user's connections from a channel. Like
// Centrifugo it does not require a channel or a user.
func (s *Service) Unsubscribe(ctx context.Context, req *UnsubscribeRequest) (*UnsubscribeResult, *Error) {
	if err := s.backend.Unsubscribe(ctx, req.Channel, req.User, req.Client, req.Session); err != nil {
		return nil, s.fail(ctx, "unsubscribe", err, "channel", req.Channel)
	}
	return &UnsubscribeResult{}, nil
}

// Disconnect disconnects a user's connections, by default with 3503
// "force disconnect".
func (s *Service) Disconnect(ctx context.Context, req *DisconnectRequest) (*DisconnectResult, *Error) {
	d := gyre.DisconnectForceNoReconnect
	if req.Disconnect != nil && req.Disconnect.Code != 0 {
		d = gyre.Disconnect{Code: req.Disconnect.Code, Reason: req.Disconnect.Reason}
	}
	if err := s.backend.Disconnect(ctx, req.User, d, req.Client, req.Session, req.Whitelist); err != nil {
		return nil, s.fail(ctx, "disconnect", err)
	}
	return &DisconnectResult{}, nil
}

// Refresh expires a user's connections or sets their expiration and info.
func (s *Service) Refresh(ctx context.Context, req *RefreshRequest) (*RefreshResult, *Error) {
	if err := s.backend.Refresh(ctx, req.User, req.Client, req.Session, req.Expired, req.ExpireAt, req.Info); err != nil {
		return nil, s.fail(ctx, "refresh", err)
	}
	return &RefreshResult{}, nil
}

// Presence returns a channel's present clients.
func (s *Service) Presence(ctx context.Context, req *PresenceRequest) (*PresenceResult, *Error) {
	if req.Channel == "" {
		return nil, newError(ErrBadRequest)
	}
	p, err := s.backend.Presence(ctx, req.Channel)
	if err != nil {
		return nil, s.fail(ctx, "presence", err, "channel", req.Channel)
	}
	res := &PresenceResult{Presence: make(map[string]*ClientInfo, len(p))}
	for id, ci := range p {
		if ci != nil {
			res.Presence[id] = clientInfo(ci)
		}
	}
	return res, nil
}

func clientInfo(ci *gyre.ClientInfo) *ClientInfo {
	return &ClientInfo{User: ci.UserID, Client: ci.ClientID, ConnInfo: ci.ConnInfo, ChanInfo: ci.ChanInfo}
}

// PresenceStats counts a channel's present clients and users.
func (s *Service) PresenceStats(ctx context.Context, req *PresenceStatsRequest) (*PresenceStatsResult, *Error) {
	if req.Channel == "" {
		return nil, newError(ErrBadRequest)
	}
	st, err := s.backend.PresenceStats(ctx, req.Channel)
	if err != nil {
		return nil, s.fail(ctx, "presence_stats", err, "channel", req.Channel)
	}
	return &PresenceStatsResult{NumClients: toUint32(int64(st.NumClients)), NumUsers: toUint32(int64(st.NumUsers))}, nil
}

// toUint32 clamps v into the uint32 range.
func toUint32(v int64) uint32 {
	return uint32(max(0, min(v, math.MaxUint32)))
}

// History returns publications of a channel's stream and its top position.
func (s *Service) History(ctx context.Context, req *HistoryRequest) (*HistoryResult, *Error) {
	if req.Channel == "" {
		return nil, newError(ErrBadRequest)
	}
	f := gyre.HistoryFilter{Limit: int(req.Limit), Reverse: req.Reverse}
	if f.Limit < 0 {
		f.Limit = -1
	}
	if req.Since != nil {
		f.Since = &gyre.StreamPosition{Offset: req.Since.Offset, Epoch: req.Since.Epoch}
	}
	pubs, top, err := s.backend.History(ctx, req.Channel, f)
	if err != nil {
		return nil, s.fail(ctx, "history", err, "channel", req.Channel)
	}
	res := &HistoryResult{Publications: make([]*Publication, 0, len(pubs)), Epoch: top.Epoch, Offset: top.Offset}
	for _, p := range pubs {
		if p == nil {
			continue
		}
		ap := &Publication{Data: p.Data, Offset: p.Offset, Tags: p.Tags}
		if p.Info != nil {
			ap.Info = clientInfo(p.Info)
		}
		res.Publications = append(res.Publications, ap)
	}
	return res, nil
}

// HistoryRemove drops a channel's publications.
func (s *Service) HistoryRemove(ctx context.Context, req *HistoryRemoveRequest) (*HistoryRemoveResult, *Error) {
	if req.Channel == "" {
		return nil, newError(ErrBadRequest)
	}
	if err := s.backend.RemoveHistory(ctx, req.Channel); err != nil {
		return nil, s.fail(ctx, "history_remove", err, "channel", req.Channel)
	}
	return &HistoryRemoveResult{}, nil
}

// Channels lists active channels matching the request's glob pattern. A
// pattern that does not compile gives 107.
func (s *Service) Channels(ctx context.Context, req *ChannelsRequest) (*ChannelsResult, *Error) {
	var g glob.Glob
	if req.Pattern != "" {
		var err error
		if g, err = glob.Compile(req.Pattern); err != nil {
			return nil, newError(ErrBadRequest)
		}
	}
	chans, err := s.backend.Channels(ctx)
	if err != nil {
		return nil, s.fail(ctx, "channels", err)
	}
	res := &ChannelsResult{Channels: make(map[string]*ChannelInfo)}
	for ch, n := range chans {
		if n <= 0 || (g != nil && !g.Match(ch)) {
			continue
		}
		res.Channels[ch] = &ChannelInfo{NumClients: toUint32(int64(n))}
	}
	return res, nil
}

// Info describes the running nodes.
func (s *Service) Info(ctx context.Context, _ *InfoRequest) (*InfoResult, *Error) {
	nodes, err := s.backend.Info(ctx)
	if err != nil {
		return nil, s.fail(ctx, "info", err)
	}
	res := &InfoResult{Nodes: make([]*NodeResult, len(nodes))}
	for i, n := range nodes {
		res.Nodes[i] = &NodeResult{
			UID: n.UID, Name: n.Name, Version: n.Version,
			NumClients:  toUint32(int64(n.NumClients)),
			NumUsers:    toUint32(int64(n.NumUsers)),
			NumChannels: toUint32(int64(n.NumChannels)),
			Uptime:      toUint32(n.Uptime),
			NumSubs:     toUint32(int64(n.NumSubs)),
		}
	}
	return res, nil
}

// RPC calls the plugged-in RPCHandler: 107 without a method name, 104 when
// no handler is set.
func (s *Service) RPC(ctx context.Context, req *RPCRequest) (*RPCResult, *Error) {
	if req.Method == "" {
		return nil, newError(ErrBadRequest)
	}
	h := s.rpc.Load()
	if h == nil {
		return nil, newError(ErrNotFound)
	}
	data, err := (*h)(ctx, req.Method, req.Params)
	if err != nil {
		return nil, s.fail(ctx, "rpc", err, "rpc_method", req.Method)
	}
	return &RPCResult{Data: data}, nil
}
