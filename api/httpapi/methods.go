package httpapi

import (
	"context"
	"encoding/json"

	"github.com/gyrehq/gyre/api"
)

// method is one API method as the HTTP adapter sees it.
type method struct {
	// name is the route suffix, the legacy method name and the Observe
	// label.
	name string
	// legacy is the legacy endpoint's enum value, -1 when the method is not
	// served there.
	legacy int
	// bare writes the result without the {"result":...} envelope and never
	// in transport error mode (batch).
	bare bool
	// call decodes body into the request, calls the Service and returns the
	// result (nil on API error). A decode failure is returned as error.
	call func(ctx context.Context, s *api.Service, body []byte) (any, *api.Error, error)
}

// bind builds a method from a Service method expression.
func bind[Req, Res any](name string, legacy int, f func(*api.Service, context.Context, *Req) (*Res, *api.Error)) method {
	return method{name: name, legacy: legacy, call: func(ctx context.Context, s *api.Service, body []byte) (any, *api.Error, error) {
		req := new(Req)
		if err := json.Unmarshal(body, req); err != nil {
			return nil, nil, err
		}
		res, e := f(s, ctx, req)
		if e != nil || res == nil {
			return nil, e, nil
		}
		return res, nil, nil
	}}
}

// methods lists every served method once; routes and the legacy endpoint
// are derived from it.
var methods = func() []method {
	batch := bind("batch", -1, (*api.Service).Batch)
	batch.bare = true
	return []method{
		bind("publish", 0, (*api.Service).Publish),
		bind("broadcast", 1, (*api.Service).Broadcast),
		bind("unsubscribe", 2, (*api.Service).Unsubscribe),
		bind("disconnect", 3, (*api.Service).Disconnect),
		bind("presence", 4, (*api.Service).Presence),
		bind("presence_stats", 5, (*api.Service).PresenceStats),
		bind("history", 6, (*api.Service).History),
		bind("history_remove", 7, (*api.Service).HistoryRemove),
		bind("channels", 8, (*api.Service).Channels),
		bind("info", 9, (*api.Service).Info),
		bind("rpc", 10, (*api.Service).RPC),
		bind("subscribe", 11, (*api.Service).Subscribe),
		bind("refresh", 12, (*api.Service).Refresh),
		batch,
	}
}()

// transportStatus maps an API error code to the HTTP status of transport
// error mode (PROTOCOL.md §2.4).
func transportStatus(code uint32) int {
	switch code {
	case 102, 104:
		return 404
	case 107, 108:
		return 400
	case 112:
		return 416
	case 113:
		return 409
	}
	return 500
}
