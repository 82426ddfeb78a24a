// Package memory implements gyre.Broker and gyre.PresenceManager in the
// process's memory, for a single Gyre node. It is the default engine and the
// reference implementation that package node's tests run against.
//
// # Streams
//
// A channel published with history (PublishOptions.HistorySize and
// HistoryTTL both > 0) gets a stream: a list of at most HistorySize
// publications with offsets 1, 2, 3, … and an epoch of 8 random letters
// chosen when the stream's meta (top offset and epoch) is created. The items
// expire together HistoryTTL after the last publish; the meta lives on until
// HistoryMetaTTL after the last publish or History call (and at least as long
// as the items), after which the channel starts a new epoch at offset 1.
// Publications without history are delivered with offset 0 and leave the
// stream alone.
//
// Expiry is checked lazily on every access, and a cleanup goroutine removes
// expired streams and idempotency results every few seconds with a bounded
// amount of work per tick, so memory stays bounded by the live channels.
// [Broker.Close] stops that goroutine and waits for it.
//
// # Concurrency
//
// Every method may be called concurrently. Channels are spread over 64
// shards by a hash of their name; each shard has one mutex, held while a
// publication is appended to its stream and while the registered
// gyre.BrokerEventHandler is called. Handlers therefore see one channel's
// publications in offset order, and History never returns a publication
// whose delivery has not begun. The flip side: a handler must not block and
// must not call back into the Broker, or it deadlocks its shard.
//
// # Ownership
//
// The broker keeps the data slice, ClientInfo and tags map passed to
// Publish and shares them with the handler and with History callers; nobody
// may modify them afterwards. The Publication values handed out are fresh
// copies, so callers may keep them and change their fields.
//
// PresenceManager keeps a copy of each ClientInfo (including its byte
// slices) and returns copies of the struct that share the byte slices, which
// callers must treat as read-only.
package memory
