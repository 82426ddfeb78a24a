// Package redis implements gyre.Broker and gyre.PresenceManager on Redis
// (standalone, Sentinel, Cluster, or several of them with client-side
// sharding), so that Gyre nodes share channels, history and presence. It
// is Centrifugo's "redis engine": the key layout and payloads follow
// PROTOCOL.md §8 (prefix "gyre" instead of "centrifugo").
//
// # Topologies
//
// Config.Shards lists Redis deployments. One shard is the usual setup;
// several shards spread channels by a consistent (jump) hash of the
// channel name, and every node must list the same shards in the same
// order. A shard is a standalone server, a Sentinel group (the client
// follows failovers) or a Cluster (every key of a channel carries the
// {channel} hash tag, so a channel's stream, meta and idempotency results
// live in one slot). See ShardConfig.Address for the accepted addresses.
//
// # Streams and delivery
//
// Publish runs one Lua script on the channel's shard: it checks the
// idempotency result, appends to the stream (XADD with the offset as
// entry ID, exact MAXLEN trimming, PEXPIRE history TTL), bumps the meta
// hash (HINCRBY offset, epoch created on first use, PEXPIRE meta TTL) and
// PUBLISHes "__p1:<offset>:<epoch>__<protobuf Publication>" to
// <prefix>.client.<channel>. Because the append and the PUBLISH happen in
// one atomic script, offsets have no gaps and every node receives a
// channel's publications in offset order. Offsets and epochs live in Redis
// and survive node restarts; the epoch changes only when the meta is lost
// (expired after history_meta_ttl, evicted, or Redis restarted without
// persistence).
//
// Each shard has one dedicated PUB/SUB connection per Broker, subscribed
// to every channel this node has subscribers in. Its goroutine hands
// messages to the gyre.BrokerEventHandler in arrival order and never
// blocks on anything but the handler.
//
// # Lost connections
//
// When a shard's PUB/SUB connection breaks (network, Redis restart,
// CLIENT KILL), the Broker reconnects with backoff, resubscribes every
// channel and then, if the registered handler implements
// DeliveryGapHandler, calls HandleDeliveryGap for each of them: whatever
// was published meanwhile reached the streams but not this node. Subscribe
// waits (bounded by its ctx) while the connection is down. Commands
// (Publish, History, presence) use rueidis's pipelined connections, which
// reconnect on their own; a command in flight when a connection breaks
// returns an error.
//
// # Presence
//
// NewPresenceManager (or Broker.PresenceManager, which shares the
// Broker's connections) keeps presence in four keys per channel with
// entries that expire Config.PresenceTTL after their last AddPresence.
// Counts of clients and distinct users are kept by the scripts, so
// PresenceStats is O(1).
//
// # Not here
//
// Node info exchange (the "info" API listing every node, "channels" across
// nodes), sharded PUB/SUB (SSUBSCRIBE), Redis lists for history
// (engine.redis.history_use_lists), replica reads and publication
// versioning are not implemented.
package redis
