// ferry-pion-client: an independent TURN client (pion/turn v2, as Debian packages it) for
// Ferry's interop tests. It connects over udp, tcp or tls, authenticates with long-term
// credentials (RFC 8489 §9.2), allocates, creates a permission for a UDP echo peer, sends
// -count messages through the relay and checks that every one comes back byte for byte.
//
// pion's relayed connection sends the first packet to a peer as a Send indication and binds a
// channel in the background (RFC 8656 §12); later packets go as ChannelData. A wrapper around
// the socket counts what crossed it, so the run also shows that channels were used both ways.
//
// Prints one line starting "OK" or "FAIL" and exits 0 only on success (1 on any failure,
// 2 on a usage error).
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun"
	"github.com/pion/turn/v2"
)

// counts is what the wrapper saw on the client-server socket, by message kind.
type counts struct {
	mu                 sync.Mutex
	sendIndications    int
	dataIndications    int
	channelBindOK      int
	channelBindErr     int
	channelDataSent    int
	channelDataRecv    int
	permissionsCreated int
}

// countingConn passes everything through to the real socket and classifies it on the way:
// a STUN message by method and class, ChannelData by its first two bits being 01 (RFC 8656
// §12.4). On a stream (tcp, tls) pion's STUNConn has already split the bytes into frames.
type countingConn struct {
	net.PacketConn
	c *counts
}

func isChannelData(b []byte) bool {
	return len(b) >= 4 && b[0]&0xC0 == 0x40
}

func (w *countingConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	w.c.mu.Lock()
	if isChannelData(p) {
		w.c.channelDataSent++
	} else if stun.IsMessage(p) {
		t := stun.MessageType{}
		t.ReadValue(binary.BigEndian.Uint16(p[0:2]))
		if t == stun.NewType(stun.MethodSend, stun.ClassIndication) {
			w.c.sendIndications++
		}
	}
	w.c.mu.Unlock()
	return w.PacketConn.WriteTo(p, addr)
}

func (w *countingConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := w.PacketConn.ReadFrom(p)
	if err != nil {
		return n, addr, err
	}
	b := p[:n]
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	if isChannelData(b) {
		w.c.channelDataRecv++
	} else if stun.IsMessage(b) {
		t := stun.MessageType{}
		t.ReadValue(binary.BigEndian.Uint16(b[0:2]))
		switch t {
		case stun.NewType(stun.MethodData, stun.ClassIndication):
			w.c.dataIndications++
		case stun.NewType(stun.MethodChannelBind, stun.ClassSuccessResponse):
			w.c.channelBindOK++
		case stun.NewType(stun.MethodChannelBind, stun.ClassErrorResponse):
			w.c.channelBindErr++
		case stun.NewType(stun.MethodCreatePermission, stun.ClassSuccessResponse):
			w.c.permissionsCreated++
		}
	}
	return n, addr, err
}

type options struct {
	transport  string
	server     string
	serverName string
	caFile     string
	user       string
	password   string
	peer       string
	count      int
	size       int
	timeout    time.Duration
	verbose    bool
	restSecret string
	restTTL    time.Duration
}

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// dial opens the client-server socket: a UDP socket, or a TCP/TLS stream that pion's STUNConn
// frames into STUN and ChannelData messages (RFC 8656 §3.1 and §12.5).
func dial(o *options) (net.PacketConn, error) {
	switch o.transport {
	case "udp":
		return net.ListenPacket("udp4", "127.0.0.1:0")
	case "tcp":
		c, err := net.DialTimeout("tcp", o.server, o.timeout)
		if err != nil {
			return nil, err
		}
		return turn.NewSTUNConn(c), nil
	case "tls":
		// The server's certificate is verified against the test's own certificate (it is
		// self-signed, so it is its own root), with the host name it was made for.
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, fmt.Errorf("reading -ca: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, errors.New("-ca holds no PEM certificate")
		}
		d := &net.Dialer{Timeout: o.timeout}
		c, err := tls.DialWithDialer(d, "tcp", o.server, &tls.Config{
			RootCAs:    roots,
			ServerName: o.serverName,
			MinVersion: tls.VersionTLS12,
			NextProtos: []string{"stun.turn"}, // RFC 7443
		})
		if err != nil {
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		st := c.ConnectionState()
		fmt.Printf("tls: version 0x%04x, cipher %s, alpn %q, peer %s\n", st.Version,
			tls.CipherSuiteName(st.CipherSuite), st.NegotiatedProtocol,
			st.PeerCertificates[0].Subject)
		return turn.NewSTUNConn(c), nil
	}
	return nil, fmt.Errorf("unknown -transport %q (udp, tcp or tls)", o.transport)
}

// echoRound sends message i and waits for its echo; a lost datagram (the peer leg is UDP) is
// sent again, up to 3 times. Echoes of earlier messages that arrive late are skipped.
func echoRound(relay net.PacketConn, peer net.Addr, msg []byte, wait time.Duration) (int, error) {
	buf := make([]byte, 65536)
	for attempt := 0; attempt < 3; attempt++ {
		if _, err := relay.WriteTo(msg, peer); err != nil {
			return attempt, fmt.Errorf("send: %w", err)
		}
		deadline := time.Now().Add(wait)
		for {
			if err := relay.SetReadDeadline(deadline); err != nil {
				return attempt, err
			}
			n, from, err := relay.ReadFrom(buf)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break // resend
			}
			if err != nil {
				return attempt, fmt.Errorf("receive: %w", err)
			}
			if from.String() != peer.String() {
				return attempt, fmt.Errorf("echo from %s, expected %s", from, peer)
			}
			if bytes.Equal(buf[:n], msg) {
				return attempt, nil
			}
			if n != len(msg) || !bytes.HasPrefix(buf[:n], []byte("pion ")) {
				return attempt, fmt.Errorf("echo of %d bytes does not match what was sent", n)
			}
		}
	}
	return 3, errors.New("no echo after 3 sends")
}

func main() {
	o := &options{}
	flag.StringVar(&o.transport, "transport", "udp", "udp, tcp or tls")
	flag.StringVar(&o.server, "server", "127.0.0.1:3478", "TURN server address")
	flag.StringVar(&o.serverName, "server-name", "localhost", "TLS: host name the certificate must carry")
	flag.StringVar(&o.caFile, "ca", "", "TLS: PEM certificate to trust as root")
	flag.StringVar(&o.user, "user", "", "long-term credential user name")
	flag.StringVar(&o.password, "password", "", "long-term credential password")
	flag.StringVar(&o.peer, "peer", "", "UDP echo peer address")
	flag.IntVar(&o.count, "count", 20, "messages to relay (1..10000)")
	flag.IntVar(&o.size, "size", 200, "message size in bytes (16..1200)")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Second, "bound on the whole run")
	flag.BoolVar(&o.verbose, "v", false, "pion's debug log on stderr")
	flag.StringVar(&o.restSecret, "rest-secret", "", "TURN REST: mint -user/-password from this shared secret with pion's own GenerateLongTermCredentials")
	flag.DurationVar(&o.restTTL, "rest-ttl", time.Hour, "TURN REST: lifetime of the minted credential (negative: already expired)")
	flag.Parse()
	if o.restSecret != "" {
		// pion's own implementation of the TURN REST API: a bare expiry as the user name and
		// base64(HMAC-SHA1(secret, name)) as the password.
		user, password, err := turn.GenerateLongTermCredentials(o.restSecret, o.restTTL)
		if err != nil {
			fail("rest credentials: %v", err)
		}
		o.user, o.password = user, password
		fmt.Printf("REST user=%s\n", user)
	}
	if o.user == "" || o.peer == "" || o.count < 1 || o.count > 10000 || o.size < 16 ||
		o.size > 1200 || (o.transport == "tls" && o.caFile == "") {
		fmt.Fprintln(os.Stderr, "usage: ferry-pion-client -transport udp|tcp|tls -server IP:PORT "+
			"(-user U -password P | -rest-secret S [-rest-ttl D]) -peer IP:PORT [-ca cert.pem -server-name NAME] [-count N] "+
			"[-size B] [-timeout D]")
		os.Exit(2)
	}
	// Whatever hangs (a handshake, a transaction pion retransmits for a minute), the run ends.
	time.AfterFunc(o.timeout, func() { fail("%s: no result within %s", o.transport, o.timeout) })

	peer, err := net.ResolveUDPAddr("udp4", o.peer)
	if err != nil {
		fail("-peer: %v", err)
	}
	raw, err := dial(o)
	if err != nil {
		fail("%s: connect to %s: %v", o.transport, o.server, err)
	}
	c := &counts{}
	conn := &countingConn{PacketConn: raw, c: c}

	logs := logging.NewDefaultLoggerFactory()
	logs.DefaultLogLevel = logging.LogLevelError
	if o.verbose {
		logs.DefaultLogLevel = logging.LogLevelDebug
	}
	client, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: o.server,
		TURNServerAddr: o.server,
		Conn:           conn,
		Username:       o.user,
		Password:       o.password,
		Software:       "ferry-pion-client",
		LoggerFactory:  logs,
	})
	if err != nil {
		fail("new client: %v", err)
	}
	defer client.Close()
	if err := client.Listen(); err != nil {
		fail("listen: %v", err)
	}

	relay, err := client.Allocate()
	if err != nil {
		fail("%s: allocate as %q: %v", o.transport, o.user, err)
	}
	fmt.Printf("allocated %s (realm %q) over %s\n", relay.LocalAddr(), client.Realm().String(),
		o.transport)
	if err := client.CreatePermission(peer); err != nil {
		fail("create permission for %s: %v", peer, err)
	}

	resends := 0
	for i := 0; i < o.count; i++ {
		msg := bytes.Repeat([]byte{byte('a' + i%26)}, o.size)
		copy(msg, fmt.Sprintf("pion %d ", i))
		r, err := echoRound(relay, peer, msg, 2*time.Second)
		resends += r
		if err != nil {
			fail("%s: message %d of %d: %v", o.transport, i+1, o.count, err)
		}
	}
	if err := relay.Close(); err != nil { // Refresh with LIFETIME 0 (RFC 8656 §7)
		fail("deallocate: %v", err)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	summary := fmt.Sprintf("transport=%s relayed=%s peer=%s echoed=%d/%d resends=%d "+
		"permissions=%d send-indications=%d data-indications=%d channel-binds=%d "+
		"channel-data-sent=%d channel-data-received=%d", o.transport, relay.LocalAddr(), peer,
		o.count, o.count, resends, c.permissionsCreated, c.sendIndications, c.dataIndications,
		c.channelBindOK, c.channelDataSent, c.channelDataRecv)
	// With more than a couple of messages pion has bound a channel and used it both ways.
	if o.count >= 5 && (c.channelBindOK == 0 || c.channelDataSent == 0 || c.channelDataRecv == 0) {
		fail("channels were not used (%s, channel-bind errors=%d)", summary, c.channelBindErr)
	}
	fmt.Println("OK " + summary)
}
