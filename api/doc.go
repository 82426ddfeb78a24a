// Package api is Gyre's transport-neutral server API: the Centrifugo v6
// server API methods (publish, broadcast, subscribe, unsubscribe, disconnect,
// refresh, presence, presence_stats, history, history_remove, channels, info,
// rpc and batch) as plain Go calls on a Service.
//
// The request and result types carry JSON tags that match Centrifugo's HTTP
// API exactly (PROTOCOL.md §5.2), so that transport adapters such as package
// api/httpapi only decode a request, call the Service and encode its answer.
// Fields are omitted from JSON when empty, except those Centrifugo always
// writes: ClientInfo.user/client, PresenceResult.presence,
// PresenceStatsResult.num_clients/num_users,
// HistoryResult.publications/epoch/offset,
// NodeResult.uid/name/version/num_clients/num_users/num_channels/num_subs and
// ChannelsResult.channels.
//
// Bytes fields that Centrifugo embeds as raw JSON (data, info, params,
// conn_info, chan_info) are json.RawMessage values; their b64data/b64info
// twins carry base64 binary and take precedence when non-empty. When a value
// the Service returns is not valid JSON (binary data published by a
// Protobuf client or through b64data), its JSON encoding leaves it out rather
// than producing invalid JSON; a Publication additionally carries such data
// in a b64data field, which is a Gyre extension (Centrifugo's API
// Publication has only data).
//
// Every method validates its request (PROTOCOL.md §5.2) and then calls the
// node through the Backend interface. Errors come back as *Error values:
// gyre.Error values returned by the Backend keep their code and message, and
// any other error becomes 100 "internal server error" and is logged.
package api
