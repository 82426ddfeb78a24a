package redis

import (
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/redis/rueidis"
)

// shard is one Redis deployment with the key layout for its mode.
type shard struct {
	index  int
	client rueidis.Client
	keys   keys
}

// keys builds the Redis key and PUB/SUB channel names of a shard
// (PROTOCOL.md §8). In cluster mode the channel part is wrapped in a {…}
// hash tag so that all keys of a channel share one slot.
type keys struct {
	prefix  string
	cluster bool
}

// tag returns the channel as it appears in key names.
func (k keys) tag(channel string) string {
	if k.cluster {
		return "{" + channel + "}"
	}
	return channel
}

// pubsub is the PUB/SUB channel of a channel: <prefix>.client.<channel>.
func (k keys) pubsub(channel string) string { return k.prefix + ".client." + k.tag(channel) }

// channelOf returns the channel of a PUB/SUB channel name, or false when
// the name is not one of ours.
func (k keys) channelOf(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, k.prefix+".client.")
	if !ok {
		return "", false
	}
	if k.cluster {
		if len(rest) < 2 || rest[0] != '{' || rest[len(rest)-1] != '}' {
			return "", false
		}
		rest = rest[1 : len(rest)-1]
	}
	return rest, true
}

// stream is the history stream: <prefix>.stream.<channel>.
func (k keys) stream(channel string) string { return k.prefix + ".stream." + k.tag(channel) }

// meta is the stream meta hash (s = top offset, e = epoch).
func (k keys) meta(channel string) string { return k.prefix + ".stream.meta." + k.tag(channel) }

// result is an idempotent publish's cached result (hash e, s).
func (k keys) result(channel, key string) string {
	return k.prefix + ".result." + k.tag(channel) + "." + key
}

// presence returns the four presence keys of a channel: data (hash client
// ID → ClientInfo), expire (zset client ID → expiry in ms), clientUser
// (hash client ID → user ID) and userCount (hash user ID → clients).
func (k keys) presence(channel string) []string {
	t := k.tag(channel)
	return []string{
		k.prefix + ".presence.data." + t,
		k.prefix + ".presence.expire." + t,
		k.prefix + ".presence.client.user." + t,
		k.prefix + ".presence.user.count." + t,
	}
}

// newShards connects to every shard of cfg (which has its defaults).
// rueidis dials on creation, so an unreachable Redis is an error here.
func newShards(cfg Config) ([]*shard, error) {
	shards := make([]*shard, 0, len(cfg.Shards))
	closeAll := func() {
		for _, s := range shards {
			s.client.Close()
		}
	}
	for i, sc := range cfg.Shards {
		opt, err := sc.clientOption()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("redis: shard %d: %w", i, err)
		}
		client, err := rueidis.NewClient(opt)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("redis: shard %d (%s): %w", i, strings.Join(opt.InitAddress, ","), err)
		}
		shards = append(shards, &shard{
			index:  i,
			client: client,
			keys:   keys{prefix: cfg.Prefix, cluster: client.Mode() == rueidis.ClientModeCluster},
		})
	}
	return shards, nil
}

// shardIndex picks a channel's shard among n with Jump Consistent Hash
// (Lamping & Veach) over FNV-1a: adding a shard moves only about 1/n of
// the channels.
func shardIndex(channel string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(channel))
	key := h.Sum64()
	var b, j int64 = -1, 0
	for j < int64(n) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}
