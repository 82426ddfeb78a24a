package testservice

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RedisDo sends one command to the Redis at addr over a fresh connection
// and returns the reply: a status, bulk string or integer as a string, or
// the elements of an array joined by newlines. Error replies are errors.
func RedisDo(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var sb strings.Builder
	fmt.Fprintf(&sb, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&sb, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c, sb.String()); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(c))
}

// readReply reads one RESP2 reply.
func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", err
		}
		parts := make([]string, 0, max(n, 0))
		for range n {
			s, err := readReply(r)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

// StartRedisCluster starts n redis-server processes with cluster mode on,
// joins them into a Cluster of n masters without replicas (redis-cli
// --cluster create) and waits until every node reports cluster_state:ok.
// It is slow (a few seconds); callers should skip it in -short mode.
func StartRedisCluster(t testing.TB, n int) []*Process {
	t.Helper()
	cli := Binary(t, "redis-cli")
	nodes := make([]*Process, n)
	args := []string{"--cluster", "create"}
	for i := range nodes {
		nodes[i] = StartRedis(t, "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		args = append(args, nodes[i].Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(startTimeout)
	for _, p := range nodes {
		for {
			info, err := RedisDo(p.Addr(), "CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s not ok: %v %q", p.Addr(), err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nodes
}

// StartSentinel starts a redis-server master and one sentinel watching it
// under masterName (quorum 1) and waits until the sentinel knows the
// master. It returns the master and the sentinel.
func StartSentinel(t testing.TB, masterName string) (master, sentinel *Process) {
	t.Helper()
	master = StartRedis(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("bind 127.0.0.1\nprotected-mode no\ndir %s\nsentinel monitor %s 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds %s 5000\n", dir, masterName, master.Port, masterName)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	sentinel = startProcess(t, "redis-server", func(p *Process) error {
		got, err := RedisDo(p.Addr(), "SENTINEL", "get-master-addr-by-name", masterName)
		if err != nil {
			return err
		}
		if got != "127.0.0.1\n"+strconv.Itoa(master.Port) {
			return fmt.Errorf("sentinel reports master %q", got)
		}
		return nil
	}, conf, "--sentinel", "--port", "{port}")
	return master, sentinel
}
