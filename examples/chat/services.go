package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/interceptors"
	"github.com/gyrehq/gyre/bridge/rpcroute"
	"github.com/gyrehq/gyre/bridge/topics"
)

// maxText is the longest message the Publish service accepts, in characters.
const maxText = 500

// CodeBadMessage is the error code for a message that fails validation.
const CodeBadMessage = 400

// App holds what the services need.
type App struct {
	tokens     Tokens
	sessionTTL time.Duration
	api        *serverAPI
	log        *slog.Logger
	telemetry  *telemetry
	now        func() time.Time
}

// newBridge builds the bridge: services per event type and the interceptor
// chain "*" = Recover → Telemetry → Auth (the seed's order: telemetry outside
// auth, so refused requests are traced too).
func (a *App) newBridge() (*bridge.Bridge, error) {
	router := rpcroute.New().HTTP(httpRoutes(a.api))
	return bridge.New(
		bridge.WithLogger(a.log),
		bridge.WithInterceptors(bridge.AllTypes,
			interceptors.Recover(a.log),
			interceptors.Telemetry(interceptors.TelemetryConfig{Observe: a.telemetry.observe}),
			authInterceptor(a.tokens),
		),
		bridge.OnConnect(a.connect),
		bridge.OnRefresh(a.refresh),
		bridge.WithService(bridge.Subscribe, a.subscribeService()),
		bridge.OnPublish(a.publish),
		bridge.WithService(bridge.RPC, router),
	)
}

func (a *App) expireAt() int64 {
	if a.sessionTTL <= 0 {
		return 0
	}
	return a.now().Add(a.sessionTTL).Unix()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// connect: the Auth interceptor already checked the token; the actor becomes
// the connection's user. The token goes into the connection meta (never sent
// to clients) so later events can be authenticated the same way.
func (a *App) connect(ctx context.Context, req *bridge.ConnectRequest) error {
	actor, ok := bridge.ActorAs[*Actor](ctx)
	if !ok {
		return req.Error(interceptors.CodeUnauthorized, "unauthorized", false)
	}
	return req.Respond(bridge.ConnectResult{
		User:     actor.Name,
		ExpireAt: a.expireAt(),
		Info:     mustJSON(map[string]string{"name": actor.Name}),
		Data:     mustJSON(map[string]any{"user": actor.Name, "rooms": len(rooms)}),
		Meta:     mustJSON(connMeta{AuthToken: actor.Token}),
	})
}

// refresh extends the connection while its token (from the meta) stays valid.
func (a *App) refresh(ctx context.Context, req *bridge.RefreshRequest) error {
	if _, ok := bridge.ActorAs[*Actor](ctx); !ok {
		return req.Respond(bridge.RefreshResult{Expired: true})
	}
	return req.Respond(bridge.RefreshResult{ExpireAt: a.expireAt()})
}

// topicRules are the channel authorization rules (the seed's broadcasting
// "authorize.topics"): chat:{room} for every logged-in user in a known room,
// personal:#{user} only for that user.
func topicRules() *topics.Registry {
	return topics.New().
		MustRegister("chat:{room}", func(_ context.Context, m topics.Match) (bool, error) {
			_, known := roomByID(m.Params["room"])
			return m.User != "" && known, nil
		}).
		MustRegister("personal:#{user}", func(_ context.Context, m topics.Match) (bool, error) {
			return m.User != "" && m.Params["user"] == m.User, nil
		})
}

// subscribeService authorizes with the topic rules and, for rooms, answers
// the room's topic in the subscribe reply data.
func (a *App) subscribeService() bridge.Service {
	reg := topicRules()
	return bridge.SubscribeFunc(func(ctx context.Context, req *bridge.SubscribeRequest) error {
		ok, err := reg.Authorize(ctx, req.Channel, req.User, req)
		if err != nil {
			return err
		}
		if !ok {
			return req.Error(topics.CodeForbidden, "permission denied", false)
		}
		res := bridge.SubscribeResult{}
		if id, isRoom := strings.CutPrefix(req.Channel, "chat:"); isRoom {
			room, _ := roomByID(id)
			res.Data = mustJSON(map[string]string{"topic": room.Topic})
		}
		return req.Respond(res)
	})
}

// Message is a chat publication as subscribers see it (after the rewrite).
type Message struct {
	Text string `json:"text"`
	User string `json:"user"`
	Time string `json:"time"`
}

var mentionRe = regexp.MustCompile(`@([A-Za-z0-9_-]{1,32})`)

// publish validates (1 to 500 characters after trimming) and rewrites the
// client's {"text": …} into {"text", "user", "time"}; Gyre then publishes the
// rewritten data (history, recovery, fan-out). Mentions (@name) notify the
// named user's personal channel through the server API.
func (a *App) publish(ctx context.Context, req *bridge.PublishRequest) error {
	actor, ok := bridge.ActorAs[*Actor](ctx)
	if !ok {
		return req.Error(interceptors.CodeUnauthorized, "unauthorized", false)
	}
	room, isRoom := strings.CutPrefix(req.Channel, "chat:")
	if _, known := roomByID(room); !isRoom || !known {
		return req.Error(topics.CodeForbidden, "permission denied", false)
	}
	var in struct {
		Text *string `json:"text"`
	}
	if err := req.Decode(&in); err != nil || in.Text == nil {
		return req.Error(CodeBadMessage, `data must be {"text": "…"}`, false)
	}
	text := strings.TrimSpace(*in.Text)
	if n := utf8.RuneCountInString(text); n == 0 || n > maxText {
		return req.Error(CodeBadMessage, "text must be 1 to 500 characters", false)
	}
	msg := Message{Text: text, User: actor.Name, Time: a.now().UTC().Format(time.RFC3339Nano)}
	if err := req.Respond(bridge.PublishResult{Data: mustJSON(msg)}); err != nil {
		return err
	}
	a.notifyMentions(room, msg)
	return nil
}

func (a *App) notifyMentions(room string, msg Message) {
	seen := map[string]bool{msg.User: true}
	for _, m := range mentionRe.FindAllStringSubmatch(msg.Text, 5) {
		user := m[1]
		if seen[user] {
			continue
		}
		seen[user] = true
		data := mustJSON(map[string]string{"from": msg.User, "room": room, "text": msg.Text})
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := a.api.Publish(ctx, "personal:#"+user, data); err != nil {
				a.log.Warn("mention notification failed", "user", user, "error", err)
			}
		}()
	}
}

// telemetry is the Telemetry interceptor's in-memory exporter: every
// observation is logged and counted; GET /telemetry shows the counts.
type telemetry struct {
	log    *slog.Logger
	mu     sync.Mutex
	counts map[string]map[string]int // type → outcome → n
}

func newTelemetry(log *slog.Logger) *telemetry {
	return &telemetry{log: log, counts: map[string]map[string]int{}}
}

func (t *telemetry) observe(o interceptors.Observation) {
	t.mu.Lock()
	byOutcome := t.counts[string(o.Type)]
	if byOutcome == nil {
		byOutcome = map[string]int{}
		t.counts[string(o.Type)] = byOutcome
	}
	byOutcome[o.Outcome]++
	t.mu.Unlock()
	t.log.Info("bridge", "type", o.Type, "outcome", o.Outcome, "code", o.Code, "duration", o.Duration.Round(time.Microsecond))
}

func (t *telemetry) snapshot() map[string]map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]map[string]int, len(t.counts))
	for typ, m := range t.counts {
		c := make(map[string]int, len(m))
		for k, v := range m {
			c[k] = v
		}
		out[typ] = c
	}
	return out
}
