package redis

import (
	"fmt"
	"testing"

	"github.com/gyrehq/gyre/internal/testservice"
)

func TestConformanceStandalone(t *testing.T) {
	runConformance(t, standalone(t))
}

// TestConformanceSharded runs the suites over two private redis-server
// processes (client-side sharding) and checks that channels are spread
// over both.
func TestConformanceSharded(t *testing.T) {
	a, b := testservice.StartRedis(t), testservice.StartRedis(t)
	cfg := Config{Shards: []ShardConfig{{Address: a.Addr()}, {Address: "redis://" + b.Addr() + "/0"}}}
	runConformance(t, cfg)

	t.Run("ChannelsSpread", func(t *testing.T) {
		br := newTestBroker(t, cfg)
		perShard := make([]int, 2)
		for i := range 64 {
			ch := fmt.Sprintf("spread-%d", i)
			if _, _, err := br.Publish(t.Context(), ch, []byte("x"), withHistory(1)); err != nil {
				t.Fatal(err)
			}
			perShard[br.shardIndex(ch)]++
		}
		for i, p := range []*testservice.Process{a, b} {
			keys, err := testservice.RedisDo(p.Addr(), "KEYS", br.cfg.Prefix+".stream.meta.*")
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			if keys != "" {
				n = len(splitLines(keys))
			}
			if n != perShard[i] || n == 0 {
				t.Errorf("shard %d holds %d channel metas, want %d (> 0)", i, n, perShard[i])
			}
		}
	})
}

func TestConformanceCluster(t *testing.T) {
	slow(t)
	nodes := testservice.StartRedisCluster(t, 3)
	addr := "redis+cluster://" + nodes[0].Addr() + "?addr=" + nodes[1].Addr()
	cfg := Config{Shards: []ShardConfig{{Address: addr}}}
	runConformance(t, cfg)

	t.Run("HashTags", func(t *testing.T) {
		br := newTestBroker(t, cfg)
		if !br.shards[0].keys.cluster {
			t.Fatal("shard is not in cluster mode")
		}
		if got, want := br.shards[0].keys.stream("a.b"), br.cfg.Prefix+".stream.{a.b}"; got != want {
			t.Errorf("stream key %q, want %q", got, want)
		}
	})
}

func TestConformanceSentinel(t *testing.T) {
	slow(t)
	_, sentinel := testservice.StartSentinel(t, "gyremaster")
	cfg := Config{Shards: []ShardConfig{{Address: "redis+sentinel://" + sentinel.Addr() + "?sentinel_master_name=gyremaster"}}}
	runConformance(t, cfg)
}
