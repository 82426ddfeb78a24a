package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/gyrehq/gyre/bridge/apipb"
	"github.com/gyrehq/gyre/config"
)

// selfSigned writes a certificate for 127.0.0.1 and its key to dir and
// returns their paths and a pool trusting it.
func selfSigned(t *testing.T, dir string) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gyre-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certPath, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certPath, keyPath, pool
}

// TestTLS: with http_server.tls and grpc_api.tls the client connects over
// wss:// and the gRPC API is served over TLS.
func TestTLS(t *testing.T) {
	cert, key, pool := selfSigned(t, t.TempDir())
	ts := startServer(t, func(cfg *config.Config) {
		cfg.HTTPServer.TLS = config.TLS{Enabled: true, CertPEM: cert, KeyPEM: key}
		cfg.GRPCAPI = config.GRPCAPI{Enabled: true, Address: "127.0.0.1", Key: "k", TLS: config.TLS{Enabled: true, CertPEM: cert, KeyPEM: key}}
	})
	url := strings.Replace(ts.url, "ws://", "wss://", 1)
	c := centrifuge.NewJsonClient(url, centrifuge.Config{Token: userToken(t, "tls"), TLSConfig: &tls.Config{RootCAs: pool}})
	t.Cleanup(c.Close)
	connect(t, c)
	_, pubs := subscribe(t, c, "chat:tls", centrifuge.SubscriptionConfig{})

	conn, err := grpc.NewClient(ts.srv.GRPCAddr().String(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadataKey(ctxT(t), "apikey k")
	resp, err := apipb.NewCentrifugoApiClient(conn).Publish(ctx, &apipb.PublishRequest{Channel: "chat:tls", Data: []byte(`{"secure":true}`)})
	if err != nil || resp.Error != nil {
		t.Fatalf("publish over TLS: %v %v", err, resp.GetError())
	}
	if e := waitFor(t, pubs, "publication over wss"); string(e.Data) != `{"secure":true}` {
		t.Fatalf("data %s", e.Data)
	}
}

// TestTLSBadCertificate: a key that does not match the certificate stops
// start-up with an error naming the key.
func TestTLSBadCertificate(t *testing.T) {
	cert, _, _ := selfSigned(t, t.TempDir())
	_, otherKey, _ := selfSigned(t, t.TempDir())
	cfg := baseConfig()
	cfg.HTTPServer.TLS = config.TLS{Enabled: true, CertPEM: cert, KeyPEM: otherKey}
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "http_server.tls") {
		t.Fatalf("Validate = %v, want an error naming http_server.tls", err)
	}
}
