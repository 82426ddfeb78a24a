package redis

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestShardConfigParsing(t *testing.T) {
	tests := []struct {
		name      string
		sc        ShardConfig
		addrs     []string
		user      string
		pass      string
		db        int
		master    string
		sentPass  string
		tls       bool
		single    bool
		unix      bool
		wantError bool
	}{
		{name: "Default", sc: ShardConfig{}, addrs: []string{"127.0.0.1:6379"}, single: true},
		{name: "HostPort", sc: ShardConfig{Address: "redis.local:7000", Password: "p", DB: 2}, addrs: []string{"redis.local:7000"}, pass: "p", db: 2, single: true},
		{name: "URL", sc: ShardConfig{Address: "redis://bob:secret@h:6380/3", Password: "ignored"}, addrs: []string{"h:6380"}, user: "bob", pass: "secret", db: 3, single: true},
		{name: "URLPasswordOnly", sc: ShardConfig{Address: "redis://:secret@h"}, addrs: []string{"h:6379"}, pass: "secret", single: true},
		{name: "TCP", sc: ShardConfig{Address: "tcp://h:1"}, addrs: []string{"h:1"}, single: true},
		{name: "TLS", sc: ShardConfig{Address: "rediss://h:6380"}, addrs: []string{"h:6380"}, tls: true, single: true},
		{name: "Unix", sc: ShardConfig{Address: "unix:///tmp/redis.sock?db=1"}, addrs: []string{"/tmp/redis.sock"}, db: 1, unix: true, single: true},
		{name: "Sentinel", sc: ShardConfig{Address: "redis+sentinel://:pw@s1?sentinel_master_name=mymaster&addr=s2:26380&sentinel_password=sp"},
			addrs: []string{"s1:26379", "s2:26380"}, pass: "pw", master: "mymaster", sentPass: "sp"},
		{name: "SentinelFields", sc: ShardConfig{SentinelAddresses: []string{"s1:26379"}, SentinelMasterName: "m"}, addrs: []string{"s1:26379"}, master: "m"},
		{name: "SentinelWithoutMaster", sc: ShardConfig{Address: "redis+sentinel://s1:26379"}, wantError: true},
		{name: "Cluster", sc: ShardConfig{Address: "redis+cluster://c1:7000?addr=c2:7001&addr=c3:7002"}, addrs: []string{"c1:7000", "c2:7001", "c3:7002"}},
		{name: "ClusterFields", sc: ShardConfig{ClusterAddresses: []string{"c1:7000"}}, addrs: []string{"c1:7000"}},
		{name: "ClusterTLS", sc: ShardConfig{Address: "rediss+cluster://c1:7000"}, addrs: []string{"c1:7000"}, tls: true},
		{name: "ClusterDB", sc: ShardConfig{Address: "redis+cluster://c1:7000/2"}, wantError: true},
		{name: "UnknownScheme", sc: ShardConfig{Address: "http://h:1"}, wantError: true},
		{name: "NoPort", sc: ShardConfig{Address: "justahost"}, wantError: true},
		{name: "BadDB", sc: ShardConfig{Address: "redis://h:1/x"}, wantError: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt, err := tc.sc.clientOption()
			if tc.wantError {
				if err == nil {
					t.Fatalf("no error, options %+v", opt)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.addrs, opt.InitAddress); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
			if opt.Username != tc.user || opt.Password != tc.pass || opt.SelectDB != tc.db {
				t.Errorf("user %q pass %q db %d, want %q %q %d", opt.Username, opt.Password, opt.SelectDB, tc.user, tc.pass, tc.db)
			}
			if opt.Sentinel.MasterSet != tc.master || opt.Sentinel.Password != tc.sentPass {
				t.Errorf("sentinel master %q pass %q, want %q %q", opt.Sentinel.MasterSet, opt.Sentinel.Password, tc.master, tc.sentPass)
			}
			if (opt.TLSConfig != nil) != tc.tls || opt.ForceSingleClient != tc.single || (opt.DialCtxFn != nil) != tc.unix {
				t.Errorf("tls %v single %v unix %v, want %v %v %v", opt.TLSConfig != nil, opt.ForceSingleClient, opt.DialCtxFn != nil, tc.tls, tc.single, tc.unix)
			}
			if opt.Dialer.Timeout != DefaultConnectTimeout || opt.ConnWriteTimeout != DefaultIOTimeout {
				t.Errorf("timeouts %v %v", opt.Dialer.Timeout, opt.ConnWriteTimeout)
			}
		})
	}
	opt, _ := ShardConfig{ConnectTimeout: time.Minute, IOTimeout: time.Hour}.clientOption()
	if opt.Dialer.Timeout != time.Minute || opt.ConnWriteTimeout != time.Hour {
		t.Errorf("explicit timeouts %v %v", opt.Dialer.Timeout, opt.ConnWriteTimeout)
	}
}

func TestShardIndex(t *testing.T) {
	// Stable: the same channel always maps to the same shard.
	if shardIndex("news", 3) != shardIndex("news", 3) || shardIndex("x", 1) != 0 {
		t.Fatal("shardIndex is not stable")
	}
	// Balanced and consistent: going from 4 to 5 shards moves about 1/5
	// of the channels, all of them to the new shard.
	const n = 10000
	counts := make([]int, 5)
	moved := 0
	for i := range n {
		ch := "ch" + string(rune('a'+i%26)) + time.Duration(i).String()
		a, b := shardIndex(ch, 4), shardIndex(ch, 5)
		counts[b]++
		if a != b {
			moved++
			if b != 4 {
				t.Fatalf("channel %q moved from %d to %d, not to the new shard", ch, a, b)
			}
		}
	}
	if moved < n/5-n/25 || moved > n/5+n/25 {
		t.Errorf("%d of %d channels moved, want about %d", moved, n, n/5)
	}
	for i, c := range counts {
		if c < n/5-n/20 || c > n/5+n/20 {
			t.Errorf("shard %d has %d channels, want about %d", i, c, n/5)
		}
	}
}
